import {
  HealthCheckTags,
  LoggerFactoryToken,
  MemoryDistributedCache,
  TimeProviderToken,
  type HostApplicationBuilder,
  type Token,
} from '@hostkit/core';
import { type WeatherClient } from '@hostkit/core/weather';
import { createUndiciWeatherClient, type WeatherClientOptions } from '@hostkit/adapters/undici';
import type { ClusterWiring } from '../cluster/cluster-tokens.ts';
import type { AppConfig } from '../config/app-config.ts';
import type { ActivityLog } from '../database/activity-log.ts';
import type { FeatureRoutes } from '../http/feature-routes.ts';
import { DeferredWeatherClient } from './deferred-weather-client.ts';
import { WeatherCacheService, type WeatherCacheServiceOptions } from './weather-cache-service.ts';
import { addWeatherRoute } from './weather-route.ts';
import { WeatherStubServer } from './weather-stub-server.ts';
import { DistributedCacheToken, WeatherClientToken } from './weather-tokens.ts';

/**
 * How the runtime reaches Open-Meteo: undici on Node (`@hostkit/adapters/undici`), the runtime's
 * native `fetch` on Deno (`@hostkit/adapters/fetch`), where undici runs over the `node:net`
 * emulation and is slower. The same client either way; only the transport differs.
 */
export interface WeatherClientFactory {
  /** Shown in /status: `undici` or `fetch`. */
  readonly transport: string;
  create(options: WeatherClientOptions): WeatherClient & AsyncDisposable;
}

/** The Node choice, and the default. */
export const undiciWeatherClients: WeatherClientFactory = { transport: 'undici', create: createUndiciWeatherClient };

/** What {@link addWeatherCache} needs from the rest of the application. */
export interface WeatherDependencies {
  /** How to make the Open-Meteo client. @default undiciWeatherClients */
  readonly clients?: WeatherClientFactory | undefined;
  readonly activity: Token<ActivityLog>;
  /** A client to use instead of Open-Meteo over undici (tests). The stub server is then not started. */
  readonly client?: WeatherClient;
  /** Backoff and timeout overrides (tests). */
  readonly options?: Partial<Pick<WeatherCacheServiceOptions, 'initialBackoffMs' | 'maxBackoffMs' | 'refreshTimeoutMs' | 'days'>>;
  /**
   * Cluster mode: the forecast lives in the shared cache, and only the replica holding the
   * `samples:weather` lease refreshes it; every replica serves GET /weather from the cache.
   */
  readonly cluster?: ClusterWiring | undefined;
}

/**
 * Registers the weather sample: the DistributedCache (in memory), the WeatherClient (Open-Meteo over
 * `deps.clients`, undici by default, against
 * WEATHER_API_URL, or against the built-in stub server, started first, when it is unset), the
 * {@link WeatherCacheService} and its `weather` health check; returns GET /weather.
 */
export function addWeatherCache(builder: HostApplicationBuilder, config: AppConfig, deps: WeatherDependencies): FeatureRoutes {
  let service: WeatherCacheService | undefined;
  let stub: WeatherStubServer | undefined;
  const source = deps.client !== undefined ? 'custom client' : (config.weatherApiUrl ?? 'built-in stub');
  const cluster = deps.cluster;
  const clients = deps.clients ?? undiciWeatherClients;
  if (cluster === undefined) {
    builder.services.addSingleton(DistributedCacheToken, [TimeProviderToken], (time) => new MemoryDistributedCache({ timeProvider: time }));
  } else {
    builder.services.addSingleton(DistributedCacheToken, [cluster.cache], (cache) => cache);
  }
  if (deps.client !== undefined) {
    const client = deps.client;
    builder.services.addSingleton(WeatherClientToken, () => client);
  } else if (config.weatherApiUrl !== undefined) {
    const baseUrl = config.weatherApiUrl;
    builder.services.addSingleton(WeatherClientToken, [TimeProviderToken, LoggerFactoryToken], (time, loggers) =>
      clients.create({ baseUrl, timeProvider: time, logger: loggers.createLogger('samples.WeatherClient') }),
    );
  } else {
    builder.services.addHostedService(WeatherStubServer, [TimeProviderToken, LoggerFactoryToken], (time, loggers) => {
      stub = new WeatherStubServer(time, loggers.createLogger('samples.WeatherStub'));
      return stub;
    });
    builder.services.addSingleton(WeatherClientToken, [WeatherStubServer, TimeProviderToken, LoggerFactoryToken], (server, time, loggers) =>
      new DeferredWeatherClient(() =>
        clients.create({ baseUrl: server.url, timeProvider: time, logger: loggers.createLogger('samples.WeatherClient') }),
      ),
    );
  }
  const serviceOptions = {
    location: { latitude: config.weatherLatitude, longitude: config.weatherLongitude },
    refreshMs: config.weatherRefreshMs,
    ...deps.options,
  };
  if (cluster === undefined) {
    builder.services.addHostedService(
      WeatherCacheService,
      [WeatherClientToken, DistributedCacheToken, TimeProviderToken, LoggerFactoryToken, deps.activity],
      (client, cache, time, loggers, activity) => {
        service = new WeatherCacheService(client, cache, time, loggers.createLogger('samples.Weather'), activity, serviceOptions);
        return service;
      },
    );
  } else {
    builder.services.addHostedService(
      WeatherCacheService,
      [WeatherClientToken, DistributedCacheToken, TimeProviderToken, LoggerFactoryToken, deps.activity, cluster.lock, cluster.runs],
      (client, cache, time, loggers, activity, lock, runs) => {
        service = new WeatherCacheService(client, cache, time, loggers.createLogger('samples.Weather'), activity, {
          ...serviceOptions,
          cluster: { lock, runs, leaseTtlMs: cluster.leaseTtlMs, replicaId: cluster.replicaId },
        });
        return service;
      },
    );
  }
  builder.healthChecks.add({
    name: 'weather',
    // Degraded at worst: a weather outage is served from the cache, not a reason to restart.
    check: () => service?.health() ?? { status: 'degraded', description: 'Not started yet' },
    tags: [HealthCheckTags.live, HealthCheckTags.ready],
  });
  return {
    mount: (app) => addWeatherRoute(app, () => service, source),
    status: () => ({
      ...(service?.snapshot() ?? { state: 'idle' }),
      source,
      ...(deps.client === undefined && { transport: clients.transport }),
      ...(stub !== undefined && { stubRequests: stub.requests }),
    }),
  };
}
