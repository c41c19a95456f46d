/**
 * `@hostkit/adapters/deno`: what Deno supplies to a `@hostkit/core` host that owns its process.
 *
 * This module only chooses the Deno implementation: the console lifetime's behaviour (signals,
 * forced exit, keep-alive, exit code) and `runMain` are written once for Node and Deno in the
 * package's `console-host` folder, against the `HostLifetime` port of core; here they get the
 * `Deno` namespace, and core's system clock gets timers passed to `Deno.unrefTimer`.
 * @module
 */
export { DenoConsoleLifetime } from './deno-console-lifetime.ts';
export { DenoTimeProvider, denoTimeProvider } from './deno-time-provider.ts';
export { createDenoHostBuilder, runMain } from './run-main.ts';
export type { ConsoleHostBuilderOptions, RunMainOptions } from '../console-host/run-console-host.ts';
export { ConsoleHostLifetime } from '../console-host/console-host-lifetime.ts';
