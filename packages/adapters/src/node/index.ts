/**
 * `@hostkit/adapters/node`: what Node supplies to a `@hostkit/core` host that owns its process.
 *
 * This module only chooses the Node implementation: the console lifetime's behaviour (signals,
 * forced exit, keep-alive, exit code) and `runMain` are written once for Node and Deno in the
 * package's `console-host` folder, against the `HostLifetime` port of core; here they get Node's
 * `process`, and core's system clock gets timers that are `unref()`'d.
 * @module
 */
export { NodeConsoleLifetime } from './node-console-lifetime.ts';
export { NodeTimeProvider, nodeTimeProvider } from './node-time-provider.ts';
export { createNodeHostBuilder, runMain } from './run-main.ts';
export type { ConsoleHostBuilderOptions, RunMainOptions } from '../console-host/run-console-host.ts';
export { ConsoleHostLifetime } from '../console-host/console-host-lifetime.ts';
