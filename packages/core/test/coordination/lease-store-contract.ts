/**
 * The behaviour every LeaseStore implementation shares, as suites any implementation's tests can
 * run: {@link describeLeaseStoreContract} checks the store's three operations on their own;
 * {@link describeDistributedLockContract} checks DistributedLock (renewal, loss, release, waiting)
 * on top of the store.
 *
 * Each suite needs a fresh store per test and a way to move time forward. For MemoryLeaseStore
 * that is a ManualTimeProvider shared by the store and the lock; a store on a real server advances
 * by sleeping (and leaves `timeProvider` unset, so the lock runs on the system clock). Durations
 * are at most a few seconds, in whole multiples of 100 ms, with at least 100 ms of slack on each
 * side of a deadline.
 */
import { describe, expect, it } from 'vitest';
import { DistributedLock, LeaseLostError, LeaseReleasedError } from '../../src/coordination/index.ts';
import type { LeaseAcquisition, LeaseStore } from '../../src/coordination/index.ts';
import { isCancellation } from '../../src/cancellation/index.ts';
import { createLoggerFactory, MemoryLogSink } from '../../src/logging/index.ts';
import type { Logger } from '../../src/logging/index.ts';
import type { TimeProvider } from '../../src/time/index.ts';

/** One test's store and its clock. */
export interface LeaseStoreFixture {
  /** A store with no leases on the names the suite uses (`lease-a`, `lease-b`). */
  readonly store: LeaseStore;
  /** Moves the store's time (and the lock's) forward by `ms`: a ManualTimeProvider's advance and flush, or a sleep. */
  readonly advance: (ms: number) => Promise<void>;
  /** The clock DistributedLock runs on in {@link describeDistributedLockContract}. @default systemTimeProvider */
  readonly timeProvider?: TimeProvider;
  /** Releases the store, if it holds anything (connections). */
  readonly dispose?: () => Promise<void>;
}

const ttl = 500;

/** Runs `body` with a fresh fixture, disposing it afterwards whatever happens. */
const withFixture =
  (setup: () => Promise<LeaseStoreFixture>, body: (fixture: LeaseStoreFixture) => Promise<void>) =>
  async (): Promise<void> => {
    const fixture = await setup();
    try {
      await body(fixture);
    } finally {
      await fixture.dispose?.();
    }
  };

function tokenOf(acquisition: LeaseAcquisition): number {
  if (!acquisition.acquired) throw new Error(`Expected the lease to be acquired, got ${JSON.stringify(acquisition)}`);
  return acquisition.fencingToken;
}

/**
 * Defines the LeaseStore contract tests for one implementation.
 * @param name Shown in the test names, e.g. `'MemoryLeaseStore'`.
 * @param setup Creates a store and its clock; called once per test.
 */
export function describeLeaseStoreContract(name: string, setup: () => Promise<LeaseStoreFixture>): void {
  const withStore = (body: (fixture: LeaseStoreFixture) => Promise<void>): (() => Promise<void>) => withFixture(setup, body);

  describe(`${name} (LeaseStore contract): acquiring`, () => {
    it('acquires a free lease with a fencing token', withStore(async ({ store }) => {
      const result = await store.tryAcquire('lease-a', 'owner-1', ttl);
      expect(result.acquired).toBe(true);
      expect(Number.isSafeInteger(tokenOf(result))).toBe(true);
    }));

    it('refuses a held lease to another owner and says how long until it expires', withStore(async ({ store, advance }) => {
      tokenOf(await store.tryAcquire('lease-a', 'owner-1', ttl));
      await advance(200);
      const result = await store.tryAcquire('lease-a', 'owner-2', ttl);
      expect(result.acquired).toBe(false);
      if (result.acquired) return;
      expect(result.retryAfterMs).toBeGreaterThan(0);
      expect(result.retryAfterMs).toBeLessThanOrEqual(ttl - 200 + 50);
      expect(result.retryAfterMs).toBeGreaterThanOrEqual(ttl - 200 - 150);
    }));

    it('keeps the lease held until its time-to-live has passed', withStore(async ({ store, advance }) => {
      tokenOf(await store.tryAcquire('lease-a', 'owner-1', ttl));
      await advance(ttl - 100);
      expect((await store.tryAcquire('lease-a', 'owner-2', ttl)).acquired).toBe(false);
    }));

    it('lets another owner acquire the lease once its time-to-live has passed', withStore(async ({ store, advance }) => {
      tokenOf(await store.tryAcquire('lease-a', 'owner-1', ttl));
      await advance(ttl + 100);
      expect((await store.tryAcquire('lease-a', 'owner-2', ttl)).acquired).toBe(true);
      expect((await store.tryAcquire('lease-a', 'owner-1', ttl)).acquired).toBe(false);
    }));

    it('keeps the fencing token and extends the lease when the owner acquires it again', withStore(async ({ store, advance }) => {
      const first = tokenOf(await store.tryAcquire('lease-a', 'owner-1', ttl));
      await advance(300);
      expect(tokenOf(await store.tryAcquire('lease-a', 'owner-1', ttl))).toBe(first);
      await advance(300);
      expect((await store.tryAcquire('lease-a', 'owner-2', ttl)).acquired).toBe(false);
    }));

    it('keeps leases on different names apart', withStore(async ({ store }) => {
      tokenOf(await store.tryAcquire('lease-a', 'owner-1', ttl));
      expect((await store.tryAcquire('lease-b', 'owner-2', ttl)).acquired).toBe(true);
      expect(await store.renew('lease-b', 'owner-1', ttl)).toBe(false);
      expect(await store.release('lease-b', 'owner-1')).toBe(false);
      expect((await store.tryAcquire('lease-a', 'owner-2', ttl)).acquired).toBe(false);
      expect((await store.tryAcquire('lease-b', 'owner-1', ttl)).acquired).toBe(false);
    }));
  });

  describe(`${name} (LeaseStore contract): renewing`, () => {
    it('extends the lease to ttlMs from the renewal when the owner renews', withStore(async ({ store, advance }) => {
      tokenOf(await store.tryAcquire('lease-a', 'owner-1', ttl));
      await advance(300);
      expect(await store.renew('lease-a', 'owner-1', ttl)).toBe(true);
      await advance(300);
      expect((await store.tryAcquire('lease-a', 'owner-2', ttl)).acquired).toBe(false);
      await advance(300);
      expect((await store.tryAcquire('lease-a', 'owner-2', ttl)).acquired).toBe(true);
    }));

    it('answers false and leaves the lease alone when another owner renews', withStore(async ({ store, advance }) => {
      tokenOf(await store.tryAcquire('lease-a', 'owner-1', ttl));
      expect(await store.renew('lease-a', 'owner-2', 5_000)).toBe(false);
      await advance(ttl + 100);
      expect((await store.tryAcquire('lease-a', 'owner-3', ttl)).acquired).toBe(true);
    }));

    it('answers false when the lease has expired', withStore(async ({ store, advance }) => {
      tokenOf(await store.tryAcquire('lease-a', 'owner-1', ttl));
      await advance(ttl + 100);
      expect(await store.renew('lease-a', 'owner-1', ttl)).toBe(false);
    }));

    it('answers false to the old owner once the lease has passed to a new one', withStore(async ({ store, advance }) => {
      tokenOf(await store.tryAcquire('lease-a', 'owner-1', ttl));
      await advance(ttl + 100);
      tokenOf(await store.tryAcquire('lease-a', 'owner-2', ttl));
      expect(await store.renew('lease-a', 'owner-1', ttl)).toBe(false);
      expect(await store.renew('lease-a', 'owner-2', ttl)).toBe(true);
    }));

    it('answers false when nobody ever held the lease', withStore(async ({ store }) => {
      expect(await store.renew('lease-a', 'owner-1', ttl)).toBe(false);
    }));
  });

  describe(`${name} (LeaseStore contract): releasing`, () => {
    it('frees the lease at once when the owner releases it', withStore(async ({ store }) => {
      tokenOf(await store.tryAcquire('lease-a', 'owner-1', ttl));
      expect(await store.release('lease-a', 'owner-1')).toBe(true);
      expect((await store.tryAcquire('lease-a', 'owner-2', ttl)).acquired).toBe(true);
    }));

    it('answers false and leaves the lease alone when another owner releases', withStore(async ({ store }) => {
      tokenOf(await store.tryAcquire('lease-a', 'owner-1', ttl));
      expect(await store.release('lease-a', 'owner-2')).toBe(false);
      expect((await store.tryAcquire('lease-a', 'owner-2', ttl)).acquired).toBe(false);
      expect(await store.renew('lease-a', 'owner-1', ttl)).toBe(true);
    }));

    it('answers false to a late release from an owner whose lease passed to another', withStore(async ({ store, advance }) => {
      tokenOf(await store.tryAcquire('lease-a', 'owner-1', ttl));
      await advance(ttl + 100);
      tokenOf(await store.tryAcquire('lease-a', 'owner-2', ttl));
      expect(await store.release('lease-a', 'owner-1')).toBe(false);
      expect((await store.tryAcquire('lease-a', 'owner-3', ttl)).acquired).toBe(false);
    }));

    it('answers false to a second release', withStore(async ({ store }) => {
      tokenOf(await store.tryAcquire('lease-a', 'owner-1', ttl));
      expect(await store.release('lease-a', 'owner-1')).toBe(true);
      expect(await store.release('lease-a', 'owner-1')).toBe(false);
      expect(await store.renew('lease-a', 'owner-1', ttl)).toBe(false);
    }));
  });

  describe(`${name} (LeaseStore contract): fencing tokens`, () => {
    it('gives every acquisition a greater token than the one before, across release and expiry', withStore(async ({ store, advance }) => {
      const tokens: number[] = [];
      tokens.push(tokenOf(await store.tryAcquire('lease-a', 'owner-1', ttl)));
      await store.release('lease-a', 'owner-1');
      tokens.push(tokenOf(await store.tryAcquire('lease-a', 'owner-2', ttl)));
      await advance(ttl + 100);
      tokens.push(tokenOf(await store.tryAcquire('lease-a', 'owner-3', ttl)));
      await store.release('lease-a', 'owner-3');
      tokens.push(tokenOf(await store.tryAcquire('lease-a', 'owner-1', ttl)));
      for (let i = 1; i < tokens.length; i++) expect(tokens[i]).toBeGreaterThan(tokens[i - 1] ?? Infinity);
    }));

    it('counts tokens per name, so acquiring another name does not break the order', withStore(async ({ store }) => {
      const a1 = tokenOf(await store.tryAcquire('lease-a', 'owner-1', ttl));
      tokenOf(await store.tryAcquire('lease-b', 'owner-1', ttl));
      await store.release('lease-a', 'owner-1');
      const a2 = tokenOf(await store.tryAcquire('lease-a', 'owner-2', ttl));
      expect(a2).toBeGreaterThan(a1);
    }));
  });

  describe(`${name} (LeaseStore contract): arguments and cancellation`, () => {
    it('rejects with TypeError or RangeError naming the bad argument and changes nothing', withStore(async ({ store }) => {
      await expect(store.tryAcquire('', 'owner-1', ttl)).rejects.toThrow(
        new RangeError('Expected name to be a non-empty string, got "" (string)'),
      );
      await expect(store.tryAcquire(1 as unknown as string, 'owner-1', ttl)).rejects.toThrow(TypeError);
      await expect(store.tryAcquire('lease-a', '', ttl)).rejects.toThrow(
        new RangeError('Expected ownerId to be a non-empty string, got "" (string)'),
      );
      for (const bad of [0, -1, Number.NaN, Infinity]) {
        await expect(store.tryAcquire('lease-a', 'owner-1', bad)).rejects.toThrow(RangeError);
        await expect(store.renew('lease-a', 'owner-1', bad)).rejects.toThrow(RangeError);
      }
      await expect(store.tryAcquire('lease-a', 'owner-1', -1)).rejects.toThrow(
        new RangeError('Expected ttlMs to be a finite number > 0, got -1 (number)'),
      );
      await expect(store.tryAcquire('lease-a', 'owner-1', '500' as unknown as number)).rejects.toThrow(TypeError);
      await expect(store.release('', 'owner-1')).rejects.toThrow(RangeError);
      await expect(store.renew('lease-a', undefined as unknown as string, ttl)).rejects.toThrow(TypeError);
      expect((await store.tryAcquire('lease-a', 'owner-2', ttl)).acquired).toBe(true);
    }));

    it('rejects every call with the reason and changes nothing when the signal is already aborted', withStore(async ({ store }) => {
      tokenOf(await store.tryAcquire('lease-a', 'owner-1', ttl));
      const controller = new AbortController();
      const reason = new Error('stop');
      controller.abort(reason);
      await expect(store.tryAcquire('lease-b', 'owner-1', ttl, controller.signal)).rejects.toBe(reason);
      await expect(store.renew('lease-a', 'owner-1', ttl, controller.signal)).rejects.toBe(reason);
      await expect(store.release('lease-a', 'owner-1', controller.signal)).rejects.toBe(reason);
      expect((await store.tryAcquire('lease-b', 'owner-2', ttl)).acquired).toBe(true);
      expect((await store.tryAcquire('lease-a', 'owner-2', ttl)).acquired).toBe(false);
    }));

    it('works normally when given a signal that is not aborted', withStore(async ({ store }) => {
      const { signal } = new AbortController();
      expect((await store.tryAcquire('lease-a', 'owner-1', ttl, signal)).acquired).toBe(true);
      expect(await store.renew('lease-a', 'owner-1', ttl, signal)).toBe(true);
      expect(await store.release('lease-a', 'owner-1', signal)).toBe(true);
    }));
  });
}

/** A store whose calls can be made to fail, as if its server were unreachable. */
class FlakyStore implements LeaseStore {
  readonly #inner: LeaseStore;
  failure: Error | undefined = undefined;
  calls = 0;

  constructor(inner: LeaseStore) {
    this.#inner = inner;
  }

  tryAcquire(name: string, ownerId: string, ttlMs: number, signal?: AbortSignal): Promise<LeaseAcquisition> {
    this.calls += 1;
    if (this.failure !== undefined) return Promise.reject(this.failure);
    return this.#inner.tryAcquire(name, ownerId, ttlMs, signal);
  }

  renew(name: string, ownerId: string, ttlMs: number, signal?: AbortSignal): Promise<boolean> {
    this.calls += 1;
    if (this.failure !== undefined) return Promise.reject(this.failure);
    return this.#inner.renew(name, ownerId, ttlMs, signal);
  }

  release(name: string, ownerId: string, signal?: AbortSignal): Promise<boolean> {
    this.calls += 1;
    if (this.failure !== undefined) return Promise.reject(this.failure);
    return this.#inner.release(name, ownerId, signal);
  }
}

/** A logger that keeps its records, to check what was logged. */
function recordingLogger(): { logger: Logger; sink: MemoryLogSink } {
  const sink = new MemoryLogSink();
  const factory = createLoggerFactory({ sinks: [sink], minimumLevel: 'trace' });
  return { logger: factory.createLogger('DistributedLock'), sink };
}

/** Whether `promise` has settled, without waiting for it. */
function track<T>(promise: Promise<T>): { readonly settled: () => boolean; readonly promise: Promise<T> } {
  let settled = false;
  const tracked = promise.finally(() => {
    settled = true;
  });
  // Observed by the test through `promise`; this only keeps an early rejection from being reported as unhandled.
  tracked.catch(() => undefined);
  return { settled: () => settled, promise: tracked };
}

/**
 * Defines the DistributedLock tests that run on one LeaseStore implementation: a lock on a real
 * store must lose, release and take over leases as it does on the memory one.
 * @param name Shown in the test names, e.g. `'MemoryLeaseStore'`.
 * @param setup Creates a store and its clock; called once per test.
 */
export function describeDistributedLockContract(name: string, setup: () => Promise<LeaseStoreFixture>): void {
  const withStore = (body: (fixture: LeaseStoreFixture) => Promise<void>): (() => Promise<void>) => withFixture(setup, body);
  const lockOn = (fixture: LeaseStoreFixture, store: LeaseStore = fixture.store, logger?: Logger): DistributedLock =>
    new DistributedLock(store, {
      ...(fixture.timeProvider === undefined ? {} : { timeProvider: fixture.timeProvider }),
      ...(logger === undefined ? {} : { logger }),
    });

  describe(`${name} (DistributedLock contract): holding`, () => {
    it('returns a held lease with the store\'s fencing token when the name is free', withStore(async (fixture) => {
      const lock = lockOn(fixture);
      const lease = await lock.tryAcquire('lease-a', { ttlMs: ttl });
      expect(lease).toBeDefined();
      if (lease === undefined) return;
      try {
        expect(lease.name).toBe('lease-a');
        expect(lease.held).toBe(true);
        expect(lease.signal.aborted).toBe(false);
        expect(lease.ownerId).not.toBe('');
        expect(Number.isSafeInteger(lease.fencingToken)).toBe(true);
        expect(await lock.tryAcquire('lease-a', { ttlMs: ttl })).toBeUndefined();
      } finally {
        await lease.release();
      }
    }));

    it('gives each acquisition its own owner id and a greater fencing token', withStore(async (fixture) => {
      const lock = lockOn(fixture);
      const first = await lock.tryAcquire('lease-a', { ttlMs: ttl });
      await first?.release();
      const second = await lock.tryAcquire('lease-a', { ttlMs: ttl });
      try {
        expect(second?.ownerId).not.toBe(first?.ownerId);
        expect(second?.fencingToken).toBeGreaterThan(first?.fencingToken ?? Infinity);
      } finally {
        await second?.release();
      }
    }));

    it('keeps the lease past its time-to-live by renewing it in the background', withStore(async (fixture) => {
      const lock = lockOn(fixture);
      const lease = await lock.tryAcquire('lease-a', { ttlMs: ttl });
      try {
        for (let i = 0; i < 6; i++) await fixture.advance(200);
        expect(lease?.held).toBe(true);
        expect(lease?.signal.aborted).toBe(false);
        expect((await fixture.store.tryAcquire('lease-a', 'intruder', ttl)).acquired).toBe(false);
      } finally {
        await lease?.release();
      }
    }));

    it('renews on demand and answers true while held', withStore(async (fixture) => {
      const lock = lockOn(fixture);
      const lease = await lock.tryAcquire('lease-a', { ttlMs: ttl });
      try {
        expect(await lease?.renew()).toBe(true);
      } finally {
        await lease?.release();
      }
    }));
  });

  describe(`${name} (DistributedLock contract): losing`, () => {
    it('aborts the signal with LeaseLostError at the next renewal when another owner took the lease', withStore(async (fixture) => {
      const lock = lockOn(fixture);
      const lease = await lock.tryAcquire('lease-a', { ttlMs: 600, renewIntervalMs: 200 });
      if (lease === undefined) throw new Error('not acquired');
      // What another process sees once this one paused past its lease: the lease expired and was taken.
      expect(await fixture.store.release('lease-a', lease.ownerId)).toBe(true);
      tokenOf(await fixture.store.tryAcquire('lease-a', 'thief', 5_000));
      await fixture.advance(300);
      expect(lease.held).toBe(false);
      expect(lease.signal.aborted).toBe(true);
      expect(lease.signal.reason).toBeInstanceOf(LeaseLostError);
      expect(isCancellation(lease.signal.reason)).toBe(false);
      // The release of a lost lease does not touch the new owner's.
      await lease.release();
      expect(lease.signal.reason).toBeInstanceOf(LeaseLostError);
      expect(await fixture.store.renew('lease-a', 'thief', 5_000)).toBe(true);
    }));

    it('answers false from renew and aborts the signal when the lease was taken', withStore(async (fixture) => {
      const lock = lockOn(fixture);
      const lease = await lock.tryAcquire('lease-a', { ttlMs: ttl });
      if (lease === undefined) throw new Error('not acquired');
      await fixture.store.release('lease-a', lease.ownerId);
      tokenOf(await fixture.store.tryAcquire('lease-a', 'thief', ttl));
      expect(await lease.renew()).toBe(false);
      expect(lease.signal.reason).toBeInstanceOf(LeaseLostError);
    }));

    it('logs each failed renewal and gives the lease up once its time-to-live has passed since the last good one', withStore(async (fixture) => {
      const flaky = new FlakyStore(fixture.store);
      const { logger, sink } = recordingLogger();
      const lock = lockOn(fixture, flaky, logger);
      const lease = await lock.tryAcquire('lease-a', { ttlMs: 600, renewIntervalMs: 200 });
      if (lease === undefined) throw new Error('not acquired');
      const unreachable = new Error('connection refused');
      flaky.failure = unreachable;
      await fixture.advance(400);
      expect(lease.held).toBe(true);
      expect(sink.filter({ level: 'warn' }).length).toBeGreaterThanOrEqual(1);
      await fixture.advance(300);
      expect(lease.held).toBe(false);
      expect(lease.signal.reason).toBeInstanceOf(LeaseLostError);
      expect((lease.signal.reason as LeaseLostError).cause).toBe(unreachable);
      // Nothing keeps calling the store once the lease is given up.
      const calls = flaky.calls;
      await fixture.advance(600);
      expect(flaky.calls).toBe(calls);
      flaky.failure = undefined;
      await lease.release();
    }));

    it('keeps the lease when the store comes back before its time runs out', withStore(async (fixture) => {
      const flaky = new FlakyStore(fixture.store);
      const lock = lockOn(fixture, flaky);
      const lease = await lock.tryAcquire('lease-a', { ttlMs: 600, renewIntervalMs: 200 });
      try {
        flaky.failure = new Error('connection refused');
        await fixture.advance(300);
        flaky.failure = undefined;
        for (let i = 0; i < 5; i++) await fixture.advance(200);
        expect(lease?.held).toBe(true);
      } finally {
        await lease?.release();
      }
    }));
  });

  describe(`${name} (DistributedLock contract): releasing`, () => {
    it('lets another owner acquire at once and aborts the signal with LeaseReleasedError', withStore(async (fixture) => {
      const lock = lockOn(fixture);
      const lease = await lock.tryAcquire('lease-a', { ttlMs: 5_000 });
      if (lease === undefined) throw new Error('not acquired');
      await lease.release();
      expect(lease.held).toBe(false);
      expect(lease.signal.reason).toBeInstanceOf(LeaseReleasedError);
      expect(isCancellation(lease.signal.reason)).toBe(true);
      const next = await lock.tryAcquire('lease-a', { ttlMs: 5_000 });
      expect(next).toBeDefined();
      await next?.release();
    }));

    it('does nothing on a second release', withStore(async (fixture) => {
      const lock = lockOn(fixture);
      const lease = await lock.tryAcquire('lease-a', { ttlMs: ttl });
      await lease?.release();
      const next = await lock.tryAcquire('lease-a', { ttlMs: ttl });
      await lease?.release();
      expect(next?.held).toBe(true);
      expect(await next?.renew()).toBe(true);
      await next?.release();
    }));

    it('releases when disposed with await using', withStore(async (fixture) => {
      const lock = lockOn(fixture);
      let signal: AbortSignal | undefined;
      {
        await using lease = await lock.acquire('lease-a', { ttlMs: ttl }, new AbortController().signal);
        signal = lease.signal;
      }
      expect(signal.reason).toBeInstanceOf(LeaseReleasedError);
      expect(await lock.tryAcquire('lease-a', { ttlMs: ttl }).then((lease) => lease?.release().then(() => true))).toBe(true);
    }));

    it('logs and does not throw when the store cannot be reached on release', withStore(async (fixture) => {
      const flaky = new FlakyStore(fixture.store);
      const { logger, sink } = recordingLogger();
      const lock = lockOn(fixture, flaky, logger);
      const lease = await lock.tryAcquire('lease-a', { ttlMs: ttl });
      flaky.failure = new Error('connection refused');
      await expect(lease?.release()).resolves.toBeUndefined();
      expect(lease?.held).toBe(false);
      expect(sink.filter({ level: 'warn' }).length).toBeGreaterThanOrEqual(1);
      flaky.failure = undefined;
      await fixture.advance(ttl + 100);
      expect((await fixture.store.tryAcquire('lease-a', 'next', ttl)).acquired).toBe(true);
    }));
  });

  describe(`${name} (DistributedLock contract): waiting`, () => {
    it('resolves at once when the name is free', withStore(async (fixture) => {
      const lock = lockOn(fixture);
      const lease = await lock.acquire('lease-a', { ttlMs: ttl }, new AbortController().signal);
      expect(lease.held).toBe(true);
      await lease.release();
    }));

    it('takes over once a holder that stopped renewing has expired', withStore(async (fixture) => {
      const lock = lockOn(fixture);
      // A holder that died: it took the lease and never renews it.
      tokenOf(await fixture.store.tryAcquire('lease-a', 'dead-holder', 600));
      const waiting = track(lock.acquire('lease-a', { ttlMs: 600, retryIntervalMs: 5_000 }, new AbortController().signal));
      await fixture.advance(400);
      expect(waiting.settled()).toBe(false);
      await fixture.advance(400);
      expect(waiting.settled()).toBe(true);
      const lease = await waiting.promise;
      expect(lease.held).toBe(true);
      await lease.release();
    }));

    it('takes over within retryIntervalMs when the holder releases', withStore(async (fixture) => {
      const lock = lockOn(fixture);
      const holder = await lock.acquire('lease-a', { ttlMs: 5_000 }, new AbortController().signal);
      const waiting = track(lock.acquire('lease-a', { ttlMs: 5_000, retryIntervalMs: 300 }, new AbortController().signal));
      await fixture.advance(100);
      expect(waiting.settled()).toBe(false);
      await holder.release();
      await fixture.advance(400);
      expect(waiting.settled()).toBe(true);
      const lease = await waiting.promise;
      expect(lease.fencingToken).toBeGreaterThan(holder.fencingToken);
      await lease.release();
    }));

    it('rejects with the reason when the signal aborts while waiting', withStore(async (fixture) => {
      const lock = lockOn(fixture);
      tokenOf(await fixture.store.tryAcquire('lease-a', 'other', 5_000));
      const controller = new AbortController();
      const waiting = track(lock.acquire('lease-a', { ttlMs: ttl, retryIntervalMs: 200 }, controller.signal));
      await fixture.advance(300);
      const reason = new Error('stop');
      controller.abort(reason);
      await expect(waiting.promise).rejects.toBe(reason);
    }));

    it('logs store errors at warn and keeps trying until the store answers', withStore(async (fixture) => {
      const flaky = new FlakyStore(fixture.store);
      const { logger, sink } = recordingLogger();
      const lock = lockOn(fixture, flaky, logger);
      flaky.failure = new Error('connection refused');
      const waiting = track(lock.acquire('lease-a', { ttlMs: ttl, retryIntervalMs: 200 }, new AbortController().signal));
      await fixture.advance(300);
      expect(waiting.settled()).toBe(false);
      expect(sink.filter({ level: 'warn' }).length).toBeGreaterThanOrEqual(1);
      flaky.failure = undefined;
      await fixture.advance(300);
      expect(waiting.settled()).toBe(true);
      await (await waiting.promise).release();
    }));
  });
}
