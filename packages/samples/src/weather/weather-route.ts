import { sendJson } from '../http/json-response.ts';
import type { Route } from '../http/route.ts';
import type { WeatherCacheService } from './weather-cache-service.ts';

/**
 * GET /weather: the cached forecast as JSON, with when it was fetched and its age (also as the
 * `Age` header, in seconds). While refreshes fail, the last good value is served with
 * `stale: true` and the last error. Before the first successful refresh: 503 with `Retry-After`
 * (seconds until the next attempt).
 */
export function createWeatherRoute(service: () => WeatherCacheService | undefined, source: string): Route {
  return {
    method: 'GET',
    path: '/weather',
    async handle(_request, response, signal) {
      const weather = service();
      const forecast = await weather?.current(signal);
      if (weather === undefined || forecast === undefined) {
        const retryAfterSeconds = Math.ceil((weather?.retryAfterMs() ?? 1_000) / 1_000);
        const lastError = weather?.lastError;
        sendJson(
          response,
          503,
          {
            error: 'not_ready',
            message: lastError === undefined ? 'No forecast has been fetched yet' : `No forecast has been fetched yet: ${lastError.message}`,
            retryAfterSeconds,
          },
          { 'retry-after': String(retryAfterSeconds) },
        );
        return;
      }
      const ageMs = weather.ageOf(forecast);
      const lastError = weather.lastError;
      sendJson(
        response,
        200,
        {
          source,
          key: forecast.key,
          fetchedAt: new Date(forecast.fetchedAt).toISOString(),
          ageMs,
          stale: weather.failing,
          lastError: lastError === undefined ? null : { message: lastError.message, at: new Date(lastError.at).toISOString() },
          location: forecast.location,
          days: forecast.days,
        },
        { age: String(Math.floor(ageMs / 1_000)) },
      );
    },
  };
}
