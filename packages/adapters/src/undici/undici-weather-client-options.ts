import type { Dispatcher } from 'undici';
import type { WeatherClientOptions } from '../open-meteo/weather-client-options.ts';

/**
 * Options of {@link UndiciWeatherClient}: those of every weather client (base URL, key, units,
 * size limit, retries, clock, logger) and undici's. All are optional: `new UndiciWeatherClient()`
 * talks to Open-Meteo's free API with the defaults below.
 *
 * The connection options (timeouts, keep-alive, `allowH2`) configure the Agent the client creates
 * and owns; they cannot be combined with {@link dispatcher}, whose owner configures it.
 */
export interface UndiciWeatherClientOptions extends WeatherClientOptions {
  /**
   * An undici dispatcher to send requests through instead of the client's own Agent: a shared
   * Agent, a ProxyAgent, or a `MockAgent` in tests. The client never closes it; its owner does.
   * Pass it here rather than with `setGlobalDispatcher`: a global dispatcher does not reach every
   * runtime (Deno's `fetch`, for one) and leaks between tests.
   * @default undefined: the client creates an Agent from the options below and closes it in {@link UndiciWeatherClient.close}.
   */
  readonly dispatcher?: Dispatcher | undefined;
  /**
   * Ms allowed to open a connection (TCP and TLS); `0` disables the limit.
   * @default 5_000
   */
  readonly connectTimeout?: number | undefined;
  /**
   * Ms allowed between sending a request and receiving the whole response head; `0` disables
   * the limit. Open-Meteo answers in tens of ms; a service that has not started answering after
   * this long is better reported than waited for.
   *
   * Coarse: undici 8.12 runs this and {@link bodyTimeout} on its "fast timers", which tick about
   * every 500 ms, so a timeout fires up to about a second late (a 50 ms one after about 1 s).
   * @default 10_000
   */
  readonly headersTimeout?: number | undefined;
  /**
   * Ms allowed between two chunks of the body (not for the whole body); `0` disables the limit.
   * Coarse, like {@link headersTimeout}.
   * @default 10_000
   */
  readonly bodyTimeout?: number | undefined;
  /**
   * Ms an idle keep-alive connection stays open for the next request. Below the 5 s that
   * Node's and many other servers keep idle connections, so that the client, not the server, closes
   * them and a request is not sent on a socket the server is closing; a `Keep-Alive: timeout=N`
   * hint from the server lowers it further.
   * @default 4_000
   */
  readonly keepAliveTimeout?: number | undefined;
  /**
   * Whether to speak HTTP/2 with servers that offer it (TLS ALPN). Off by default although undici 8
   * turns it on: the client sends few, small, independent GETs, for which a small HTTP/1.1
   * keep-alive pool is as fast; one HTTP/2 session would put every request on one TCP connection
   * (one lost packet or GOAWAY stalls or fails them all); HTTP/2 runs on Deno's `node:http2`
   * emulation, the least exercised part of that compatibility layer; and only HTTP/1.1 is covered
   * by this adapter's tests (plain-HTTP test servers cannot negotiate HTTP/2).
   * @default false
   */
  readonly allowH2?: boolean | undefined;
}
