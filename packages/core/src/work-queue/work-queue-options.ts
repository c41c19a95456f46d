import { describeValue } from '../internal/describe-value.ts';
import type { WorkQueueOptions } from './work-queue.ts';

/** {@link WorkQueueOptions} after {@link checkWorkQueueOptions}: validated, defaults filled in. */
export interface ResolvedWorkQueueOptions {
  /** Ms a delivered entry stays invisible; finite and > 0. */
  readonly visibilityTimeoutMs: number;
  /** Deliveries before an entry is dead-lettered; an integer >= 1. */
  readonly maxDeliveries: number;
  /** Dead letters kept at most; an integer >= 1. */
  readonly maxDeadLetters: number;
  /** Nack backoff: `initialMs * 2^(deliveryCount - 1)`, capped at `maxMs`; `0 <= initialMs <= maxMs`. */
  readonly retryBackoff: { readonly initialMs: number; readonly maxMs: number };
}

/** The defaults every {@link WorkQueue} implementation uses. */
export const workQueueDefaults: ResolvedWorkQueueOptions = Object.freeze({
  visibilityTimeoutMs: 30_000,
  maxDeliveries: 5,
  maxDeadLetters: 10_000,
  retryBackoff: Object.freeze({ initialMs: 1_000, maxMs: 60_000 }),
});

/**
 * Checks {@link WorkQueueOptions} and fills in {@link workQueueDefaults}. Shared by every
 * implementation, so that they all accept the same options with the same messages.
 * @throws TypeError when `options` is neither an object nor `undefined`, or an option is not a number.
 * @throws RangeError when `visibilityTimeoutMs` is not finite and > 0, `maxDeliveries` or
 *   `maxDeadLetters` not an integer >= 1, or the backoff not `0 <= initialMs <= maxMs` (finite).
 */
export function checkWorkQueueOptions(options: WorkQueueOptions | undefined): ResolvedWorkQueueOptions {
  if (options === undefined) return workQueueDefaults;
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`Expected options to be an object or undefined, got ${describeValue(options)}`);
  }
  const visibilityTimeoutMs = options.visibilityTimeoutMs ?? workQueueDefaults.visibilityTimeoutMs;
  checkNumber('visibilityTimeoutMs', visibilityTimeoutMs);
  if (!(visibilityTimeoutMs > 0) || !Number.isFinite(visibilityTimeoutMs)) {
    throw new RangeError(`Expected visibilityTimeoutMs to be a finite number > 0, got ${describeValue(visibilityTimeoutMs)}`);
  }
  const maxDeliveries = options.maxDeliveries ?? workQueueDefaults.maxDeliveries;
  checkNumber('maxDeliveries', maxDeliveries);
  if (!Number.isSafeInteger(maxDeliveries) || maxDeliveries < 1) {
    throw new RangeError(`Expected maxDeliveries to be an integer >= 1, got ${describeValue(maxDeliveries)}`);
  }
  const maxDeadLetters = options.maxDeadLetters ?? workQueueDefaults.maxDeadLetters;
  checkNumber('maxDeadLetters', maxDeadLetters);
  if (!Number.isSafeInteger(maxDeadLetters) || maxDeadLetters < 1) {
    throw new RangeError(`Expected maxDeadLetters to be an integer >= 1, got ${describeValue(maxDeadLetters)}`);
  }
  const backoff = options.retryBackoff;
  if (backoff !== undefined && (typeof backoff !== 'object' || backoff === null)) {
    throw new TypeError(`Expected retryBackoff to be an object or undefined, got ${describeValue(backoff)}`);
  }
  const initialMs = backoff?.initialMs ?? workQueueDefaults.retryBackoff.initialMs;
  const maxMs = backoff?.maxMs ?? Math.max(initialMs, workQueueDefaults.retryBackoff.maxMs);
  checkDelayMs('retryBackoff.initialMs', initialMs);
  checkDelayMs('retryBackoff.maxMs', maxMs);
  if (maxMs < initialMs) {
    throw new RangeError(`Expected retryBackoff.maxMs to be >= initialMs (${initialMs}), got ${describeValue(maxMs)}`);
  }
  return { visibilityTimeoutMs, maxDeliveries, maxDeadLetters, retryBackoff: { initialMs, maxMs } };
}

/** The delay before redelivering an entry nacked without `delayMs` on its `deliveryCount`-th delivery. */
export function workQueueBackoff(options: ResolvedWorkQueueOptions, deliveryCount: number): number {
  const { initialMs, maxMs } = options.retryBackoff;
  return Math.min(maxMs, initialMs * 2 ** Math.max(0, deliveryCount - 1));
}

/**
 * Checks a delay in ms that may be 0 (`enqueue`'s and `nack`'s `delayMs`).
 * @throws TypeError when `value` is not a number.
 * @throws RangeError when `value` is negative, NaN or infinite.
 */
export function checkDelayMs(what: string, value: unknown): number {
  checkNumber(what, value);
  if (!(value >= 0) || !Number.isFinite(value)) {
    throw new RangeError(`Expected ${what} to be a finite number >= 0, got ${describeValue(value)}`);
  }
  return value;
}

/**
 * Serializes a payload to JSON, as every implementation stores it.
 * @throws TypeError naming the value when it has no JSON form (`undefined`, a function, a
 *   bigint, a cycle); the JSON error, if any, is its `cause`.
 */
export function serializeWorkPayload(payload: unknown): string {
  let json: string | undefined;
  try {
    json = JSON.stringify(payload) as string | undefined;
  } catch (error) {
    throw new TypeError(`Expected payload to have a JSON form, got ${describeValue(payload)}`, { cause: error });
  }
  if (json === undefined) throw new TypeError(`Expected payload to have a JSON form, got ${describeValue(payload)}`);
  return json;
}

/** The text kept with a dead letter for a nack's `reason`: an Error's message, a string as is. */
export function describeNackReason(reason: unknown): string {
  if (reason === undefined) return 'nacked without a reason';
  if (typeof reason === 'string') return reason;
  if (reason instanceof Error) return reason.message === '' ? reason.name : reason.message;
  return describeValue(reason);
}

function checkNumber(what: string, value: unknown): asserts value is number {
  if (typeof value !== 'number') throw new TypeError(`Expected ${what} to be a number, got ${describeValue(value)}`);
}

/**
 * Checks `deadLetters`' query (a number is the limit) and fills in its defaults.
 * @throws TypeError when it is neither a number, an object nor undefined, or `order` is not 'oldest' or 'newest'.
 * @throws RangeError when `limit` is not an integer >= 0.
 */
export function checkDeadLetterQuery(query: unknown): { readonly limit: number; readonly order: 'oldest' | 'newest' } {
  const object = typeof query === 'object' && query !== null ? (query as { limit?: unknown; order?: unknown }) : undefined;
  if (query !== undefined && typeof query !== 'number' && object === undefined) {
    throw new TypeError(`Expected query to be a limit, an object or undefined, got ${describeValue(query)}`);
  }
  const limit = typeof query === 'number' ? query : (object?.limit ?? 100);
  if (typeof limit !== 'number' || !Number.isSafeInteger(limit) || limit < 0) {
    throw new RangeError(`Expected limit to be an integer >= 0, got ${describeValue(limit)}`);
  }
  const order = object?.order ?? 'oldest';
  if (order !== 'oldest' && order !== 'newest') {
    throw new TypeError(`Expected order to be 'oldest' or 'newest', got ${describeValue(order)}`);
  }
  return { limit, order };
}

/**
 * Checks `requeueDeadLetters`' ids.
 * @throws TypeError when `ids` is neither undefined nor an array of strings.
 */
export function checkDeadLetterIds(ids: unknown): readonly string[] | undefined {
  if (ids === undefined) return undefined;
  if (!Array.isArray(ids) || !ids.every((id) => typeof id === 'string')) {
    throw new TypeError(`Expected ids to be an array of strings or undefined, got ${describeValue(ids)}`);
  }
  return ids as string[];
}

/**
 * Serializes every payload of `enqueueMany` before any is enqueued.
 * @throws TypeError when `payloads` is not an array, or naming the first payload without a JSON form.
 */
export function serializeWorkPayloads(payloads: unknown): string[] {
  if (!Array.isArray(payloads)) throw new TypeError(`Expected payloads to be an array, got ${describeValue(payloads)}`);
  return payloads.map((payload) => serializeWorkPayload(payload));
}
