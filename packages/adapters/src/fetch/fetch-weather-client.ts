import { describeValue } from '@hostkit/core/adapter-kit';
import type { Coordinates, CurrentWeather, DailyForecast, DailyForecastOptions, WeatherClient } from '@hostkit/core/weather';
import { checkIntegerOption, OpenMeteoClient } from '../open-meteo/open-meteo-client.ts';
import { FetchTransport } from './fetch-transport.ts';
import type { FetchWeatherClientOptions } from './fetch-weather-client-options.ts';

/**
 * A {@link WeatherClient} that speaks Open-Meteo's forecast API (`GET /v1/forecast`) over the
 * runtime's `fetch`: the client for Deno, whose native `fetch` is faster there than undici over
 * its `node:net` emulation. The same client as `UndiciWeatherClient` (`@hostkit/adapters/undici`,
 * the one for Node): the same argument checks, retries (429, 5xx, reset connections; `Retry-After`
 * or backoff on the injected clock), size cap, response validation, errors and key redaction;
 * only the transport differs.
 *
 * The caller's signal cancels the request and its body, and the wait between attempts; the call
 * then rejects with `signal.reason`. A body is read to the end or cancelled, so no connection is
 * left stalled.
 *
 * Nothing to close but the client itself: {@link close} makes later calls reject; the
 * connections belong to the runtime's `fetch` (or to the owner of an injected one).
 */
export class FetchWeatherClient implements WeatherClient, AsyncDisposable {
  readonly #client: OpenMeteoClient;

  /**
   * Creates a client over `options.fetch` (the runtime's global `fetch` by default); every option
   * has a default.
   * @throws TypeError when `baseUrl` is not a string, `apiKey` is not a non-empty string, or
   * `fetch` is not a function.
   * @throws RangeError naming the option when `baseUrl`, a timeout, `maxResponseSize`, a unit or
   * a retry option is out of range.
   */
  constructor(options?: FetchWeatherClientOptions) {
    this.#client = new OpenMeteoClient(options, (context) => {
      const fetchFunction: unknown = options?.fetch ?? globalThis.fetch;
      if (typeof fetchFunction !== 'function') {
        throw new TypeError(`Expected fetch to be a function, got ${describeValue(fetchFunction)}`);
      }
      return new FetchTransport(context, {
        fetch: options?.fetch ?? ((url, init) => fetch(url, init)),
        headersTimeout: checkIntegerOption('headersTimeout', options?.headersTimeout, 10_000, 0),
        bodyTimeout: checkIntegerOption('bodyTimeout', options?.bodyTimeout, 10_000, 0),
      });
    });
  }

  /**
   * The conditions now at `location`: `current=temperature_2m,weather_code,wind_speed_10m`.
   * @param signal Cancels the call: the request in flight, its body, and any wait before a retry.
   */
  getCurrent(location: Coordinates, signal?: AbortSignal): Promise<CurrentWeather> {
    return this.#client.getCurrent(location, signal);
  }

  /**
   * The forecast by day at `location`: `daily=temperature_2m_max,temperature_2m_min,
   * precipitation_sum,weather_code&forecast_days=<days>`, checked to hold exactly `days` days.
   * @param signal Cancels the call: the request in flight, its body, and any wait before a retry.
   */
  getDailyForecast(location: Coordinates, options: DailyForecastOptions, signal?: AbortSignal): Promise<DailyForecast> {
    return this.#client.getDailyForecast(location, options, signal);
  }

  /** Makes later calls reject with a `WeatherRequestError`. Idempotent: every call returns the same promise. */
  close(): Promise<void> {
    return this.#client.close();
  }

  /** {@link close}, for `await using client = new FetchWeatherClient()`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.#client.close();
  }
}

/**
 * Creates a {@link FetchWeatherClient}: the factory form, for registering the client with a
 * factory and a dependency list rather than a constructor.
 * @throws as the constructor does, for invalid options.
 */
export function createFetchWeatherClient(options?: FetchWeatherClientOptions): FetchWeatherClient {
  return new FetchWeatherClient(options);
}
