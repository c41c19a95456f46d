/**
 * What both mains do once they have chosen a runtime: read the configuration (arguments and
 * environment), print help or a configuration error (exit code 2, nothing started), check what
 * would fail later (the port, DATA_DIR, another host on the same DATA_DIR: exit code 1, nothing
 * started, no stack trace), or build the samples host and run it until a signal stops it.
 * @module
 */
import type { Host, HostApplicationBuilder } from '@hostkit/core';
import process from 'node:process';
import { createApp, type AppRuntime } from './app.ts';
import { ConfigError } from './config/config-error.ts';
import type { AppConfig } from './config/app-config.ts';
import { loadConfig } from './config/load-config.ts';
import { checkDataDir } from './startup/check-data-dir.ts';
import { checkPort } from './startup/check-port.ts';
import { lockDataDir, type DataDirLock } from './startup/data-dir-lock.ts';
import { installTelemetry, telemetryRequested, type InstalledTelemetry } from './telemetry/install-telemetry.ts';

/** Exit code of a configuration error: nothing was started. */
const CONFIG_ERROR_EXIT_CODE = 2;
/** Exit code when the environment refuses the start (port taken, DATA_DIR in use): nothing was started. */
const START_REFUSED_EXIT_CODE = 1;

/** The runtime adapter's `runMain` (`@hostkit/adapters/node` or `/deno`). */
export type RunMain = (
  hostOrBuilder: Host | HostApplicationBuilder,
  options: { logFormat: AppConfig['logFormat']; exitProcess?: boolean },
) => Promise<number>;

/** How long the last export of telemetry may take once the host has stopped, in ms. */
const TELEMETRY_SHUTDOWN_MS = 2_000;

/**
 * Runs the samples on `runtime`. `node:process` serves for the arguments and environment on Deno
 * too, which provides it, so both mains stay alike.
 */
export async function runSamples(runtime: AppRuntime, runMain: RunMain): Promise<void> {
  let loaded;
  try {
    loaded = loadConfig(process.argv.slice(2), process.env, process.cwd());
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(`${error.message}\nNothing was started. Run with --help to see every setting.`);
    process.exitCode = CONFIG_ERROR_EXIT_CODE;
    return;
  }
  if (loaded.kind === 'help') {
    console.log(loaded.text);
    return;
  }
  // Before any service touches DATA_DIR: a second copy on the same port or DATA_DIR must fail
  // here, once, not after it has cleaned app.db and watched the inbox.
  const portProblem = await checkPort(loaded.config.port);
  if (portProblem !== undefined) {
    refuseStart(portProblem);
    return;
  }
  const dataDirProblem = checkDataDir(loaded.config.dataDir);
  if (dataDirProblem !== undefined) {
    console.error(`${new ConfigError([dataDirProblem]).message}\nNothing was started. Run with --help to see every setting.`);
    process.exitCode = CONFIG_ERROR_EXIT_CODE;
    return;
  }
  let lock: DataDirLock | undefined;
  if (loaded.config.redisUrl === undefined) {
    const locked = lockDataDir(loaded.config.dataDir);
    if (!locked.ok) {
      refuseStart(locked.problem);
      return;
    }
    lock = locked.lock;
    if (lock.replacedStale !== undefined) console.warn(`Took DATA_DIR's lock over from ${lock.replacedStale}`);
  }
  // Only with an OTLP endpoint: the SDK is not even loaded otherwise. Before the host is built,
  // so that core's instruments and the channel and queue gauges bind to it.
  let telemetry: InstalledTelemetry | undefined;
  if (telemetryRequested(process.env)) {
    try {
      telemetry = await installTelemetry(process.env, 'hostkit-samples');
    } catch (error) {
      lock?.release();
      console.error(`${error instanceof Error ? error.message : String(error)}\nNothing was started.`);
      process.exitCode = CONFIG_ERROR_EXIT_CODE;
      return;
    }
  }
  // Cluster mode only: the Redis client is not even loaded without REDIS_URL.
  const clusterBackend =
    loaded.config.redisUrl === undefined ? undefined : (await import('./cluster/redis-cluster-backend.ts')).createRedisClusterBackend;
  try {
    const app = createApp(loaded.config, runtime, {
      ...(clusterBackend !== undefined && { clusterBackend }),
      ...(telemetry !== undefined && { telemetry }),
    });
    // With telemetry, the process ends here rather than in runMain: after the last export (the
    // stop's duration and the exit code are recorded once the host has stopped).
    const code = await runMain(app, { logFormat: loaded.config.logFormat, ...(telemetry !== undefined && { exitProcess: false }) });
    if (telemetry !== undefined) {
      await telemetry.shutdown(TELEMETRY_SHUTDOWN_MS);
      lock?.release();
      lock = undefined;
      process.exit(code);
    }
  } finally {
    lock?.release();
  }
}

function refuseStart(problem: string): void {
  console.error(`Cannot start: ${problem}.\nNothing was started.`);
  process.exitCode = START_REFUSED_EXIT_CODE;
}
