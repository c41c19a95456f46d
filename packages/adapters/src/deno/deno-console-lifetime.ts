import { ConsoleHostLifetime } from '../console-host/console-host-lifetime.ts';
import { denoRuntime } from './deno-runtime.ts';

/**
 * The console lifetime on Deno: SIGINT, SIGTERM and SIGQUIT (SIGBREAK on Windows) stop the
 * application gracefully, a second one exits at once (130, 143, 131), one ref'ed interval holds
 * the process open while the host runs, and the run's outcome becomes `Deno.exitCode`. See
 * {@link ConsoleHostLifetime} for the whole contract; this class only chooses the `Deno` namespace.
 *
 * ```ts
 * const builder = Host.createApplicationBuilder({ lifetime: new DenoConsoleLifetime(), timeProvider: denoTimeProvider });
 * ```
 */
export class DenoConsoleLifetime extends ConsoleHostLifetime {
  constructor() {
    super(denoRuntime);
  }
}
