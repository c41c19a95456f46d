import { describe, expect, it } from 'vitest';
import { backoffDelay, isRetryableStatus, parseRetryAfter, resolveRetryPolicy } from '../../src/open-meteo/retry-policy.ts';

describe('parseRetryAfter', () => {
  const now = Date.UTC(2026, 10, 21, 12, 0, 0);

  it('reads delay-seconds as ms when the header is a number', () => {
    expect(parseRetryAfter('120', now)).toBe(120_000);
    expect(parseRetryAfter(' 0 ', now)).toBe(0);
  });

  it('reads the wait until an HTTP date when the header is a date', () => {
    expect(parseRetryAfter('Sat, 21 Nov 2026 12:00:30 GMT', now)).toBe(30_000);
  });

  it('waits 0 ms when the date has passed', () => {
    expect(parseRetryAfter('Sat, 21 Nov 2026 11:59:00 GMT', now)).toBe(0);
  });

  it('returns undefined when the header is absent or unreadable, so backoff applies', () => {
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter('-5', now)).toBeUndefined();
    expect(parseRetryAfter('1.5', now)).toBeUndefined();
  });

  it('uses the first value when the header is repeated', () => {
    expect(parseRetryAfter(['3', '9'], now)).toBe(3_000);
  });
});

describe('backoffDelay', () => {
  const policy = resolveRetryPolicy({ initialDelay: 100, maxDelay: 1_000, jitter: 0.5 });

  it('doubles per attempt up to maxDelay when random is 0', () => {
    expect([1, 2, 3, 4, 5, 6].map((attempt) => backoffDelay(policy, attempt, 0))).toEqual([100, 200, 400, 800, 1_000, 1_000]);
  });

  it('takes off at most the jitter share when random approaches 1', () => {
    expect(backoffDelay(policy, 3, 0.999_999)).toBe(200);
    expect(backoffDelay(policy, 3, 0.5)).toBe(300);
  });
});

describe('resolveRetryPolicy', () => {
  it('applies the documented defaults when no options are given', () => {
    expect(resolveRetryPolicy(undefined)).toEqual({ maxAttempts: 3, initialDelay: 250, maxDelay: 10_000, jitter: 0.2 });
  });
});

describe('isRetryableStatus', () => {
  it('is true for 429 and 5xx and false when the status is anything else', () => {
    expect([429, 500, 502, 503, 504, 599].every(isRetryableStatus)).toBe(true);
    expect([200, 304, 400, 401, 403, 404, 409, 422, 600].some(isRetryableStatus)).toBe(false);
  });
});
