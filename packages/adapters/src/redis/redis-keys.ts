import { describeValue } from '@hostkit/core/adapter-kit';

/**
 * Checks a key prefix option.
 * @throws TypeError when it is not a string, or contains `{` or `}` (they would change the hash
 *   tag that keeps a name's keys on one Redis Cluster slot).
 */
export function checkKeyPrefix(value: unknown, fallback: string): string {
  if (value === undefined) return fallback;
  if (typeof value !== 'string' || /[{}]/.test(value)) {
    throw new TypeError(`Expected keyPrefix to be a string without braces, got ${describeValue(value)}`);
  }
  return value;
}

/**
 * Checks a lease or queue name.
 * @throws TypeError when it is not a string; RangeError when empty.
 */
export function checkName(label: string, value: unknown): string {
  if (typeof value !== 'string') throw new TypeError(`Expected ${label} to be a non-empty string, got ${describeValue(value)}`);
  if (value.length === 0) throw new RangeError(`Expected ${label} to be a non-empty string, got ${describeValue(value)}`);
  return value;
}
