import type { SamplesApp } from '../http/feature-routes.ts';
import type { WeatherCacheService } from './weather-cache-service.ts';

/**
 * GET /weather: the cached forecast as JSON, with when it was fetched and its age (also as the
 * `Age` header, in seconds). While refreshes fail, the last good value is served with
 * `stale: true` and the last error. Before the first successful refresh: 503 with `Retry-After`
 * (seconds until the next attempt).
 */
export function addWeatherRoute(app: SamplesApp, service: () => WeatherCacheService | undefined, source: string): void {
  app.get('/weather', async (c) => {
    const weather = service();
    const forecast = await weather?.current(c.env.signal);
    if (weather === undefined || forecast === undefined) {
      const retryAfterSeconds = Math.ceil((weather?.retryAfterMs() ?? 1_000) / 1_000);
      const lastError = weather?.lastError;
      return c.json(
        {
          error: 'not_ready',
          message: lastError === undefined ? 'No forecast has been fetched yet' : `No forecast has been fetched yet: ${lastError.message}`,
          retryAfterSeconds,
        },
        503,
        { 'retry-after': String(retryAfterSeconds) },
      );
    }
    const ageMs = weather.ageOf(forecast);
    const lastError = weather.lastError;
    return c.json(
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
      200,
      { age: String(Math.floor(ageMs / 1_000)) },
    );
  });
}
