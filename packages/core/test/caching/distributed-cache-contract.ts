/**
 * The behaviour every DistributedCache implementation shares, as a suite any implementation's
 * tests can run (as .NET's ChannelTestBase runs against each channel type): the in-memory cache
 * here, a Redis-backed one later.
 *
 * The suite needs a fresh, empty cache per test and a way to move that cache's time forward. For
 * MemoryDistributedCache that is a ManualTimeProvider; an implementation on a real server may
 * advance by sleeping (durations here are at most a few seconds, in whole multiples of 100 ms).
 */
import { describe, expect, it } from 'vitest';
import { getJson, setJson } from '../../src/caching/index.ts';
import type { DistributedCache } from '../../src/caching/index.ts';

/** One test's cache and its clock. */
export interface DistributedCacheFixture {
  readonly cache: DistributedCache;
  /** The cache's wall clock, epoch ms: what `absoluteExpiration` is compared with. */
  readonly now: () => number;
  /** Moves the cache's time forward by `ms` (a ManualTimeProvider's `advance`). */
  readonly advance: (ms: number) => Promise<void>;
  /** Releases the cache, if it holds anything (connections). */
  readonly dispose?: () => Promise<void>;
}

const bytes = (...values: number[]): Uint8Array => new Uint8Array(values);

/**
 * Defines the contract tests for one implementation.
 * @param name Shown in the test names, e.g. `'MemoryDistributedCache'`.
 * @param setup Creates an empty cache and its clock; called once per test.
 */
// Reads "within a window" come 300 ms or more before its end: the Redis suite advances time by
// sleeping, and a loaded machine delays a round trip by more than the 100 ms these tests once left.
export function describeDistributedCacheContract(
  name: string,
  setup: () => DistributedCacheFixture | Promise<DistributedCacheFixture>,
): void {
  /** Runs `body` with a fresh fixture, disposing it afterwards whatever happens. */
  const withCache = (body: (fixture: DistributedCacheFixture) => Promise<void>) => async (): Promise<void> => {
    const fixture = await setup();
    try {
      await body(fixture);
    } finally {
      await fixture.dispose?.();
    }
  };

  describe(`${name} (DistributedCache contract): values`, () => {
    it('returns undefined when the key was never set', withCache(async ({ cache }) => {
      expect(await cache.get('missing')).toBeUndefined();
    }));

    it('returns the bytes that were set when the key is read back', withCache(async ({ cache }) => {
      await cache.set('k', bytes(1, 2, 3));
      expect(await cache.get('k')).toEqual(bytes(1, 2, 3));
    }));

    it('returns an empty array, not undefined, when an empty value was set', withCache(async ({ cache }) => {
      await cache.set('empty', new Uint8Array(0));
      const value = await cache.get('empty');
      expect(value).toBeInstanceOf(Uint8Array);
      expect(value).toHaveLength(0);
    }));

    it('returns the latest value when a key is set twice', withCache(async ({ cache }) => {
      await cache.set('k', bytes(1));
      await cache.set('k', bytes(2, 2));
      expect(await cache.get('k')).toEqual(bytes(2, 2));
    }));

    it('keeps keys apart, including keys that differ only in case or by a space', withCache(async ({ cache }) => {
      await cache.set('Key', bytes(1));
      await cache.set('key', bytes(2));
      await cache.set('key ', bytes(3));
      expect(await cache.get('Key')).toEqual(bytes(1));
      expect(await cache.get('key')).toEqual(bytes(2));
      expect(await cache.get('key ')).toEqual(bytes(3));
    }));

    it('keeps its own copy when the caller changes the array it set', withCache(async ({ cache }) => {
      const value = bytes(1, 2, 3);
      await cache.set('k', value);
      value[0] = 99;
      expect(await cache.get('k')).toEqual(bytes(1, 2, 3));
    }));

    it('hands out a copy when the caller changes the array it got', withCache(async ({ cache }) => {
      await cache.set('k', bytes(1, 2, 3));
      const first = await cache.get('k');
      first?.fill(0);
      expect(await cache.get('k')).toEqual(bytes(1, 2, 3));
    }));

    it('stores only the viewed bytes when the value is a view into a larger buffer', withCache(async ({ cache }) => {
      const buffer = bytes(0, 1, 2, 3, 4);
      await cache.set('k', buffer.subarray(1, 3));
      expect(await cache.get('k')).toEqual(bytes(1, 2));
    }));

    it('forgets the value when the key is removed', withCache(async ({ cache }) => {
      await cache.set('k', bytes(1));
      await cache.remove('k');
      expect(await cache.get('k')).toBeUndefined();
    }));

    it('resolves when removing or refreshing a key that is not there', withCache(async ({ cache }) => {
      await expect(cache.remove('missing')).resolves.toBeUndefined();
      await expect(cache.refresh('missing')).resolves.toBeUndefined();
      expect(await cache.get('missing')).toBeUndefined();
    }));
  });

  describe(`${name} (DistributedCache contract): expiration`, () => {
    it('keeps an entry without options when time passes', withCache(async ({ cache, advance }) => {
      await cache.set('k', bytes(1));
      await advance(3_600_000);
      expect(await cache.get('k')).toEqual(bytes(1));
    }));

    it('expires an entry at absoluteExpirationRelativeToNow, not before', withCache(async ({ cache, advance }) => {
      await cache.set('k', bytes(1), { absoluteExpirationRelativeToNow: 1_000 });
      await advance(700);
      expect(await cache.get('k')).toEqual(bytes(1));
      await advance(300);
      expect(await cache.get('k')).toBeUndefined();
    }));

    it('expires an entry at absoluteExpiration (epoch ms), not before', withCache(async ({ cache, advance, now }) => {
      await cache.set('k', bytes(1), { absoluteExpiration: now() + 1_000 });
      await advance(700);
      expect(await cache.get('k')).toEqual(bytes(1));
      await advance(300);
      expect(await cache.get('k')).toBeUndefined();
    }));

    it('accepts absoluteExpiration as a Date', withCache(async ({ cache, advance, now }) => {
      await cache.set('k', bytes(1), { absoluteExpiration: new Date(now() + 1_000) });
      await advance(700);
      expect(await cache.get('k')).toEqual(bytes(1));
      await advance(300);
      expect(await cache.get('k')).toBeUndefined();
    }));

    it('expires an entry after slidingExpiration without reads', withCache(async ({ cache, advance }) => {
      await cache.set('k', bytes(1), { slidingExpiration: 1_000 });
      await advance(1_000);
      expect(await cache.get('k')).toBeUndefined();
    }));

    it('keeps a sliding entry alive when it is read within each window', withCache(async ({ cache, advance }) => {
      await cache.set('k', bytes(1), { slidingExpiration: 1_000 });
      for (let i = 0; i < 5; i++) {
        await advance(600);
        expect(await cache.get('k')).toEqual(bytes(1));
      }
      await advance(1_000);
      expect(await cache.get('k')).toBeUndefined();
    }));

    it('keeps a sliding entry alive when it is refreshed within each window, without reading it', withCache(async ({ cache, advance }) => {
      await cache.set('k', bytes(1), { slidingExpiration: 1_000 });
      for (let i = 0; i < 5; i++) {
        await advance(600);
        await cache.refresh('k');
      }
      await advance(600);
      expect(await cache.get('k')).toEqual(bytes(1));
    }));

    it('does not bring an expired sliding entry back when refreshed', withCache(async ({ cache, advance }) => {
      await cache.set('k', bytes(1), { slidingExpiration: 1_000 });
      await advance(1_000);
      await cache.refresh('k');
      expect(await cache.get('k')).toBeUndefined();
    }));

    it('expires at the absolute deadline when it comes before the sliding one, however often the entry is read', withCache(async ({ cache, advance }) => {
      await cache.set('k', bytes(1), { slidingExpiration: 1_000, absoluteExpirationRelativeToNow: 3_000 });
      await advance(600);
      expect(await cache.get('k')).toEqual(bytes(1));
      await advance(600);
      await cache.refresh('k');
      await advance(600);
      expect(await cache.get('k')).toEqual(bytes(1));
      await advance(600);
      expect(await cache.get('k')).toEqual(bytes(1));
      await advance(600); // 3,000 ms: the absolute deadline, 400 ms before the sliding one
      expect(await cache.get('k')).toBeUndefined();
    }));

    it('expires at the sliding deadline when it comes before the absolute one', withCache(async ({ cache, advance, now }) => {
      await cache.set('k', bytes(1), { slidingExpiration: 1_000, absoluteExpiration: now() + 10_000 });
      await advance(1_000);
      expect(await cache.get('k')).toBeUndefined();
    }));

    it('replaces the expiration when a key is set again', withCache(async ({ cache, advance }) => {
      await cache.set('k', bytes(1), { absoluteExpirationRelativeToNow: 1_000 });
      await cache.set('k', bytes(2));
      await advance(2_000);
      expect(await cache.get('k')).toEqual(bytes(2));
    }));

    it('stores a value again under a key whose entry has expired', withCache(async ({ cache, advance }) => {
      await cache.set('k', bytes(1), { absoluteExpirationRelativeToNow: 1_000 });
      await advance(1_000);
      await cache.set('k', bytes(2), { absoluteExpirationRelativeToNow: 1_000 });
      expect(await cache.get('k')).toEqual(bytes(2));
    }));
  });

  describe(`${name} (DistributedCache contract): arguments`, () => {
    it('rejects with TypeError naming the value when the key is not a string', withCache(async ({ cache }) => {
      const key = 42 as unknown as string;
      await expect(cache.get(key)).rejects.toThrow(new TypeError('Expected key to be a non-empty string, got 42 (number)'));
      await expect(cache.set(key, bytes(1))).rejects.toThrow(TypeError);
      await expect(cache.refresh(key)).rejects.toThrow(TypeError);
      await expect(cache.remove(key)).rejects.toThrow(TypeError);
    }));

    it('rejects with RangeError when the key is empty', withCache(async ({ cache }) => {
      await expect(cache.get('')).rejects.toThrow(new RangeError('Expected key to be a non-empty string, got "" (string)'));
      await expect(cache.set('', bytes(1))).rejects.toThrow(RangeError);
      await expect(cache.refresh('')).rejects.toThrow(RangeError);
      await expect(cache.remove('')).rejects.toThrow(RangeError);
    }));

    it('rejects with TypeError and stores nothing when the value is not a Uint8Array', withCache(async ({ cache }) => {
      await expect(cache.set('k', 'text' as unknown as Uint8Array)).rejects.toThrow(
        new TypeError('Expected value to be a Uint8Array, got "text" (string)'),
      );
      await expect(cache.set('k', [1, 2] as unknown as Uint8Array)).rejects.toThrow(TypeError);
      await expect(cache.set('k', new ArrayBuffer(2) as unknown as Uint8Array)).rejects.toThrow(TypeError);
      expect(await cache.get('k')).toBeUndefined();
    }));

    it('rejects with RangeError and stores nothing when a duration is zero, negative, NaN or infinite', withCache(async ({ cache }) => {
      for (const bad of [0, -1, Number.NaN, Infinity]) {
        await expect(cache.set('k', bytes(1), { slidingExpiration: bad })).rejects.toThrow(RangeError);
        await expect(cache.set('k', bytes(1), { absoluteExpirationRelativeToNow: bad })).rejects.toThrow(RangeError);
      }
      await expect(cache.set('k', bytes(1), { slidingExpiration: -5 })).rejects.toThrow(
        'Expected slidingExpiration to be a finite number of ms > 0, got -5 (number)',
      );
      expect(await cache.get('k')).toBeUndefined();
    }));

    it('rejects with TypeError when a duration is not a number', withCache(async ({ cache }) => {
      await expect(cache.set('k', bytes(1), { slidingExpiration: '100' as unknown as number })).rejects.toThrow(
        new TypeError('Expected slidingExpiration to be a number of ms > 0, got "100" (string)'),
      );
    }));

    it('rejects with RangeError and stores nothing when absoluteExpiration is not in the future', withCache(async ({ cache, now }) => {
      await expect(cache.set('k', bytes(1), { absoluteExpiration: now() })).rejects.toThrow(RangeError);
      await expect(cache.set('k', bytes(1), { absoluteExpiration: now() - 1 })).rejects.toThrow(
        /^Expected absoluteExpiration to be in the future \(after .+\), got \d+ \(number\)$/,
      );
      expect(await cache.get('k')).toBeUndefined();
    }));

    it('rejects with TypeError when absoluteExpiration is not a finite number or a valid Date', withCache(async ({ cache }) => {
      await expect(cache.set('k', bytes(1), { absoluteExpiration: new Date(Number.NaN) })).rejects.toThrow(TypeError);
      await expect(cache.set('k', bytes(1), { absoluteExpiration: Infinity })).rejects.toThrow(TypeError);
      await expect(cache.set('k', bytes(1), { absoluteExpiration: '2030-01-01' as unknown as number })).rejects.toThrow(TypeError);
    }));

    it('rejects with TypeError when both absolute expirations are given', withCache(async ({ cache, now }) => {
      await expect(
        cache.set('k', bytes(1), { absoluteExpiration: now() + 1_000, absoluteExpirationRelativeToNow: 1_000 }),
      ).rejects.toThrow(/^Expected at most one of absoluteExpiration and absoluteExpirationRelativeToNow, got both/);
      expect(await cache.get('k')).toBeUndefined();
    }));

    it('rejects with TypeError when options is not an object', withCache(async ({ cache }) => {
      await expect(cache.set('k', bytes(1), 1_000 as unknown as undefined)).rejects.toThrow(
        new TypeError('Expected options to be an object or undefined, got 1000 (number)'),
      );
    }));

    it('treats options whose properties are all undefined as no expiration', withCache(async ({ cache, advance }) => {
      await cache.set('k', bytes(1), { absoluteExpiration: undefined, slidingExpiration: undefined });
      await advance(3_600_000);
      expect(await cache.get('k')).toEqual(bytes(1));
    }));
  });

  describe(`${name} (DistributedCache contract): cancellation`, () => {
    it('rejects every call with the reason and changes nothing when the signal is already aborted', withCache(async ({ cache }) => {
      await cache.set('kept', bytes(1), { slidingExpiration: 1_000 });
      const controller = new AbortController();
      const reason = new Error('stop');
      controller.abort(reason);
      const { signal } = controller;
      await expect(cache.get('kept', signal)).rejects.toBe(reason);
      await expect(cache.set('new', bytes(2), undefined, signal)).rejects.toBe(reason);
      await expect(cache.set('kept', bytes(3), undefined, signal)).rejects.toBe(reason);
      await expect(cache.refresh('kept', signal)).rejects.toBe(reason);
      await expect(cache.remove('kept', signal)).rejects.toBe(reason);
      expect(await cache.get('new')).toBeUndefined();
      expect(await cache.get('kept')).toEqual(bytes(1));
    }));

    it('works normally when given a signal that is not aborted', withCache(async ({ cache }) => {
      const { signal } = new AbortController();
      await cache.set('k', bytes(1), undefined, signal);
      expect(await cache.get('k', signal)).toEqual(bytes(1));
      await cache.refresh('k', signal);
      await cache.remove('k', signal);
      expect(await cache.get('k', signal)).toBeUndefined();
    }));
  });

  describe(`${name} (DistributedCache contract): JSON helpers`, () => {
    it('round-trips a JSON value when set with setJson and read with getJson', withCache(async ({ cache }) => {
      const value = { name: 'Zoë', tags: ['a', 'b'], count: 3, nested: { ok: true, none: null } };
      await setJson(cache, 'json', value);
      expect(await getJson<typeof value>(cache, 'json')).toEqual(value);
    }));

    it('stores UTF-8 JSON that a reader of raw bytes can decode', withCache(async ({ cache }) => {
      await setJson(cache, 'json', { city: 'Zürich' });
      expect(new TextDecoder().decode(await cache.get('json'))).toBe('{"city":"Zürich"}');
    }));

    it('returns undefined from getJson when the key is missing', withCache(async ({ cache }) => {
      expect(await getJson(cache, 'missing')).toBeUndefined();
    }));

    it('passes entry options through setJson', withCache(async ({ cache, advance }) => {
      await setJson(cache, 'json', 1, { absoluteExpirationRelativeToNow: 1_000 });
      await advance(1_000);
      expect(await getJson(cache, 'json')).toBeUndefined();
    }));

    it('rejects getJson with SyntaxError when the entry is not JSON', withCache(async ({ cache }) => {
      await cache.set('raw', new TextEncoder().encode('not json'));
      await expect(getJson(cache, 'raw')).rejects.toThrow(SyntaxError);
    }));

    it('rejects setJson with TypeError and stores nothing when the value has no JSON form', withCache(async ({ cache }) => {
      await expect(setJson(cache, 'json', undefined)).rejects.toThrow(
        new TypeError('Expected value to have a JSON form, got undefined (undefined)'),
      );
      await expect(setJson(cache, 'json', () => 1)).rejects.toThrow(TypeError);
      await expect(setJson(cache, 'json', 1n)).rejects.toThrow(TypeError);
      expect(await cache.get('json')).toBeUndefined();
    }));
  });
}
