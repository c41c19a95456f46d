import type { Logger, TimeProvider } from '@hostkit/core';
import type { WeatherUnitsOptions } from './open-meteo-request.ts';
import type { WeatherRetryOptions } from './retry-policy.ts';

/** Open-Meteo's free API. The commercial one, which takes {@link WeatherClientOptions.apiKey}, is `https://customer-api.open-meteo.com`. */
export const defaultWeatherBaseUrl = 'https://api.open-meteo.com';

/**
 * The options every Open-Meteo weather client takes, whatever carries its requests
 * (`UndiciWeatherClientOptions` on Node, `FetchWeatherClientOptions` on Deno add their transport's).
 */
export interface WeatherClientOptions {
  /**
   * Where the Open-Meteo API is: an `http:` or `https:` URL, with a path prefix if the API sits
   * behind one (`https://gateway.example/open-meteo`); requests go to `<baseUrl>/v1/forecast`.
   * No query, fragment or user info: the key goes in {@link apiKey}.
   * @default 'https://api.open-meteo.com'
   */
  readonly baseUrl?: string | undefined;
  /**
   * The key of Open-Meteo's commercial API, sent as the `apikey` query parameter. It never appears
   * in an error message, an error's `cause` chain or a log record: URLs and messages that would
   * contain it show `[redacted]` instead.
   * @default undefined: no key (the free API).
   */
  readonly apiKey?: string | undefined;
  /** The units to ask for; results state their unit either way. @default °C, km/h, mm */
  readonly units?: WeatherUnitsOptions | undefined;
  /**
   * The largest body accepted, in bytes; a larger one fails the request with a
   * `WeatherResponseError` ("body exceeded N bytes") and the connection is closed instead of
   * read to the end. Checked against `content-length` before reading and again while reading
   * (chunked bodies too). A 16-day forecast is about 1 KB.
   * @default 1_048_576 (1 MiB)
   */
  readonly maxResponseSize?: number | undefined;
  /** Retries of 429, 5xx and reset connections. @default 3 attempts, 250 ms doubling to at most 10 s, 20 % jitter */
  readonly retry?: WeatherRetryOptions | undefined;
  /**
   * The clock that measures waits between attempts and reads `Retry-After` dates. Tests pass a
   * `ManualTimeProvider`. (Connection timeouts run on the system clock.)
   * @default systemTimeProvider
   */
  readonly timeProvider?: TimeProvider | undefined;
  /**
   * Receives a `warn` record for each retry ({@link WeatherLogEvents.RetryScheduled}), with the
   * URL (key redacted), the attempt, the wait and the error. Failures that end a call are not
   * logged: they reach the caller, who decides.
   * @default undefined: nothing is logged.
   */
  readonly logger?: Logger | undefined;
}
