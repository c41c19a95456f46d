import type { WeatherClientOptions } from '../open-meteo/weather-client-options.ts';
import type { FetchFunction } from './fetch-transport.ts';

/**
 * Options of {@link FetchWeatherClient}: those of every weather client (base URL, key, units,
 * size limit, retries, clock, logger) and the two timeouts that `fetch` lacks. All are optional:
 * `new FetchWeatherClient()` talks to Open-Meteo's free API through the global `fetch`.
 *
 * The connections and their keep-alive are the runtime's `fetch` pool's: there is no Agent to
 * configure (pass {@link fetch} to use a client of your own, such as a `Deno.HttpClient`).
 */
export interface FetchWeatherClientOptions extends WeatherClientOptions {
  /**
   * The `fetch` to send with, called as `fetch(url, init)`: e.g.
   * `(url, init) => fetch(url, { ...init, client })` for a `Deno.HttpClient` with a proxy or its
   * own pool. The client never closes what it uses; its owner does.
   * @default globalThis.fetch
   */
  readonly fetch?: FetchFunction | undefined;
  /**
   * Ms allowed between sending a request and receiving the whole response head, opening the
   * connection included (`fetch` does not tell the two apart); `0` disables the limit. Measured by
   * a timer of the client's own, on the system clock, which aborts the request when it fires.
   * @default 10_000
   */
  readonly headersTimeout?: number | undefined;
  /**
   * Ms allowed between two chunks of the body (not for the whole body); `0` disables the limit.
   * @default 10_000
   */
  readonly bodyTimeout?: number | undefined;
}
