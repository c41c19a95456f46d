import { describeValue } from '../internal/describe-value.ts';

/**
 * Checks a lease name or owner id. Shared by every {@link LeaseStore} implementation, so that they
 * all reject the same arguments with the same messages.
 * @param what The argument's name in the message: `'name'` or `'ownerId'`.
 * @throws TypeError when `value` is not a string.
 * @throws RangeError when `value` is empty.
 */
export function checkLeaseKey(what: string, value: unknown): string {
  if (typeof value !== 'string') {
    throw new TypeError(`Expected ${what} to be a non-empty string, got ${describeValue(value)}`);
  }
  if (value.length === 0) {
    throw new RangeError(`Expected ${what} to be a non-empty string, got ${describeValue(value)}`);
  }
  return value;
}

/**
 * Checks a duration in ms that must be finite and > 0 (a lease's `ttlMs`, an interval).
 * @throws TypeError when `value` is not a number.
 * @throws RangeError when `value` is not finite or not > 0.
 */
export function checkPositiveMs(what: string, value: unknown): number {
  if (typeof value !== 'number') {
    throw new TypeError(`Expected ${what} to be a finite number > 0, got ${describeValue(value)}`);
  }
  if (!(value > 0) || !Number.isFinite(value)) {
    throw new RangeError(`Expected ${what} to be a finite number > 0, got ${describeValue(value)}`);
  }
  return value;
}

/**
 * Checks the name and owner id every {@link LeaseStore} method takes, then that `signal` has not
 * aborted. (`tryAcquire` and `renew` check `ttlMs` with {@link checkPositiveMs} too.)
 * @throws TypeError or RangeError as {@link checkLeaseKey}; `signal.reason` when aborted.
 */
export function checkLeaseArguments(name: unknown, ownerId: unknown, signal?: AbortSignal): void {
  checkLeaseKey('name', name);
  checkLeaseKey('ownerId', ownerId);
  signal?.throwIfAborted();
}
