import { describeValue } from '@hostkit/core/adapter-kit';
import type { Coordinates, CurrentWeather, DailyForecast, DailyForecastOptions, WeatherClient } from '@hostkit/core/weather';
import { checkIntegerOption, OpenMeteoClient } from '../open-meteo/open-meteo-client.ts';
import type { UndiciWeatherClientOptions } from './undici-weather-client-options.ts';
import { UndiciTransport } from './undici-transport.ts';

/** The connection defaults, documented on {@link UndiciWeatherClientOptions}. */
const defaults = {
  connectTimeout: 5_000,
  headersTimeout: 10_000,
  bodyTimeout: 10_000,
  keepAliveTimeout: 4_000,
} as const;

/** Options that configure the owned Agent, hence meaningless with an injected dispatcher. */
const agentOptions = ['connectTimeout', 'headersTimeout', 'bodyTimeout', 'keepAliveTimeout', 'allowH2'] as const;

type AgentOptionName = (typeof agentOptions)[number];

/**
 * A {@link WeatherClient} that speaks Open-Meteo's forecast API (`GET /v1/forecast`) over undici:
 * the client for Node. On Deno, `FetchWeatherClient` (`@hostkit/adapters/fetch`) is the same
 * client over Deno's native `fetch`, which is faster there than undici over `node:net`.
 *
 * Point {@link UndiciWeatherClientOptions.baseUrl} at the real service, at a commercial endpoint
 * with {@link UndiciWeatherClientOptions.apiKey}, or at anything that speaks the same protocol.
 *
 * Each call:
 * 1. checks its arguments (core's `checkCoordinates` / `checkForecastDays`);
 * 2. sends one GET, through the client's own keep-alive Agent or the injected dispatcher;
 * 3. reads the whole body (at most `maxResponseSize` bytes) and parses and checks it;
 * 4. on a 429, a 5xx or a reset connection, waits (`Retry-After` if the service sent one,
 *    otherwise exponential backoff with jitter, on the injected clock) and goes back to 2, up to
 *    `retry.maxAttempts` requests in all;
 * 5. otherwise resolves, or rejects with a `WeatherApiError`, `WeatherResponseError` or
 *    `WeatherRequestError` whose message, `cause` chain and log records never contain the API key.
 *
 * The caller's signal is passed to undici, which cancels the request and its body; it also
 * cancels the wait between attempts. Every response body is read to the end or destroyed, so no
 * connection is left stalled. When the signal aborts, the call rejects with `signal.reason`.
 *
 * The client owns the Agent it creates: {@link close} (or `await using`) closes it, after
 * in-flight requests finish. An injected dispatcher is left to its owner.
 */
export class UndiciWeatherClient implements WeatherClient, AsyncDisposable {
  readonly #client: OpenMeteoClient;

  /**
   * Creates a client with its own keep-alive Agent, or over `options.dispatcher`; every option has a default.
   * @throws TypeError when `baseUrl` is not a string, `apiKey` is not a non-empty string, or
   * connection options are given with `dispatcher`.
   * @throws RangeError naming the option when `baseUrl`, a timeout, `maxResponseSize`, a unit or
   * a retry option is out of range.
   */
  constructor(options?: UndiciWeatherClientOptions) {
    this.#client = new OpenMeteoClient(options, (context) => {
      if (options?.dispatcher !== undefined) {
        const conflicting = agentOptions.filter((name: AgentOptionName) => options[name] !== undefined);
        if (conflicting.length > 0) {
          throw new TypeError(
            `${conflicting.join(', ')} configure${conflicting.length === 1 ? 's' : ''} the client's own Agent and cannot be combined with dispatcher: configure the dispatcher instead`,
          );
        }
        return new UndiciTransport(context, { dispatcher: options.dispatcher });
      }
      const allowH2 = options?.allowH2 ?? false;
      if (typeof allowH2 !== 'boolean') throw new TypeError(`Expected allowH2 to be a boolean, got ${describeValue(allowH2)}`);
      return new UndiciTransport(context, {
        agent: {
          connectTimeout: checkIntegerOption('connectTimeout', options?.connectTimeout, defaults.connectTimeout, 0),
          headersTimeout: checkIntegerOption('headersTimeout', options?.headersTimeout, defaults.headersTimeout, 0),
          bodyTimeout: checkIntegerOption('bodyTimeout', options?.bodyTimeout, defaults.bodyTimeout, 0),
          keepAliveTimeout: checkIntegerOption('keepAliveTimeout', options?.keepAliveTimeout, defaults.keepAliveTimeout, 1),
          // Enforced by the Agent, chunked bodies too, and again while reading.
          maxResponseSize: context.maxResponseSize,
          allowH2,
        },
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

  /**
   * Closes the Agent the client created, once the requests in flight have finished; later calls
   * reject with a `WeatherRequestError`. An injected dispatcher is not closed. Idempotent: every
   * call returns the same promise.
   */
  close(): Promise<void> {
    return this.#client.close();
  }

  /** {@link close}, for `await using client = new UndiciWeatherClient()`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.#client.close();
  }
}

/**
 * Creates an {@link UndiciWeatherClient}: the factory form, for registering the client with a
 * factory and a dependency list rather than a constructor.
 * @throws as the constructor does, for invalid options.
 */
export function createUndiciWeatherClient(options?: UndiciWeatherClientOptions): UndiciWeatherClient {
  return new UndiciWeatherClient(options);
}
