import { describe, expect, it } from 'vitest';
import { ManualTimeProvider } from '@hostkit/core/testing';
import { MemoryDistributedCache } from '../../src/caching/index.ts';
import type { MemoryDistributedCacheOptions } from '../../src/caching/index.ts';
import { describeDistributedCacheContract } from './distributed-cache-contract.ts';

describeDistributedCacheContract('MemoryDistributedCache', () => {
  const time = new ManualTimeProvider();
  return {
    cache: new MemoryDistributedCache({ timeProvider: time }),
    now: () => time.now(),
    advance: (ms) => time.advance(ms),
  };
});

const bytes = (length: number, fill = 1): Uint8Array => new Uint8Array(length).fill(fill);

function create(options?: Omit<MemoryDistributedCacheOptions, 'timeProvider'>): {
  cache: MemoryDistributedCache;
  time: ManualTimeProvider;
} {
  const time = new ManualTimeProvider();
  return { cache: new MemoryDistributedCache({ ...options, timeProvider: time }), time };
}

describe('MemoryDistributedCache', () => {
  describe('bounds', () => {
    it('evicts the least recently set entry when maxEntries is exceeded', async () => {
      const { cache } = create({ maxEntries: 2 });
      await cache.set('a', bytes(1));
      await cache.set('b', bytes(1));
      await cache.set('c', bytes(1));
      expect(cache.count).toBe(2);
      expect(await cache.get('a')).toBeUndefined();
      expect(await cache.get('b')).toBeDefined();
      expect(await cache.get('c')).toBeDefined();
    });

    it('keeps an entry that was read recently and evicts the one not used when maxEntries is exceeded', async () => {
      const { cache } = create({ maxEntries: 2 });
      await cache.set('a', bytes(1));
      await cache.set('b', bytes(1));
      await cache.get('a');
      await cache.set('c', bytes(1));
      expect(await cache.get('a')).toBeDefined();
      expect(await cache.get('b')).toBeUndefined();
    });

    it('counts a refresh as a use when choosing what to evict', async () => {
      const { cache } = create({ maxEntries: 2 });
      await cache.set('a', bytes(1));
      await cache.set('b', bytes(1));
      await cache.refresh('a');
      await cache.set('c', bytes(1));
      expect(await cache.get('a')).toBeDefined();
      expect(await cache.get('b')).toBeUndefined();
    });

    it('evicts least recently used entries until the values fit in maxBytes', async () => {
      const { cache } = create({ maxBytes: 10 });
      await cache.set('a', bytes(4));
      await cache.set('b', bytes(4));
      await cache.set('c', bytes(4));
      expect(cache.byteSize).toBe(8);
      expect(await cache.get('a')).toBeUndefined();
      await cache.set('big', bytes(10));
      expect(cache.count).toBe(1);
      expect(cache.byteSize).toBe(10);
    });

    it('accounts for the new size when a key is overwritten with a smaller or larger value', async () => {
      const { cache } = create({ maxBytes: 10 });
      await cache.set('a', bytes(6));
      await cache.set('a', bytes(2));
      expect(cache.byteSize).toBe(2);
      await cache.set('b', bytes(8));
      expect(cache.count).toBe(2);
      await cache.remove('a');
      expect(cache.byteSize).toBe(8);
    });

    it('stores nothing and drops the old entry when a value alone is larger than maxBytes', async () => {
      const { cache } = create({ maxBytes: 10 });
      await cache.set('a', bytes(5));
      await cache.set('other', bytes(5));
      await cache.set('a', bytes(11));
      expect(await cache.get('a')).toBeUndefined();
      expect(await cache.get('other')).toBeDefined();
      expect(cache.byteSize).toBe(5);
    });

    it('removes everything when cleared', async () => {
      const { cache } = create();
      await cache.set('a', bytes(5));
      await cache.set('b', bytes(5));
      cache.clear();
      expect(cache.count).toBe(0);
      expect(cache.byteSize).toBe(0);
      expect(await cache.get('a')).toBeUndefined();
    });
  });

  describe('expiration bookkeeping', () => {
    it('removes an expired entry when it is accessed', async () => {
      const { cache, time } = create({ expirationScanInterval: 3_600_000 });
      await cache.set('a', bytes(3), { absoluteExpirationRelativeToNow: 1_000 });
      await time.advance(1_000);
      expect(cache.count).toBe(1);
      expect(await cache.get('a')).toBeUndefined();
      expect(cache.count).toBe(0);
      expect(cache.byteSize).toBe(0);
    });

    it('sweeps expired entries during any operation once expirationScanInterval has passed', async () => {
      const { cache, time } = create({ expirationScanInterval: 60_000 });
      for (let i = 0; i < 10; i++) await cache.set(`k${i}`, bytes(1), { slidingExpiration: 1_000 });
      await cache.set('forever', bytes(1));
      await time.advance(59_999);
      await cache.get('forever');
      expect(cache.count).toBe(11);
      await time.advance(1);
      await cache.get('forever');
      expect(cache.count).toBe(1);
      expect(cache.byteSize).toBe(1);
    });

    it('removes every expired entry and says how many when removeExpired is called', async () => {
      const { cache, time } = create({ expirationScanInterval: 3_600_000 });
      await cache.set('short', bytes(1), { absoluteExpirationRelativeToNow: 1_000 });
      await cache.set('sliding', bytes(1), { slidingExpiration: 2_000 });
      await cache.set('long', bytes(1), { absoluteExpirationRelativeToNow: 5_000 });
      await time.advance(2_000);
      expect(cache.removeExpired()).toBe(2);
      expect(cache.count).toBe(1);
      expect(await cache.get('long')).toBeDefined();
    });

    it('schedules no timer, so an idle cache does no work', async () => {
      const { cache, time } = create();
      await cache.set('a', bytes(1), { slidingExpiration: 1_000 });
      expect(time.pendingTimerCount).toBe(0);
    });

    it('follows the wall clock for absoluteExpiration when the clock is set forward', async () => {
      const { cache, time } = create();
      await cache.set('absolute', bytes(1), { absoluteExpiration: time.now() + 60_000 });
      await cache.set('relative', bytes(1), { absoluteExpirationRelativeToNow: 60_000 });
      await cache.set('sliding', bytes(1), { slidingExpiration: 60_000 });
      time.setWallClock(time.now() + 3_600_000);
      expect(await cache.get('absolute')).toBeUndefined();
      expect(await cache.get('relative')).toBeDefined();
      expect(await cache.get('sliding')).toBeDefined();
    });

    it('measures relative and sliding expirations on the monotonic clock when the wall clock is set back', async () => {
      const { cache, time } = create();
      await cache.set('relative', bytes(1), { absoluteExpirationRelativeToNow: 1_000 });
      await cache.set('sliding', bytes(1), { slidingExpiration: 1_000 });
      time.setWallClock(time.now() - 3_600_000);
      await time.advance(1_000);
      expect(await cache.get('relative')).toBeUndefined();
      expect(await cache.get('sliding')).toBeUndefined();
    });
  });

  describe('options', () => {
    it('throws RangeError naming the value when maxEntries or maxBytes is not an integer >= 1', () => {
      expect(() => new MemoryDistributedCache({ maxEntries: 0 })).toThrow(
        new RangeError('Expected maxEntries to be an integer >= 1, got 0 (number)'),
      );
      expect(() => new MemoryDistributedCache({ maxEntries: 1.5 })).toThrow(RangeError);
      expect(() => new MemoryDistributedCache({ maxBytes: Infinity })).toThrow(
        new RangeError('Expected maxBytes to be an integer >= 1, got Infinity (number)'),
      );
      expect(() => new MemoryDistributedCache({ maxBytes: '10' as unknown as number })).toThrow(RangeError);
    });

    it('throws RangeError when expirationScanInterval is negative or NaN', () => {
      expect(() => new MemoryDistributedCache({ expirationScanInterval: -1 })).toThrow(
        new RangeError('Expected expirationScanInterval to be a number >= 0, got -1 (number)'),
      );
      expect(() => new MemoryDistributedCache({ expirationScanInterval: Number.NaN })).toThrow(RangeError);
    });

    it('throws TypeError when timeProvider is not a TimeProvider', () => {
      expect(() => new MemoryDistributedCache({ timeProvider: {} as ManualTimeProvider })).toThrow(TypeError);
    });

    it('works on the system clock when no timeProvider is given', async () => {
      const cache = new MemoryDistributedCache();
      await cache.set('k', bytes(2), { slidingExpiration: 60_000, absoluteExpirationRelativeToNow: 60_000 });
      expect(await cache.get('k')).toEqual(bytes(2));
    });
  });
});
