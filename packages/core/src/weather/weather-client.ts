import type { Coordinates } from './coordinates.ts';
import type { CurrentWeather } from './current-weather.ts';
import type { DailyForecast, DailyForecastOptions } from './daily-forecast.ts';

/**
 * The port through which hostkit applications read the weather. Core holds only this contract;
 * `@hostkit/adapters/undici` (Node) and `@hostkit/adapters/fetch` (Deno) implement it over HTTP
 * against Open-Meteo's forecast API, and a test can implement it with a plain object.
 *
 * Every method:
 * - checks its arguments first and rejects with a `RangeError` (a value out of range) or a
 *   `TypeError` (a value of the wrong type) naming the bad value, before any request is made (see
 *   `checkCoordinates`, `checkForecastDays`);
 * - rejects with `signal.reason`, unchanged, when `signal` aborts: before the call, while a
 *   request is in flight or while waiting to retry. The signal means "the caller no longer wants
 *   the answer"; nothing is left running after the rejection;
 * - otherwise rejects only with `WeatherApiError` (the service answered with an error status),
 *   `WeatherResponseError` (the answer could not be used) or `WeatherRequestError` (no usable
 *   answer arrived), after whatever retries the implementation makes.
 */
export interface WeatherClient {
  /**
   * The conditions now at `location`.
   * @param signal Cancels the call: the request in flight and any wait before a retry.
   */
  getCurrent(location: Coordinates, signal?: AbortSignal): Promise<CurrentWeather>;

  /**
   * The forecast by day at `location`, today (UTC) first.
   * @param options `days`: how many days, an integer from 1 to 16.
   * @param signal Cancels the call: the request in flight and any wait before a retry.
   */
  getDailyForecast(location: Coordinates, options: DailyForecastOptions, signal?: AbortSignal): Promise<DailyForecast>;
}
