/**
 * When a weather request is tried again, and after how long.
 *
 * Written here rather than taken from undici's `interceptors.retry`, which was considered first:
 * - the unit to retry is the whole exchange (request, body, parse), but the interceptor retries at
 *   the dispatch level and resumes a body cut mid-way with a `Range` request, which Open-Meteo
 *   does not serve for JSON;
 * - its waits run on the global `setTimeout` and its `Retry-After` dates on `Date.now()`; here
 *   they run on the injected `TimeProvider`, so tests drive them with a manual clock;
 * - it caps a long `Retry-After` at its `maxTimeout` and retries sooner than the server asked;
 *   here a longer `Retry-After` ends the retries and is reported (`WeatherApiError.retryAfterMs`);
 * - once retries are exhausted it reports a `RequestRetryError` without the error body, where the
 *   server's `reason` is what a caller needs to read.
 * @module
 */
import { describeValue } from '@hostkit/core/adapter-kit';

/** How a weather request is retried. Every field has a default. */
export interface WeatherRetryOptions {
  /**
   * Requests made at most, the first included: 1 turns retries off.
   * @default 3
   */
  readonly maxAttempts?: number | undefined;
  /**
   * The wait before the first retry, in ms; each later wait doubles, up to {@link maxDelay}.
   * @default 250
   */
  readonly initialDelay?: number | undefined;
  /**
   * The longest wait before a retry, in ms. A `Retry-After` asking for longer is not waited for:
   * the request fails at once with a `WeatherApiError` whose `retryAfterMs` says how long the
   * service wants, so a caller with its own schedule (a periodic job) can honour it.
   * @default 10_000
   */
  readonly maxDelay?: number | undefined;
  /**
   * How much of each backoff wait is random, from 0 to 1: a wait of `d` becomes one between
   * `d * (1 - jitter)` and `d`, so that many clients failing together do not retry in step.
   * A `Retry-After` is honoured exactly, without jitter.
   * @default 0.2
   */
  readonly jitter?: number | undefined;
}

/** {@link WeatherRetryOptions} with every default applied and checked. */
export interface RetryPolicy {
  readonly maxAttempts: number;
  readonly initialDelay: number;
  readonly maxDelay: number;
  readonly jitter: number;
}

function integerAtLeast(name: string, value: unknown, min: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    throw new RangeError(`Expected ${name} to be an integer >= ${min}, got ${describeValue(value)}`);
  }
  return value;
}

/**
 * Applies the defaults and checks the values.
 * @throws RangeError naming the option, its value and its type.
 */
export function resolveRetryPolicy(options: WeatherRetryOptions | undefined): RetryPolicy {
  const maxAttempts = integerAtLeast('retry.maxAttempts', options?.maxAttempts ?? 3, 1);
  const initialDelay = integerAtLeast('retry.initialDelay', options?.initialDelay ?? 250, 0);
  const maxDelay = integerAtLeast('retry.maxDelay', options?.maxDelay ?? 10_000, 0);
  const jitter = options?.jitter ?? 0.2;
  if (typeof jitter !== 'number' || !(jitter >= 0 && jitter <= 1)) {
    throw new RangeError(`Expected retry.jitter to be a number from 0 to 1, got ${describeValue(jitter)}`);
  }
  return { maxAttempts, initialDelay, maxDelay, jitter };
}

/**
 * Statuses worth another try: 429 (rate limited) and every 5xx (the service failed; the request
 * may be fine). Other 4xx mean the request itself is wrong and would fail again.
 */
export function isRetryableStatus(status: number): boolean {
  return status === 429 || (status >= 500 && status <= 599);
}

/**
 * Transport errors worth another try: the connection was reset or refused (a server restarting,
 * a load balancer dropping an idle keep-alive socket just as it was reused) or closed by the
 * other side (undici's `UND_ERR_SOCKET`). Timeouts are not among them: each already cost the
 * caller a full timeout, and retrying would multiply that wait; the caller's own schedule decides.
 */
const retryableCodes: ReadonlySet<string> = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'UND_ERR_SOCKET']);

/** Whether a transport error (by its `code`) is worth another try; see {@link retryableCodes}. */
export function isRetryableCode(code: string | undefined): boolean {
  return code !== undefined && retryableCodes.has(code);
}

/**
 * The wait after failed attempt number `attempt` (1 for the first): `initialDelay * 2^(attempt-1)`,
 * capped at `maxDelay`, minus up to `jitter` of it at random.
 * @param random A number in [0, 1), `Math.random()` unless a test fixes it.
 */
export function backoffDelay(policy: RetryPolicy, attempt: number, random: number): number {
  const base = Math.min(policy.maxDelay, policy.initialDelay * 2 ** (attempt - 1));
  return Math.round(base * (1 - policy.jitter * random));
}

/**
 * Reads a `Retry-After` header: delay-seconds (`120`) or an HTTP date
 * (`Wed, 21 Oct 2026 07:28:00 GMT`), as RFC 9110 section 10.2.3 allows.
 * @param now The current wall-clock time in epoch ms, for a date.
 * @returns the wait in ms (0 for a date in the past), or `undefined` when the header is absent or
 * unreadable: then the usual backoff applies.
 */
export function parseRetryAfter(header: string | string[] | undefined, now: number): number | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  if (value === undefined) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  // All three HTTP date formats (IMF-fixdate, RFC 850, asctime) start with the day's name; the
  // check keeps Date.parse's lenient legacy parsing from reading "-5" or "1.5" as a date.
  const date = /^[A-Za-z]{3}/.test(text) ? Date.parse(text) : Number.NaN;
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}
