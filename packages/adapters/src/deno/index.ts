/**
 * `@hostkit/adapters/deno`: what Deno supplies to a `@hostkit/core` host that owns its process.
 *
 * This module only chooses the Deno implementation: the console lifetime's behaviour (signals,
 * forced exit, keep-alive, exit code) and `runMain` are written once for Node and Deno in the
 * package's `console-host` folder, against the `HostLifetime` port of core; here they get the
 * `Deno` namespace, and core's system clock gets timers passed to `Deno.unrefTimer`.
 * @module
 */
import {
  createConsoleHostBuilderFactory,
  createRunMain,
  type ConsolePlatform,
  type CreateConsoleHostBuilder,
  type RunMain,
} from '../console-host/run-console-host.ts';
import { DenoConsoleLifetime } from './deno-console-lifetime.ts';
import { denoRuntime } from './deno-runtime.ts';
export { DenoConsoleLifetime } from './deno-console-lifetime.ts';
export { DenoTimeProvider, denoTimeProvider } from './deno-time-provider.ts';
export type {
  ConsoleHostBuilderOptions,
  CreateConsoleHostBuilder,
  RunMain,
  RunMainOptions,
} from '../console-host/run-console-host.ts';

const deno: ConsolePlatform = { runtime: denoRuntime, createLifetime: () => new DenoConsoleLifetime() };

/**
 * Runs a host as a Deno program's `main` and resolves with its exit code; ends the process with
 * that code once the run is over, unless `options.exitProcess` is `false`. Fills in a builder's
 * {@link DenoConsoleLifetime} and {@link denoTimeProvider}; see {@link RunMain} for the whole contract.
 */
export const runMain: RunMain = createRunMain(deno);

/** `Host.createApplicationBuilder()` for a Deno program, with the {@link DenoConsoleLifetime} and {@link denoTimeProvider}; see {@link CreateConsoleHostBuilder}. */
export const createDenoHostBuilder: CreateConsoleHostBuilder = createConsoleHostBuilderFactory(deno);
export { ConsoleHostLifetime } from '../console-host/console-host-lifetime.ts';
