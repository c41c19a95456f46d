import { ConsoleHostLifetime } from '../console-host/console-host-lifetime.ts';
import { nodeRuntime } from './node-runtime.ts';

/**
 * The console lifetime on Node: SIGINT, SIGTERM and SIGQUIT (SIGBREAK on Windows) stop the
 * application gracefully, a second one exits at once (130, 143, 131), one ref'ed interval holds
 * the process open while the host runs, and the run's outcome becomes `process.exitCode`. See
 * {@link ConsoleHostLifetime} for the whole contract; this class only chooses Node's `process`.
 *
 * ```ts
 * const builder = Host.createApplicationBuilder({ lifetime: new NodeConsoleLifetime(), timeProvider: nodeTimeProvider });
 * ```
 */
export class NodeConsoleLifetime extends ConsoleHostLifetime {
  constructor() {
    super(nodeRuntime);
  }
}
