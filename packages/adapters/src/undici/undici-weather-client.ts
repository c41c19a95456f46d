import { systemTimeProvider, type Logger, type TimeProvider } from '@hostkit/core';
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
import { describeValue } from '@hostkit/core/adapter-kit';
import { Agent, type Dispatcher } from 'undici';
import { currentWeatherPath, dailyForecastPath, resolveUnits } from './open-meteo-request.ts';
import { type OpenMeteoUnits, readCurrentWeather, readDailyForecast, ResponseProblem } from './open-meteo-response.ts';
import { readBody } from './read-body.ts';
import { Redactor } from './redactor.ts';
import {
  backoffDelay,
  isRetryableCode,
  isRetryableStatus,
  parseRetryAfter,
  resolveRetryPolicy,
  type RetryPolicy,
} from './retry-policy.ts';
import { defaultWeatherBaseUrl, type UndiciWeatherClientOptions } from './undici-weather-client-options.ts';
import { WeatherLogEvents } from './weather-log-events.ts';

/** The connection defaults, documented on {@link UndiciWeatherClientOptions}. */
const defaults = {
  connectTimeout: 5_000,
  headersTimeout: 10_000,
  bodyTimeout: 10_000,
  keepAliveTimeout: 4_000,
  maxResponseSize: 1_048_576,
} as const;

/** Options that configure the owned Agent, hence meaningless with an injected dispatcher. */
const agentOptions = ['connectTimeout', 'headersTimeout', 'bodyTimeout', 'keepAliveTimeout', 'allowH2'] as const;

type AgentOptionName = (typeof agentOptions)[number];

/** Error bodies are read this far for the service's `reason`, then the connection is dropped. */
const errorBodyLimit = 16 * 1024;

/** The longest service `reason` quoted in an error message. */
const maxReasonLength = 300;

const requestHeaders: Readonly<Record<string, string>> = Object.freeze({ accept: 'application/json' });

type BodyStream = Dispatcher.ResponseData['body'];

/** What one attempt came to: a value, or an error and whether another attempt may succeed. */
type Outcome<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly error: Error; readonly retryable: boolean; readonly retryAfterMs?: number | undefined };

function failure(error: Error, retryable: boolean, retryAfterMs?: number): Outcome<never> {
  return { ok: false, error, retryable, retryAfterMs };
}

function checkInteger(name: string, value: unknown, fallback: number, min: number): number {
  const ms = value ?? fallback;
  if (typeof ms !== 'number' || !Number.isInteger(ms) || ms < min) {
    throw new RangeError(`Expected ${name} to be an integer >= ${min}, got ${describeValue(ms)}`);
  }
  return ms;
}

function codeOf(error: unknown): string | undefined {
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  return typeof code === 'string' ? code : undefined;
}

function contentLengthOf(headers: Dispatcher.ResponseData['headers']): number | undefined {
  const header = headers['content-length'];
  const value = Array.isArray(header) ? header[0] : header;
  if (value === undefined || !/^\d+$/.test(value)) return undefined;
  return Number(value);
}

function isJson(headers: Dispatcher.ResponseData['headers']): boolean {
  const type = headers['content-type'];
  return typeof type === 'string' && /[/+]json\b/i.test(type);
}

/**
 * A {@link WeatherClient} that speaks Open-Meteo's forecast API (`GET /v1/forecast`) over undici.
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
  readonly #dispatcher: Dispatcher;
  readonly #ownsDispatcher: boolean;
  readonly #origin: string;
  readonly #pathPrefix: string;
  /** Unit and `apikey` parameters appended to every path. */
  readonly #querySuffix: string;
  readonly #units: OpenMeteoUnits;
  readonly #maxResponseSize: number;
  /** The owned Agent's timeouts, for messages; `undefined` with an injected dispatcher. */
  readonly #timeouts: Readonly<Record<'connectTimeout' | 'headersTimeout' | 'bodyTimeout', number>> | undefined;
  readonly #retry: RetryPolicy;
  readonly #time: TimeProvider;
  readonly #logger: Logger | undefined;
  readonly #redactor: Redactor;
  #closing: Promise<void> | undefined = undefined;

  /**
   * @throws TypeError when `baseUrl` is not a string, `apiKey` is not a non-empty string, or
   * connection options are given with `dispatcher`.
   * @throws RangeError naming the option when `baseUrl`, a timeout, `maxResponseSize`, a unit or
   * a retry option is out of range.
   */
  constructor(options?: UndiciWeatherClientOptions) {
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

    this.#maxResponseSize = checkInteger('maxResponseSize', options?.maxResponseSize, defaults.maxResponseSize, 1);
    this.#retry = resolveRetryPolicy(options?.retry);
    this.#time = options?.timeProvider ?? systemTimeProvider;
    this.#logger = options?.logger;

    if (options?.dispatcher !== undefined) {
      const conflicting = agentOptions.filter((name: AgentOptionName) => options[name] !== undefined);
      if (conflicting.length > 0) {
        throw new TypeError(
          `${conflicting.join(', ')} configure${conflicting.length === 1 ? 's' : ''} the client's own Agent and cannot be combined with dispatcher: configure the dispatcher instead`,
        );
      }
      this.#dispatcher = options.dispatcher;
      this.#ownsDispatcher = false;
      this.#timeouts = undefined;
    } else {
      const allowH2 = options?.allowH2 ?? false;
      if (typeof allowH2 !== 'boolean') throw new TypeError(`Expected allowH2 to be a boolean, got ${describeValue(allowH2)}`);
      const timeouts = {
        connectTimeout: checkInteger('connectTimeout', options?.connectTimeout, defaults.connectTimeout, 0),
        headersTimeout: checkInteger('headersTimeout', options?.headersTimeout, defaults.headersTimeout, 0),
        bodyTimeout: checkInteger('bodyTimeout', options?.bodyTimeout, defaults.bodyTimeout, 0),
      };
      this.#timeouts = timeouts;
      this.#dispatcher = new Agent({
        ...timeouts,
        keepAliveTimeout: checkInteger('keepAliveTimeout', options?.keepAliveTimeout, defaults.keepAliveTimeout, 1),
        maxResponseSize: this.#maxResponseSize,
        allowH2,
      });
      this.#ownsDispatcher = true;
    }
  }

  /**
   * The conditions now at `location`: `current=temperature_2m,weather_code,wind_speed_10m`.
   * @param signal Cancels the call: the request in flight, its body, and any wait before a retry.
   */
  async getCurrent(location: Coordinates, signal?: AbortSignal): Promise<CurrentWeather> {
    const at = checkCoordinates(location);
    return this.#exchange(currentWeatherPath(this.#pathPrefix, at, this.#querySuffix), signal, (body) =>
      readCurrentWeather(body, this.#units),
    );
  }

  /**
   * The forecast by day at `location`: `daily=temperature_2m_max,temperature_2m_min,
   * precipitation_sum,weather_code&forecast_days=<days>`, checked to hold exactly `days` days.
   * @param signal Cancels the call: the request in flight, its body, and any wait before a retry.
   */
  async getDailyForecast(location: Coordinates, options: DailyForecastOptions, signal?: AbortSignal): Promise<DailyForecast> {
    const at = checkCoordinates(location);
    const days = checkForecastDays(options?.days);
    return this.#exchange(dailyForecastPath(this.#pathPrefix, at, days, this.#querySuffix), signal, (body) =>
      readDailyForecast(body, days, this.#units),
    );
  }

  /**
   * Closes the Agent the client created, once the requests in flight have finished; later calls
   * reject with a `WeatherRequestError`. An injected dispatcher is not closed. Idempotent: every
   * call returns the same promise.
   */
  close(): Promise<void> {
    this.#closing ??= this.#ownsDispatcher ? this.#dispatcher.close() : Promise.resolve();
    return this.#closing;
  }

  /** {@link close}, for `await using client = new UndiciWeatherClient()`. */
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
    let response: Dispatcher.ResponseData;
    try {
      response = await this.#dispatcher.request({
        origin: this.#origin,
        path,
        method: 'GET',
        headers: requestHeaders,
        signal: signal ?? null,
      });
    } catch (error) {
      if (signal?.aborted === true) throw signal.reason;
      return this.#transportFailure(error, attempt);
    }
    const { statusCode, headers, body } = response;

    if (statusCode < 200 || statusCode > 299) {
      const reason = await this.#readReason(body, headers, signal);
      const retryAfterMs = parseRetryAfter(headers['retry-after'], this.#time.now());
      const error = new WeatherApiError(statusCode, { reason, retryAfterMs, attempts: attempt });
      return failure(error, isRetryableStatus(statusCode), retryAfterMs);
    }

    const limit = this.#maxResponseSize;
    const declared = contentLengthOf(headers);
    if (declared !== undefined && declared > limit) {
      // Destroying instead of reading closes the connection: cheaper than draining a huge body.
      body.on('error', ignore).destroy();
      return failure(this.#responseError(`body exceeded ${limit} bytes (content-length: ${declared})`, attempt), false);
    }
    const content = await readBody(body, limit);
    if (content.kind === 'too-large') return failure(this.#responseError(`body exceeded ${limit} bytes`, attempt), false);
    if (content.kind === 'failed') {
      if (signal?.aborted === true) throw signal.reason;
      return this.#bodyFailure(content.error, attempt, content.received, declared);
    }

    let json: unknown;
    try {
      json = JSON.parse(content.bytes.toString('utf8'));
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

  /** `within 50 ms (headersTimeout)` for the owned Agent; the injected dispatcher's values are unknown. */
  #limit(name: 'connectTimeout' | 'headersTimeout' | 'bodyTimeout'): string {
    return this.#timeouts === undefined ? `within the dispatcher's ${name}` : `within ${this.#timeouts[name]} ms (${name})`;
  }

  /** No response arrived: the request could not be sent, or the response head never came. */
  #transportFailure(error: unknown, attempt: number): Outcome<never> {
    const code = codeOf(error);
    switch (code) {
      case 'UND_ERR_CONNECT_TIMEOUT':
        return failure(this.#requestError(`no connection ${this.#limit('connectTimeout')}`, attempt, error), false);
      case 'UND_ERR_HEADERS_TIMEOUT':
        return failure(this.#requestError(`no response headers ${this.#limit('headersTimeout')}`, attempt, error), false);
      case 'UND_ERR_RES_EXCEEDED_MAX_SIZE':
        return failure(this.#responseError(`body exceeded ${this.#maxResponseSize} bytes`, attempt, error), false);
      case 'UND_ERR_CLOSED':
      case 'UND_ERR_DESTROYED':
        return failure(this.#requestError('the client is closed', attempt, error), false);
      default:
        if (isRetryableCode(code)) {
          const what = code === 'ECONNREFUSED' ? 'the connection was refused' : 'the connection was closed';
          return failure(this.#requestError(`${what} before a response arrived (${code})`, attempt, error), true);
        }
        return failure(this.#requestError(describeError(error), attempt, error), false);
    }
  }

  /** The response head arrived, then reading its body failed after `received` bytes. */
  #bodyFailure(error: unknown, attempt: number, received: number, declared: number | undefined): Outcome<never> {
    const code = codeOf(error);
    if (code === 'UND_ERR_RES_EXCEEDED_MAX_SIZE') {
      return failure(this.#responseError(`body exceeded ${this.#maxResponseSize} bytes`, attempt, error), false);
    }
    if (code === 'UND_ERR_BODY_TIMEOUT') {
      const problem = `the body stopped arriving after ${received} bytes: no data ${this.#limit('bodyTimeout')}`;
      return failure(this.#requestError(problem, attempt, error), false);
    }
    if (isRetryableCode(code) || code === 'UND_ERR_RES_CONTENT_LENGTH_MISMATCH') {
      // A cut body is a reset connection: as worth another try as one reset before the head.
      const of = declared === undefined ? '' : ` of ${declared}`;
      return failure(this.#responseError(`body truncated: the connection closed after ${received}${of} bytes`, attempt, error), true);
    }
    return failure(this.#requestError(`reading the body failed after ${received} bytes: ${describeError(error)}`, attempt, error), false);
  }

  /**
   * Reads an error response's body for the service's explanation (Open-Meteo sends
   * `{"error":true,"reason":"..."}`), so that the connection can be reused; a body longer than
   * {@link errorBodyLimit} is destroyed instead. Only an abort of `signal` is thrown.
   */
  async #readReason(body: BodyStream, headers: Dispatcher.ResponseData['headers'], signal: AbortSignal | undefined): Promise<string | undefined> {
    const read = await readBody(body, errorBodyLimit);
    if (read.kind === 'failed' && signal?.aborted === true) throw signal.reason;
    if (read.kind !== 'complete') return undefined;
    const text = read.bytes.toString('utf8').trim();
    let reason: string | undefined;
    if (isJson(headers)) {
      try {
        const parsed: unknown = JSON.parse(text);
        const value = typeof parsed === 'object' && parsed !== null ? (parsed as { reason?: unknown }).reason : undefined;
        reason = typeof value === 'string' ? value : undefined;
      } catch {
        reason = undefined;
      }
    } else if (/^text\/plain\b/i.test(String(headers['content-type']))) {
      reason = text.replace(/\s+/g, ' ');
    }
    if (reason === undefined || reason === '') return undefined;
    const short = reason.length > maxReasonLength ? `${reason.slice(0, maxReasonLength)}…` : reason;
    return this.#redactor.text(short);
  }
}

function ignore(): void {
  // A destroyed body may still emit the error it was destroyed with; nothing waits for it.
}

/** `ENOTFOUND: getaddrinfo ENOTFOUND example.invalid`: the code (if any) and message of a transport error. */
function describeError(error: unknown): string {
  const code = codeOf(error);
  const message = error instanceof Error ? error.message : String(error);
  return code === undefined ? message : `${code}: ${message}`;
}

/**
 * Creates an {@link UndiciWeatherClient}: the factory form, for registering the client with a
 * factory and a dependency list rather than a constructor.
 * @throws as the constructor does, for invalid options.
 */
export function createUndiciWeatherClient(options?: UndiciWeatherClientOptions): UndiciWeatherClient {
  return new UndiciWeatherClient(options);
}
