import { describe, expect, it } from 'vitest';
import { ManualTimeProvider } from '@hostkit/core/testing';
import { MemoryLeaseStore } from '../../src/coordination/index.ts';
import { describeLeaseStoreContract } from './lease-store-contract.ts';

describeLeaseStoreContract('MemoryLeaseStore', async () => {
  const time = new ManualTimeProvider();
  return { store: new MemoryLeaseStore({ timeProvider: time }), advance: (ms) => time.advance(ms), timeProvider: time };
});

describe('MemoryLeaseStore', () => {
  it('schedules no timer, so an idle store does no work', async () => {
    const time = new ManualTimeProvider();
    const store = new MemoryLeaseStore({ timeProvider: time });
    await store.tryAcquire('a', 'owner', 1_000);
    expect(time.pendingTimerCount).toBe(0);
  });

  it('expires a lease exactly ttlMs after it was taken, on the monotonic clock', async () => {
    const time = new ManualTimeProvider();
    const store = new MemoryLeaseStore({ timeProvider: time });
    await store.tryAcquire('a', 'owner', 1_000);
    time.setWallClock(time.now() + 3_600_000);
    await time.advance(999);
    expect(await store.tryAcquire('a', 'other', 1_000)).toEqual({ acquired: false, retryAfterMs: 1 });
    await time.advance(1);
    expect((await store.tryAcquire('a', 'other', 1_000)).acquired).toBe(true);
  });

  it('numbers the acquisitions of each name 1, 2, 3', async () => {
    const store = new MemoryLeaseStore({ timeProvider: new ManualTimeProvider() });
    expect(await store.tryAcquire('a', 'o1', 1_000)).toEqual({ acquired: true, fencingToken: 1 });
    expect(await store.tryAcquire('b', 'o1', 1_000)).toEqual({ acquired: true, fencingToken: 1 });
    await store.release('a', 'o1');
    expect(await store.tryAcquire('a', 'o2', 1_000)).toEqual({ acquired: true, fencingToken: 2 });
  });

  it('throws TypeError when timeProvider is not a TimeProvider', () => {
    expect(() => new MemoryLeaseStore({ timeProvider: {} as ManualTimeProvider })).toThrow(TypeError);
  });

  it('works on the system clock when no timeProvider is given', async () => {
    const store = new MemoryLeaseStore();
    expect((await store.tryAcquire('a', 'owner', 60_000)).acquired).toBe(true);
    expect(await store.renew('a', 'owner', 60_000)).toBe(true);
  });
});
