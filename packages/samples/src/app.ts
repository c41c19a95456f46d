/**
 * The composition of the samples program: one host running the cleanup, weather-cache and
 * file-processing samples (or the subset `config.services` names) behind one Hono app, served by
 * `@hostkit/adapters/hono` (Deno.serve on Deno, @hono/node-server on Node).
 * `main.ts` (Node) and `main.deno.ts` (Deno) only read the configuration and hand the builder to
 * their runtime's `runMain`; tests build the same host with a manual clock.
 * @module
 */
import { addHonoServer, HonoServerService } from '@hostkit/adapters/hono';
import {
  HealthCheckServiceToken,
  HealthCheckTags,
  LoggerFactoryToken,
  ServiceResolver,
  TimeProviderToken,
  type HostApplicationBuilder,
  type HostApplicationBuilderOptions,
} from '@hostkit/core';
import { type WeatherClient } from '@hostkit/core/weather';
import { addCleanup, type CleanupDependencies } from './cleanup/add-cleanup.ts';
import { addCluster, type ClusterBackendFactory } from './cluster/add-cluster.ts';
import type { ClusterWiring } from './cluster/cluster-tokens.ts';
import type { AppConfig, LogFormatSetting, ServiceName } from './config/app-config.ts';
import { ActivityLogToken } from './database/activity-log.ts';
import { SqliteActivityLog } from './database/sqlite-activity-log.ts';
import { addFileProcessing, FileChannelToken } from './file-processing/index.ts';
import type { FeatureRoutes } from './http/feature-routes.ts';
import { addIndexRoute, listEndpoints } from './http/system-routes.ts';
import { collectStatusSnapshot } from './status-page/status-snapshot.ts';
import { addStatusPageRoutes } from './status-page/status-page-routes.ts';
import type { InstalledTelemetry } from './telemetry/install-telemetry.ts';
import { traceRequests } from './telemetry/sample-spans.ts';
import { TelemetryFlushService } from './telemetry/telemetry-flush-service.ts';
import { addWeatherCache, type WeatherClientFactory, type WeatherDependencies } from './weather/add-weather-cache.ts';

/** How the program meets its runtime: Node's or Deno's host builder. */
export interface AppRuntime {
  readonly name: 'node' | 'deno' | 'test';
  /** `createNodeHostBuilder` / `createDenoHostBuilder`, or `Host.createApplicationBuilder` in tests. */
  createHostBuilder(options: HostApplicationBuilderOptions & { logFormat?: LogFormatSetting | undefined }): HostApplicationBuilder;
  /** How the weather feature reaches Open-Meteo: fetch on Deno. @default undici */
  readonly weatherClients?: WeatherClientFactory | undefined;
}

/** Test seams of {@link createApp}; the program itself passes none. */
export interface CreateAppOptions {
  /** The host's clock (a ManualTimeProvider in tests). @default the runtime's system clock */
  readonly timeProvider?: HostApplicationBuilderOptions['timeProvider'];
  /** A WeatherClient instead of undici + stub. */
  readonly weatherClient?: WeatherClient;
  readonly weather?: WeatherDependencies['options'];
  readonly cleanup?: CleanupDependencies['options'];
  /** Ms requests in flight get at stop, after the drain delay (HTTP_DRAIN_DELAY_MS). @default 10000, within SHUTDOWN_TIMEOUT_MS */
  readonly httpDrainTimeoutMs?: number;
  /**
   * Cluster mode's shared state. Required when `config.redisUrl` is set (the mains pass the Redis
   * backend); tests pass an in-memory one to compose cluster mode without Redis.
   * @default single-process mode
   */
  readonly clusterBackend?: ClusterBackendFactory;
  /** The OpenTelemetry SDK the main installed (OTEL_EXPORTER_OTLP_ENDPOINT): flushed at stop. @default none */
  readonly telemetry?: InstalledTelemetry | undefined;
}

/**
 * Registers everything and returns the builder, not yet built: `runMain(builder)` builds and runs
 * it. Registration order is start order (the reverse is stop order): the activity log (a
 * singleton, disposed last with the container), cleanup, weather (its stub server first when
 * WEATHER_API_URL is unset), files, and the HTTP server LAST, so that its "listening on" line
 * means every service is up, and it is the first to stop taking requests.
 */
export function createApp(config: AppConfig, runtime: AppRuntime, options: CreateAppOptions = {}): HostApplicationBuilder {
  const builder = runtime.createHostBuilder({
    hostOptions: { shutdownTimeout: config.shutdownTimeoutMs },
    logFormat: config.logFormat,
    ...(options.timeProvider !== undefined && { timeProvider: options.timeProvider }),
  });
  builder.logging.setMinimumLevel(config.logLevel);
  const telemetry = options.telemetry;
  if (telemetry !== undefined) {
    // First registered, so last stopped: it flushes what every other service recorded, within
    // what is left of the shutdown budget.
    builder.services.addHostedService(TelemetryFlushService, [LoggerFactoryToken], (loggers) =>
      new TelemetryFlushService(telemetry, loggers.createLogger('samples.Telemetry')),
    );
  }
  let activityLog: SqliteActivityLog | undefined;
  builder.services.addSingleton(ActivityLogToken, [TimeProviderToken, LoggerFactoryToken], (time, loggers) => {
    activityLog = new SqliteActivityLog(config.dataDir, time, loggers.createLogger('samples.ActivityLog'));
    return activityLog;
  });
  builder.healthChecks.add({
    name: 'activity-log',
    // Readiness only, and degraded at worst: uploads and file processing work without the
    // activity log, so its trouble must neither restart the process nor take it out of traffic.
    check: () => activityLog?.health() ?? { status: 'healthy', description: 'Not opened yet' },
    tags: [HealthCheckTags.ready],
  });

  // Cluster mode (REDIS_URL): the shared services first, so that they start before the features
  // and stop after them. Each feature given `cluster` switches to its cluster behaviour.
  let cluster: ClusterWiring | undefined;
  if (options.clusterBackend !== undefined) {
    cluster = addCluster(builder, config, options.clusterBackend);
  } else if (config.redisUrl !== undefined) {
    throw new Error('REDIS_URL is set but no cluster backend was passed to createApp (runSamples passes the Redis one)');
  }
  const clusterDeps = cluster === undefined ? {} : { cluster };

  const features = new Map<ServiceName, FeatureRoutes>();
  if (config.services.has('cleanup')) {
    features.set(
      'cleanup',
      addCleanup(builder, config, { activity: ActivityLogToken, ...clusterDeps, ...(options.cleanup !== undefined && { options: options.cleanup }) }),
    );
  }
  if (config.services.has('weather')) {
    features.set(
      'weather',
      addWeatherCache(builder, config, {
        activity: ActivityLogToken,
        ...clusterDeps,
        ...(options.weatherClient !== undefined && { client: options.weatherClient }),
        ...(runtime.weatherClients !== undefined && { clients: runtime.weatherClients }),
        ...(options.weather !== undefined && { options: options.weather }),
      }),
    );
  }
  if (config.services.has('files')) {
    features.set('files', addFileProcessing(builder, config, { activity: ActivityLogToken, ...clusterDeps }));
  }

  // The HTTP server LAST: it starts when every feature has, and stops first (see HonoServerService).
  const startedAt = builder.timeProvider.timestamp();
  let running = '';
  const app = addHonoServer(builder, {
    port: config.port,
    hostname: '127.0.0.1',
    loggerCategory: 'samples.Http',
    drainDelayMs: config.httpDrainDelayMs,
    // What is left of the budget after the drain delay, with room for the other services' stops.
    drainTimeoutMs: options.httpDrainTimeoutMs ?? Math.min(10_000, Math.max(0, Math.floor((config.shutdownTimeoutMs - config.httpDrainDelayMs) / 2))),
    health: {},
    onListening: (url, logger) => {
      logger.info(`Host started: running ${running} on ${runtime.name}; data in ${config.dataDir}; Ctrl+C stops`);
      // POST routes take a multipart file (the only one is the upload).
      const examples = listEndpoints(app).map((endpoint) => {
        const [method, path] = endpoint.split(' ');
        return method === 'GET' ? `curl ${url}${path}` : `curl -F file=@package.json ${url}${path}`;
      });
      logger.info(`Try: ${examples.join('  |  ')}`);
      activityLog?.write('host', `listening on ${url} with ${running}`);
    },
  });
  // Every request under a server span (a no-op without an OpenTelemetry SDK).
  traceRequests(app);
  // A browser at / gets the status page (curl still gets the JSON list), which polls the snapshot.
  addStatusPageRoutes(app, (c, signal) => {
    const resolver = c.env.scope.get(ServiceResolver);
    return collectStatusSnapshot(
      {
        runtime: runtime.name,
        replica: cluster?.replicaId,
        hostedServices: builder.services.hostedServices,
        resolver,
        healthChecks: resolver.get(HealthCheckServiceToken),
        channels: () => {
          const channel = cluster === undefined ? resolver.tryGet(FileChannelToken) : undefined;
          return channel === undefined ? [] : [{ name: 'files', channel }];
        },
        queues: () => {
          const queue = cluster === undefined ? undefined : resolver.tryGet(cluster.fileQueue);
          return queue === undefined ? [] : [{ name: queue.name, queue }];
        },
      },
      signal,
    );
  });
  addIndexRoute(app);
  // GET /status: each service's state and counters; `http` is the server's own.
  app.get('/status', (c) => {
    const time = c.env.scope.get(TimeProviderToken);
    const services: Record<string, unknown> = { http: c.env.scope.get(HonoServerService).snapshot() };
    for (const name of ['cleanup', 'weather', 'files'] as const) {
      const feature = features.get(name);
      services[name] = feature === undefined ? { state: 'disabled' } : safeStatus(feature);
    }
    return c.json({
      runtime: runtime.name,
      ...(cluster !== undefined && { cluster: { replica: cluster.replicaId } }),
      uptimeMs: Math.round(time.elapsedSince(startedAt)),
      dataDir: config.dataDir,
      services,
      activityLog: activityLog?.counts ?? null,
    });
  });
  for (const feature of features.values()) feature.mount?.(app);
  running = ([...features.keys()].join(', ') || 'no samples') + (cluster === undefined ? '' : ` as cluster replica ${cluster.replicaId}`);
  return builder;
}

/** A feature's status, or the error it threw: GET /status must answer whatever one feature does. */
function safeStatus(feature: FeatureRoutes): Record<string, unknown> {
  try {
    return feature.status?.() ?? {};
  } catch (error) {
    return { state: 'unknown', error: error instanceof Error ? error.message : String(error) };
  }
}
