import { describeValue } from '../internal/describe-value.ts';
import type { DistributedCacheEntryOptions } from './distributed-cache.ts';

/**
 * {@link DistributedCacheEntryOptions} after {@link checkCacheEntryOptions}: validated, the
 * absolute expiration as epoch ms. An implementation stores these; a Redis one maps them to
 * `PXAT` / `PX` and its sliding bookkeeping.
 */
export interface CacheEntryExpiration {
  /** Epoch ms at which the entry expires; in the future when checked. */
  readonly absoluteExpiration: number | undefined;
  /** Ms after the `set` at which the entry expires; finite and > 0. */
  readonly absoluteExpirationRelativeToNow: number | undefined;
  /** Ms without a read or refresh after which the entry expires; finite and > 0. */
  readonly slidingExpiration: number | undefined;
}

/**
 * Checks a cache key. Shared by every {@link DistributedCache} implementation, so that they all
 * reject the same keys with the same messages.
 * @throws TypeError when `key` is not a string.
 * @throws RangeError when `key` is empty.
 */
export function checkCacheKey(key: unknown): string {
  if (typeof key !== 'string') {
    throw new TypeError(`Expected key to be a non-empty string, got ${describeValue(key)}`);
  }
  if (key.length === 0) {
    throw new RangeError(`Expected key to be a non-empty string, got ${describeValue(key)}`);
  }
  return key;
}

/**
 * Checks a value to cache.
 * @throws TypeError when `value` is not a `Uint8Array` (a Node `Buffer` is one).
 */
export function checkCacheValue(value: unknown): Uint8Array {
  if (!(value instanceof Uint8Array)) {
    throw new TypeError(`Expected value to be a Uint8Array, got ${describeValue(value)}`);
  }
  return value;
}

/**
 * Checks entry options against the wall clock `now` (epoch ms) and normalises them.
 * @throws TypeError when `options` is neither an object nor `undefined`, when an option has the
 *   wrong type, or when both `absoluteExpiration` and `absoluteExpirationRelativeToNow` are given.
 * @throws RangeError when `absoluteExpiration` is not after `now`, or when a duration is not a
 *   finite number > 0.
 */
export function checkCacheEntryOptions(options: unknown, now: number): CacheEntryExpiration {
  if (options === undefined) return noExpiration;
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`Expected options to be an object or undefined, got ${describeValue(options)}`);
  }
  const { absoluteExpiration, absoluteExpirationRelativeToNow, slidingExpiration } =
    options as DistributedCacheEntryOptions;
  if (absoluteExpiration !== undefined && absoluteExpirationRelativeToNow !== undefined) {
    throw new TypeError(
      `Expected at most one of absoluteExpiration and absoluteExpirationRelativeToNow, got both ` +
        `(${describeValue(absoluteExpiration)} and ${describeValue(absoluteExpirationRelativeToNow)})`,
    );
  }
  return {
    absoluteExpiration: checkInstant(absoluteExpiration, now),
    absoluteExpirationRelativeToNow: checkDuration('absoluteExpirationRelativeToNow', absoluteExpirationRelativeToNow),
    slidingExpiration: checkDuration('slidingExpiration', slidingExpiration),
  };
}

const noExpiration: CacheEntryExpiration = Object.freeze({
  absoluteExpiration: undefined,
  absoluteExpirationRelativeToNow: undefined,
  slidingExpiration: undefined,
});

function checkInstant(value: unknown, now: number): number | undefined {
  if (value === undefined) return undefined;
  const epoch = value instanceof Date ? value.getTime() : value;
  if (typeof epoch !== 'number' || !Number.isFinite(epoch)) {
    throw new TypeError(
      `Expected absoluteExpiration to be epoch ms (a finite number) or a valid Date, got ${describeValue(value)}`,
    );
  }
  if (!(epoch > now)) {
    throw new RangeError(
      `Expected absoluteExpiration to be in the future (after ${new Date(now).toISOString()}), ` +
        `got ${describeValue(value)}`,
    );
  }
  return epoch;
}

function checkDuration(name: string, value: unknown): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number') {
    throw new TypeError(`Expected ${name} to be a number of ms > 0, got ${describeValue(value)}`);
  }
  if (!(value > 0) || !Number.isFinite(value)) {
    throw new RangeError(`Expected ${name} to be a finite number of ms > 0, got ${describeValue(value)}`);
  }
  return value;
}
