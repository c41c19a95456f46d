/**
 * What both mains do once they have chosen a runtime: read the configuration (arguments and
 * environment), print help or a configuration error (exit code 2, nothing started), or build the
 * samples host and run it until a signal stops it.
 * @module
 */
import type { Host, HostApplicationBuilder } from '@hostkit/core';
import process from 'node:process';
import { createApp, type AppRuntime } from './app.ts';
import { ConfigError } from './config/config-error.ts';
import type { AppConfig } from './config/app-config.ts';
import { loadConfig } from './config/load-config.ts';

/** Exit code of a configuration error: nothing was started. */
const CONFIG_ERROR_EXIT_CODE = 2;

/** The runtime adapter's `runMain` (`@hostkit/adapters/node` or `/deno`). */
export type RunMain = (hostOrBuilder: Host | HostApplicationBuilder, options: { logFormat: AppConfig['logFormat'] }) => Promise<number>;

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
  // Cluster mode only: the Redis client is not even loaded without REDIS_URL.
  const clusterBackend =
    loaded.config.redisUrl === undefined ? undefined : (await import('./cluster/redis-cluster-backend.ts')).createRedisClusterBackend;
  await runMain(createApp(loaded.config, runtime, clusterBackend === undefined ? {} : { clusterBackend }), { logFormat: loaded.config.logFormat });
}
