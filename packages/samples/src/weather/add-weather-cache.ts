import {
  HealthCheckTags,
  LoggerFactoryToken,
  MemoryDistributedCache,
  TimeProviderToken,
  type HostApplicationBuilder,
  type Token,
  type WeatherClient,
} from '@hostkit/core';
import { createUndiciWeatherClient } from '@hostkit/adapters/undici';
import type { AppConfig } from '../config/app-config.ts';
import type { ActivityLog } from '../database/activity-log.ts';
import type { FeatureRoutes } from '../http/route.ts';
import { DeferredWeatherClient } from './deferred-weather-client.ts';
import { WeatherCacheService, type WeatherCacheServiceOptions } from './weather-cache-service.ts';
import { createWeatherRoute } from './weather-route.ts';
import { WeatherStubServer } from './weather-stub-server.ts';
import { DistributedCacheToken, WeatherClientToken } from './weather-tokens.ts';

/** What {@link addWeatherCache} needs from the rest of the application. */
export interface WeatherDependencies {
  readonly activity: Token<ActivityLog>;
  /** A client to use instead of Open-Meteo over undici (tests). The stub server is then not started. */
  readonly client?: WeatherClient;
  /** Backoff and timeout overrides (tests). */
  readonly options?: Partial<Pick<WeatherCacheServiceOptions, 'initialBackoffMs' | 'maxBackoffMs' | 'refreshTimeoutMs' | 'days'>>;
}

/**
 * Registers the weather sample: the DistributedCache (in memory), the WeatherClient (undici against
 * WEATHER_API_URL, or against the built-in stub server, started first, when it is unset), the
 * {@link WeatherCacheService} and its `weather` health check; returns GET /weather.
 */
export function addWeatherCache(builder: HostApplicationBuilder, config: AppConfig, deps: WeatherDependencies): FeatureRoutes {
  let service: WeatherCacheService | undefined;
  let stub: WeatherStubServer | undefined;
  const source = deps.client !== undefined ? 'custom client' : (config.weatherApiUrl ?? 'built-in stub');
  builder.services.addSingleton(DistributedCacheToken, [TimeProviderToken], (time) => new MemoryDistributedCache({ timeProvider: time }));
  if (deps.client !== undefined) {
    const client = deps.client;
    builder.services.addSingleton(WeatherClientToken, () => client);
  } else if (config.weatherApiUrl !== undefined) {
    const baseUrl = config.weatherApiUrl;
    builder.services.addSingleton(WeatherClientToken, [TimeProviderToken, LoggerFactoryToken], (time, loggers) =>
      createUndiciWeatherClient({ baseUrl, timeProvider: time, logger: loggers.createLogger('samples.WeatherClient') }),
    );
  } else {
    builder.services.addHostedService(WeatherStubServer, [TimeProviderToken, LoggerFactoryToken], (time, loggers) => {
      stub = new WeatherStubServer(time, loggers.createLogger('samples.WeatherStub'));
      return stub;
    });
    builder.services.addSingleton(WeatherClientToken, [WeatherStubServer, TimeProviderToken, LoggerFactoryToken], (server, time, loggers) =>
      new DeferredWeatherClient(() =>
        createUndiciWeatherClient({ baseUrl: server.url, timeProvider: time, logger: loggers.createLogger('samples.WeatherClient') }),
      ),
    );
  }
  builder.services.addHostedService(
    WeatherCacheService,
    [WeatherClientToken, DistributedCacheToken, TimeProviderToken, LoggerFactoryToken, deps.activity],
    (client, cache, time, loggers, activity) => {
      service = new WeatherCacheService(client, cache, time, loggers.createLogger('samples.Weather'), activity, {
        location: { latitude: config.weatherLatitude, longitude: config.weatherLongitude },
        refreshMs: config.weatherRefreshMs,
        ...deps.options,
      });
      return service;
    },
  );
  builder.healthChecks.add({
    name: 'weather',
    // Degraded at worst: a weather outage is served from the cache, not a reason to restart.
    check: () => service?.health() ?? { status: 'degraded', description: 'Not started yet' },
    tags: [HealthCheckTags.live, HealthCheckTags.ready],
  });
  return {
    routes: [createWeatherRoute(() => service, source)],
    status: () => ({
      ...(service?.snapshot() ?? { state: 'idle' }),
      source,
      ...(stub !== undefined && { stubRequests: stub.requests }),
    }),
  };
}
