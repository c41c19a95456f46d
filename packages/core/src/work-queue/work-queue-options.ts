import { describeValue } from '../internal/describe-value.ts';
import type { WorkQueueOptions } from './work-queue.ts';

/** {@link WorkQueueOptions} after {@link checkWorkQueueOptions}: validated, defaults filled in. */
export interface ResolvedWorkQueueOptions {
  /** Ms a delivered entry stays invisible; finite and > 0. */
  readonly visibilityTimeoutMs: number;
  /** Deliveries before an entry is dead-lettered; an integer >= 1. */
  readonly maxDeliveries: number;
  /** Nack backoff: `initialMs * 2^(deliveryCount - 1)`, capped at `maxMs`; `0 <= initialMs <= maxMs`. */
  readonly retryBackoff: { readonly initialMs: number; readonly maxMs: number };
}

/** The defaults every {@link WorkQueue} implementation uses. */
export const workQueueDefaults: ResolvedWorkQueueOptions = Object.freeze({
  visibilityTimeoutMs: 30_000,
  maxDeliveries: 5,
  retryBackoff: Object.freeze({ initialMs: 1_000, maxMs: 60_000 }),
});

/**
 * Checks {@link WorkQueueOptions} and fills in {@link workQueueDefaults}. Shared by every
 * implementation, so that they all accept the same options with the same messages.
 * @throws TypeError when `options` is neither an object nor `undefined`, or an option is not a number.
 * @throws RangeError when `visibilityTimeoutMs` is not finite and > 0, `maxDeliveries` not an
 *   integer >= 1, or the backoff not `0 <= initialMs <= maxMs` (finite).
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
  return { visibilityTimeoutMs, maxDeliveries, retryBackoff: { initialMs, maxMs } };
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
