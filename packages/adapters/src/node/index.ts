/**
 * `@hostkit/adapters/node`: what Node supplies to a `@hostkit/core` host that owns its process.
 *
 * This module only chooses the Node implementation: the console lifetime's behaviour (signals,
 * forced exit, keep-alive, exit code) and `runMain` are written once for Node and Deno in the
 * package's `console-host` folder, against the `HostLifetime` port of core; here they get Node's
 * `process`, and core's system clock gets timers that are `unref()`'d.
 * @module
 */
import {
  createConsoleHostBuilderFactory,
  createRunMain,
  type ConsolePlatform,
  type CreateConsoleHostBuilder,
  type RunMain,
} from '../console-host/run-console-host.ts';
import { NodeConsoleLifetime } from './node-console-lifetime.ts';
import { nodeRuntime } from './node-runtime.ts';
export { NodeConsoleLifetime } from './node-console-lifetime.ts';
export { NodeTimeProvider, nodeTimeProvider } from './node-time-provider.ts';
export type {
  ConsoleHostBuilderOptions,
  CreateConsoleHostBuilder,
  RunMain,
  RunMainOptions,
} from '../console-host/run-console-host.ts';

const node: ConsolePlatform = { runtime: nodeRuntime, createLifetime: () => new NodeConsoleLifetime() };

/**
 * Runs a host as a Node program's `main` and resolves with its exit code; ends the process with
 * that code once the run is over, unless `options.exitProcess` is `false`. Fills in a builder's
 * {@link NodeConsoleLifetime} and {@link nodeTimeProvider}; see {@link RunMain} for the whole contract.
 */
export const runMain: RunMain = createRunMain(node);

/** `Host.createApplicationBuilder()` for a Node program, with the {@link NodeConsoleLifetime} and {@link nodeTimeProvider}; see {@link CreateConsoleHostBuilder}. */
export const createNodeHostBuilder: CreateConsoleHostBuilder = createConsoleHostBuilderFactory(node);
export { ConsoleHostLifetime } from '../console-host/console-host-lifetime.ts';
