import type { Host, HostApplicationBuilder } from '@hostkit/core';
import {
  createConsoleHostBuilder,
  runConsoleHost,
  type ConsoleHostBuilderOptions,
  type ConsolePlatform,
  type RunMainOptions,
} from '../console-host/run-console-host.ts';
import { NodeConsoleLifetime } from './node-console-lifetime.ts';
import { nodeRuntime } from './node-runtime.ts';

const node: ConsolePlatform = { runtime: nodeRuntime, createLifetime: () => new NodeConsoleLifetime() };

/**
 * Runs a host as a Node program's `main`, and resolves with its exit code once it has stopped:
 *
 * ```ts
 * const builder = createNodeHostBuilder();
 * builder.services.addHostedService(Worker, () => new Worker());
 * await runMain(builder);
 * ```
 *
 * Given a builder, it first fills in what was left at core's runtime-free defaults: the
 * {@link NodeConsoleLifetime} (signals, keep-alive, exit code), the {@link nodeTimeProvider}
 * (timers that do not hold the process open) and the console log format (text on a terminal, JSON
 * lines otherwise); then it builds the host. Given a host, it runs it as it is: build it with
 * {@link createNodeHostBuilder}, or Node ends the program at once (exit code 13).
 *
 * Sets `process.exitCode` (0 after a clean stop, 1 when the build, start, a background service
 * with `stopHost`, or the stop failed) and never calls `process.exit()`: the program ends by
 * itself once the host has released the process. A failure is printed before it resolves: a
 * build failure as one critical record on standard error, a run failure as a last critical record
 * in the host's log.
 * @throws TypeError (as a rejection) when given neither a host nor a builder.
 * @throws RangeError (as a rejection) when `options.logFormat` is not `'auto'`, `'text'` or `'json'`.
 */
export function runMain(hostOrBuilder: Host | HostApplicationBuilder, options?: RunMainOptions): Promise<number> {
  return runConsoleHost(node, hostOrBuilder, options);
}

/**
 * `Host.createApplicationBuilder()` for a Node program: the {@link NodeConsoleLifetime}, the
 * {@link nodeTimeProvider} and the console log format chosen for standard output, unless
 * `options` says otherwise.
 * @throws RangeError when `options.logFormat` is not `'auto'`, `'text'` or `'json'`.
 */
export function createNodeHostBuilder(options?: ConsoleHostBuilderOptions): HostApplicationBuilder {
  return createConsoleHostBuilder(node, options);
}
