import { describe, expect, it } from 'vitest';
import { ManualTimeProvider } from '@hostkit/core/testing';
import { DistributedLock, LeaseLostError, leaseDriftMarginMs, MemoryLeaseStore } from '../../src/coordination/index.ts';
import type { LeaseAcquisition, LeaseStore } from '../../src/coordination/index.ts';
import { createLoggerFactory, MemoryLogSink } from '../../src/logging/index.ts';
import { describeDistributedLockContract } from './lease-store-contract.ts';

describeDistributedLockContract('MemoryLeaseStore', async () => {
  const time = new ManualTimeProvider();
  return { store: new MemoryLeaseStore({ timeProvider: time }), advance: (ms) => time.advance(ms), timeProvider: time };
});

/** A store that records every call, on a memory store. */
class RecordingStore implements LeaseStore {
  readonly calls: string[] = [];
  readonly inner: MemoryLeaseStore;
  /** When set, renew waits for this promise before answering. */
  renewGate: Promise<void> | undefined = undefined;

  constructor(inner: MemoryLeaseStore) {
    this.inner = inner;
  }

  tryAcquire(name: string, ownerId: string, ttlMs: number, signal?: AbortSignal): Promise<LeaseAcquisition> {
    this.calls.push(`tryAcquire ${name} ${ttlMs}`);
    return this.inner.tryAcquire(name, ownerId, ttlMs, signal);
  }

  async renew(name: string, ownerId: string, ttlMs: number, signal?: AbortSignal): Promise<boolean> {
    this.calls.push(`renew ${name} ${ttlMs}`);
    if (this.renewGate !== undefined) await this.renewGate;
    return this.inner.renew(name, ownerId, ttlMs, signal);
  }

  release(name: string, ownerId: string, signal?: AbortSignal): Promise<boolean> {
    this.calls.push(`release ${name}`);
    return this.inner.release(name, ownerId, signal);
  }
}

function create(): { time: ManualTimeProvider; store: RecordingStore; lock: DistributedLock; sink: MemoryLogSink } {
  const time = new ManualTimeProvider();
  const store = new RecordingStore(new MemoryLeaseStore({ timeProvider: time }));
  const sink = new MemoryLogSink();
  const logger = createLoggerFactory({ sinks: [sink], minimumLevel: 'trace' }).createLogger('lock');
  return { time, store, lock: new DistributedLock(store, { timeProvider: time, logger }), sink };
}

describe('DistributedLock', () => {
  describe('renewal', () => {
    it('renews every third of the time-to-live by default', async () => {
      const { time, store, lock } = create();
      const lease = await lock.tryAcquire('a', { ttlMs: 900 });
      await time.advance(900);
      expect(store.calls).toEqual(['tryAcquire a 900', 'renew a 900', 'renew a 900', 'renew a 900']);
      await lease?.release();
    });

    it('renews every renewIntervalMs when given', async () => {
      const { time, store, lock } = create();
      const lease = await lock.tryAcquire('a', { ttlMs: 900, renewIntervalMs: 100 });
      await time.advance(350);
      expect(store.calls.filter((call) => call.startsWith('renew'))).toHaveLength(3);
      await lease?.release();
    });

    it('gives the lease up a drift margin before its time-to-live when a renewal hangs, counting from when the last good one was sent', async () => {
      const { time, store, lock } = create();
      const lease = await lock.tryAcquire('a', { ttlMs: 600, renewIntervalMs: 200 });
      store.renewGate = new Promise<void>(() => undefined);
      // 600 ms less 1 % and 2 ms: a clock 1 % slow, or a timer 2 ms late, still gives up before the store lets another owner in.
      expect(leaseDriftMarginMs(600)).toBe(8);
      await time.advance(591);
      expect(lease?.held).toBe(true);
      await time.advance(1);
      expect(lease?.held).toBe(false);
      expect(lease?.signal.reason).toBeInstanceOf(LeaseLostError);
      expect(store.calls.filter((call) => call.startsWith('renew'))).toHaveLength(1);
    });

    it('logs the loss at warn', async () => {
      const { time, store, lock, sink } = create();
      const lease = await lock.tryAcquire('a', { ttlMs: 600, renewIntervalMs: 200 });
      await store.inner.release('a', lease?.ownerId ?? '');
      await time.advance(200);
      expect(sink.filter({ level: 'warn', messageIncludes: 'Lost the lease "a"' })).toHaveLength(1);
    });
  });

  describe('timers', () => {
    it('leaves no timer behind once a lease is released', async () => {
      const { time, lock } = create();
      const lease = await lock.tryAcquire('a', { ttlMs: 600 });
      expect(time.pendingTimerCount).toBeGreaterThan(0);
      await lease?.release();
      expect(time.pendingTimerCount).toBe(0);
    });

    it('leaves no timer behind once a lease is lost', async () => {
      const { time, store, lock } = create();
      const lease = await lock.tryAcquire('a', { ttlMs: 600, renewIntervalMs: 200 });
      await store.inner.release('a', lease?.ownerId ?? '');
      await time.advance(200);
      expect(lease?.held).toBe(false);
      expect(time.pendingTimerCount).toBe(0);
    });

    it('leaves no timer behind when acquire is aborted while waiting', async () => {
      const { time, store, lock } = create();
      await store.inner.tryAcquire('a', 'other', 10_000);
      const controller = new AbortController();
      const waiting = lock.acquire('a', { ttlMs: 600 }, controller.signal);
      await time.advance(100);
      controller.abort(new Error('stop'));
      await expect(waiting).rejects.toThrow('stop');
      expect(time.pendingTimerCount).toBe(0);
    });
  });

  describe('acquire', () => {
    it('wakes up when the holder\'s lease expires rather than after retryIntervalMs', async () => {
      const { time, store, lock } = create();
      await store.inner.tryAcquire('a', 'dead', 700);
      let lease: unknown;
      void lock.acquire('a', { ttlMs: 600, retryIntervalMs: 60_000 }, new AbortController().signal).then((value) => {
        lease = value;
      });
      await time.advance(699);
      expect(lease).toBeUndefined();
      await time.advance(1);
      expect(lease).toBeDefined();
    });

    it('rejects at once with the reason when the signal is already aborted', async () => {
      const { lock, store } = create();
      const controller = new AbortController();
      controller.abort(new Error('stop'));
      await expect(lock.acquire('a', { ttlMs: 600 }, controller.signal)).rejects.toThrow('stop');
      expect(store.calls).toEqual([]);
    });
  });

  describe('arguments', () => {
    it('rejects bad names and options with TypeError or RangeError naming the value', async () => {
      const { lock } = create();
      await expect(lock.tryAcquire('', { ttlMs: 600 })).rejects.toThrow(
        new RangeError('Expected name to be a non-empty string, got "" (string)'),
      );
      await expect(lock.tryAcquire('a', { ttlMs: -1 })).rejects.toThrow(
        new RangeError('Expected ttlMs to be a finite number > 0, got -1 (number)'),
      );
      await expect(lock.tryAcquire('a', { ttlMs: 600, renewIntervalMs: 600 })).rejects.toThrow(
        new RangeError('Expected renewIntervalMs to be less than ttlMs (600), got 600 (number)'),
      );
      await expect(lock.tryAcquire('a', undefined as unknown as { ttlMs: number })).rejects.toThrow(TypeError);
      await expect(lock.acquire('a', { ttlMs: 600, retryIntervalMs: 0 }, new AbortController().signal)).rejects.toThrow(RangeError);
      await expect(lock.acquire('a', { ttlMs: 600 }, undefined as unknown as AbortSignal)).rejects.toThrow(TypeError);
    });

    it('throws TypeError when the store is not a LeaseStore', () => {
      expect(() => new DistributedLock({} as LeaseStore)).toThrow(TypeError);
    });
  });
});
