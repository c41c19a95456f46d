/**
 * Internal: the Open-Meteo weather client, written once over a {@link WeatherTransport}:
 * `UndiciWeatherClient` runs it over undici, `FetchWeatherClient` over the runtime's `fetch`.
 * @module
 */
import { systemTimeProvider, type Logger, type TimeProvider } from '@hostkit/core';
import { describeValue } from '@hostkit/core/adapter-kit';
import {
  checkCoordinates,
  checkForecastDays,
  WeatherApiError,
  WeatherRequestError,
  WeatherResponseError,
  type Coordinates,
  type CurrentWeather,
  type DailyForecast,
  type DailyForecastOptions,
  type WeatherClient,
} from '@hostkit/core/weather';
import { currentWeatherPath, dailyForecastPath, resolveUnits } from './open-meteo-request.ts';
import { type OpenMeteoUnits, readCurrentWeather, readDailyForecast, ResponseProblem } from './open-meteo-response.ts';
import { Redactor } from './redactor.ts';
import { backoffDelay, isRetryableStatus, parseRetryAfter, resolveRetryPolicy, type RetryPolicy } from './retry-policy.ts';
import { defaultWeatherBaseUrl, type WeatherClientOptions } from './weather-client-options.ts';
import { WeatherLogEvents } from './weather-log-events.ts';
import { isTransportFailure, type TransportFailure, type TransportResponse, type WeatherTransport } from './weather-transport.ts';

/** The default of {@link WeatherClientOptions.maxResponseSize}. */
const defaultMaxResponseSize = 1_048_576;

/** Error bodies are read this far for the service's `reason`, then the connection is dropped. */
const errorBodyLimit = 16 * 1024;

/** The longest service `reason` quoted in an error message. */
const maxReasonLength = 300;

/** What one attempt came to: a value, or an error and whether another attempt may succeed. */
type Outcome<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly error: Error; readonly retryable: boolean; readonly retryAfterMs?: number | undefined };

function failure(error: Error, retryable: boolean, retryAfterMs?: number): Outcome<never> {
  return { ok: false, error, retryable, retryAfterMs };
}

/**
 * Checks an integer option.
 * @throws RangeError naming the option, its value and its type.
 */
export function checkIntegerOption(name: string, value: unknown, fallback: number, min: number): number {
  const ms = value ?? fallback;
  if (typeof ms !== 'number' || !Number.isInteger(ms) || ms < min) {
    throw new RangeError(`Expected ${name} to be an integer >= ${min}, got ${describeValue(ms)}`);
  }
  return ms;
}

function isJson(type: string | undefined): boolean {
  return type !== undefined && /[/+]json\b/i.test(type);
}

/** `ENOTFOUND: getaddrinfo ENOTFOUND example.invalid`: the code (if any) and message of a transport error. */
function describeFailure(failure: TransportFailure): string {
  if (failure.detail !== undefined) return failure.detail;
  const { error, code } = failure;
  const message = error instanceof Error ? error.message : String(error);
  return code === undefined ? message : `${code}: ${message}`;
}

/** A request path and what it was built from. */
interface CachedPath {
  readonly latitude: number;
  readonly longitude: number;
  readonly days: number;
  readonly path: string;
}

/** What a transport is made from: the checked origin and size limit. */
export interface TransportContext {
  /** `https://api.open-meteo.com`: scheme, host and port of the base URL. */
  readonly origin: string;
  readonly maxResponseSize: number;
}

/**
 * The client proper: checks arguments, builds the request, reads and validates the response,
 * retries, redacts. See `UndiciWeatherClient` for what each call does.
 */
export class OpenMeteoClient implements WeatherClient, AsyncDisposable {
  readonly #transport: WeatherTransport;
  readonly #origin: string;
  readonly #pathPrefix: string;
  /** Unit and `apikey` parameters appended to every path. */
  readonly #querySuffix: string;
  readonly #units: OpenMeteoUnits;
  readonly #maxResponseSize: number;
  readonly #retry: RetryPolicy;
  readonly #time: TimeProvider;
  readonly #logger: Logger | undefined;
  readonly #redactor: Redactor;
  #closing: Promise<void> | undefined = undefined;
  /**
   * The last path of each kind: a client usually asks about the same place again and again (a
   * periodic refresh), and formatting coordinates costs several percent of a loopback request.
   */
  #currentPath: CachedPath | undefined = undefined;
  #dailyPath: CachedPath | undefined = undefined;

  /**
   * @param createTransport Called last, once every common option has been checked.
   * @throws TypeError when `baseUrl` is not a string or `apiKey` is not a non-empty string.
   * @throws RangeError naming the option when `baseUrl`, `maxResponseSize`, a unit or a retry
   * option is out of range; and whatever `createTransport` throws.
   */
  constructor(options: WeatherClientOptions | undefined, createTransport: (context: TransportContext) => WeatherTransport) {
    const baseUrl: unknown = options?.baseUrl ?? defaultWeatherBaseUrl;
    if (typeof baseUrl !== 'string') throw new TypeError(`Expected baseUrl to be a string, got ${describeValue(baseUrl)}`);
    if (!URL.canParse(baseUrl)) {
      throw new RangeError(`Expected baseUrl to be an absolute http: or https: URL, got ${describeValue(baseUrl)}`);
    }
    const url = new URL(baseUrl);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new RangeError(`Expected baseUrl to be an http: or https: URL, got the protocol ${JSON.stringify(url.protocol)}`);
    }
    if (url.username !== '' || url.password !== '') {
      // The URL is not quoted: it holds a credential.
      throw new RangeError('Expected baseUrl without user info; pass the key as apiKey');
    }
    if (url.search !== '' || url.hash !== '') {
      throw new RangeError(`Expected baseUrl without a query or fragment, got ${JSON.stringify(url.href)}`);
    }
    this.#origin = url.origin;
    this.#pathPrefix = url.pathname.replace(/\/+$/, '');

    const apiKey = options?.apiKey;
    if (apiKey !== undefined && (typeof apiKey !== 'string' || apiKey === '')) {
      // The value is not quoted: it may be a credential of the wrong type.
      throw new TypeError(`Expected apiKey to be a non-empty string, got ${apiKey === '' ? 'an empty string' : `a ${typeof apiKey}`}`);
    }
    this.#redactor = new Redactor(apiKey);
    const units = resolveUnits(options?.units);
    this.#units = units.expected;
    this.#querySuffix = units.query + (apiKey === undefined ? '' : `&apikey=${encodeURIComponent(apiKey)}`);

    this.#maxResponseSize = checkIntegerOption('maxResponseSize', options?.maxResponseSize, defaultMaxResponseSize, 1);
    this.#retry = resolveRetryPolicy(options?.retry);
    this.#time = options?.timeProvider ?? systemTimeProvider;
    this.#logger = options?.logger;
    this.#transport = createTransport({ origin: this.#origin, maxResponseSize: this.#maxResponseSize });
  }

  async getCurrent(location: Coordinates, signal?: AbortSignal): Promise<CurrentWeather> {
    const at = checkCoordinates(location);
    let path = this.#currentPath;
    if (path === undefined || path.latitude !== at.latitude || path.longitude !== at.longitude) {
      path = { latitude: at.latitude, longitude: at.longitude, days: 0, path: currentWeatherPath(this.#pathPrefix, at, this.#querySuffix) };
      this.#currentPath = path;
    }
    return this.#exchange(path.path, signal, (body) => readCurrentWeather(body, this.#units));
  }

  async getDailyForecast(location: Coordinates, options: DailyForecastOptions, signal?: AbortSignal): Promise<DailyForecast> {
    const at = checkCoordinates(location);
    const days = checkForecastDays(options?.days);
    let path = this.#dailyPath;
    if (path === undefined || path.latitude !== at.latitude || path.longitude !== at.longitude || path.days !== days) {
      path = { latitude: at.latitude, longitude: at.longitude, days, path: dailyForecastPath(this.#pathPrefix, at, days, this.#querySuffix) };
      this.#dailyPath = path;
    }
    return this.#exchange(path.path, signal, (body) => readDailyForecast(body, days, this.#units));
  }

  close(): Promise<void> {
    this.#closing ??= this.#transport.close();
    return this.#closing;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /** Attempts until one succeeds, one fails for good, or the retry budget is spent. */
  async #exchange<T>(path: string, signal: AbortSignal | undefined, read: (body: unknown) => T): Promise<T> {
    signal?.throwIfAborted();
    for (let attempt = 1; ; attempt++) {
      if (this.#closing !== undefined) throw new WeatherRequestError('the client is closed', { attempts: attempt - 1 });
      const outcome = await this.#attempt(path, signal, attempt, read);
      if (outcome.ok) return outcome.value;
      const { error, retryable, retryAfterMs } = outcome;
      if (!retryable || attempt >= this.#retry.maxAttempts) throw error;
      // The service's own Retry-After wins over backoff; one longer than maxDelay is not waited for.
      const delay = retryAfterMs ?? backoffDelay(this.#retry, attempt, Math.random());
      if (delay > this.#retry.maxDelay) throw error;
      this.#logger?.warn(
        `Weather request failed (attempt ${attempt} of ${this.#retry.maxAttempts}), retrying in ${delay} ms: ${error.message}`,
        {
          event: WeatherLogEvents.RetryScheduled,
          error,
          url: this.#redactor.text(this.#origin + path),
          attempt,
          maxAttempts: this.#retry.maxAttempts,
          delayMs: delay,
        },
      );
      await this.#time.delay(delay, signal);
    }
  }

  /** One request: send, read, parse. Throws only the signal's reason; every other failure is an outcome. */
  async #attempt<T>(path: string, signal: AbortSignal | undefined, attempt: number, read: (body: unknown) => T): Promise<Outcome<T>> {
    let response: TransportResponse;
    try {
      response = await this.#transport.send(path, signal);
    } catch (error) {
      if (signal?.aborted === true) throw signal.reason;
      if (!isTransportFailure(error)) throw error;
      return this.#transportFailure(error, attempt);
    }
    const status = response.status;

    if (status < 200 || status > 299) {
      const reason = await this.#readReason(response, signal);
      const retryAfterMs = parseRetryAfter(response.header('retry-after'), this.#time.now());
      const error = new WeatherApiError(status, { reason, retryAfterMs, attempts: attempt });
      return failure(error, isRetryableStatus(status), retryAfterMs);
    }

    const limit = this.#maxResponseSize;
    const declared = response.contentLength;
    if (declared !== undefined && declared > limit) {
      response.discard();
      return failure(this.#responseError(`body exceeded ${limit} bytes (content-length: ${declared})`, attempt), false);
    }
    const content = await response.read(limit);
    if (content.kind === 'too-large') return failure(this.#responseError(`body exceeded ${limit} bytes`, attempt), false);
    if (content.kind === 'failed') {
      if (signal?.aborted === true) throw signal.reason;
      return this.#bodyFailure(content.failure, attempt, content.received, declared);
    }

    let json: unknown;
    try {
      json = JSON.parse(content.text);
    } catch (error) {
      const detail = error instanceof Error ? error.message : String(error);
      return failure(this.#responseError(`body is not valid JSON (${detail})`, attempt, error), false);
    }
    try {
      return { ok: true, value: read(json) };
    } catch (error) {
      if (error instanceof ResponseProblem) return failure(this.#responseError(error.message, attempt), false);
      throw error;
    }
  }

  #responseError(problem: string, attempts: number, cause?: unknown): WeatherResponseError {
    return new WeatherResponseError(this.#redactor.text(problem), {
      attempts,
      cause: cause === undefined ? undefined : this.#redactor.error(cause),
    });
  }

  #requestError(problem: string, attempts: number, cause: unknown): WeatherRequestError {
    return new WeatherRequestError(this.#redactor.text(problem), { attempts, cause: this.#redactor.error(cause) });
  }

  /** No response arrived: the request could not be sent, or the response head never came. */
  #transportFailure(problem: TransportFailure, attempt: number): Outcome<never> {
    const { error, code } = problem;
    switch (problem.kind) {
      case 'connect-timeout':
        return failure(this.#requestError(`no connection ${this.#transport.describeLimit('connectTimeout')}`, attempt, error), false);
      case 'headers-timeout':
        return failure(this.#requestError(`no response headers ${this.#transport.describeLimit('headersTimeout')}`, attempt, error), false);
      case 'too-large':
        return failure(this.#responseError(`body exceeded ${this.#maxResponseSize} bytes`, attempt, error), false);
      case 'closed':
        return failure(this.#requestError('the client is closed', attempt, error), false);
      case 'refused':
      case 'reset': {
        const what = problem.kind === 'refused' ? 'the connection was refused' : 'the connection was closed';
        const why = code === undefined ? '' : ` (${code})`;
        return failure(this.#requestError(`${what} before a response arrived${why}`, attempt, error), true);
      }
      default:
        return failure(this.#requestError(describeFailure(problem), attempt, error), false);
    }
  }

  /** The response head arrived, then reading its body failed after `received` bytes (if known). */
  #bodyFailure(problem: TransportFailure, attempt: number, received: number | undefined, declared: number | undefined): Outcome<never> {
    const { error } = problem;
    switch (problem.kind) {
      case 'too-large':
        return failure(this.#responseError(`body exceeded ${this.#maxResponseSize} bytes`, attempt, error), false);
      case 'body-timeout': {
        const limit = this.#transport.describeLimit('bodyTimeout');
        const what =
          received === undefined
            ? `the body did not arrive in full: no end ${limit}`
            : `the body stopped arriving after ${received} bytes: no data ${limit}`;
        return failure(this.#requestError(what, attempt, error), false);
      }
      case 'refused':
      case 'reset': {
        // A cut body is a reset connection: as worth another try as one reset before the head.
        const of = declared === undefined ? '' : ` of ${declared}`;
        const what =
          received === undefined
            ? `body truncated: the connection closed before ${declared === undefined ? 'its end' : `all ${declared} bytes arrived`}`
            : `body truncated: the connection closed after ${received}${of} bytes`;
        return failure(this.#responseError(what, attempt, error), true);
      }
      default: {
        const after = received === undefined ? '' : ` after ${received} bytes`;
        return failure(this.#requestError(`reading the body failed${after}: ${describeFailure(problem)}`, attempt, error), false);
      }
    }
  }

  /**
   * Reads an error response's body for the service's explanation (Open-Meteo sends
   * `{"error":true,"reason":"..."}`), so that the connection can be reused; a body longer than
   * {@link errorBodyLimit} is dropped instead. Only an abort of `signal` is thrown.
   */
  async #readReason(response: TransportResponse, signal: AbortSignal | undefined): Promise<string | undefined> {
    const read = await response.read(errorBodyLimit);
    if (read.kind === 'failed' && signal?.aborted === true) throw signal.reason;
    if (read.kind !== 'complete') return undefined;
    const text = read.text.trim();
    const type = response.header('content-type');
    let reason: string | undefined;
    if (isJson(type)) {
      try {
        const parsed: unknown = JSON.parse(text);
        const value = typeof parsed === 'object' && parsed !== null ? (parsed as { reason?: unknown }).reason : undefined;
        reason = typeof value === 'string' ? value : undefined;
      } catch {
        reason = undefined;
      }
    } else if (type !== undefined && /^text\/plain\b/i.test(type)) {
      reason = text.replace(/\s+/g, ' ');
    }
    if (reason === undefined || reason === '') return undefined;
    const short = reason.length > maxReasonLength ? `${reason.slice(0, maxReasonLength)}…` : reason;
    return this.#redactor.text(short);
  }
}
