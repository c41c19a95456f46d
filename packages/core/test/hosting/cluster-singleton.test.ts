import { describe, expect, it } from 'vitest';
import { DistributedLock, LeaseLostError, MemoryLeaseStore } from '../../src/coordination/index.ts';
import type { LeaseAcquisition, LeaseStore } from '../../src/coordination/index.ts';
import { BackgroundService, type BackgroundServiceOptions, HostLogEvents } from '../../src/hosting/index.ts';
import { createLoggerFactory, MemoryLogSink } from '../../src/logging/index.ts';
import { ManualTimeProvider } from '../../src/testing/index.ts';

type Behaviour = (signal: AbortSignal) => Promise<void>;

/** Waits for the signal, then rejects with its reason, as an awaited `delay(ms, signal)` would. */
const honour: Behaviour = (signal) =>
  new Promise<void>((_resolve, reject) => {
    signal.addEventListener('abort', () => reject(signal.reason as Error), { once: true });
  });

/** A singleton that records each execute and does what the test says. */
class Singleton extends BackgroundService {
  readonly signals: AbortSignal[] = [];
  readonly tokens: (number | undefined)[] = [];
  behaviour: Behaviour;

  constructor(options: BackgroundServiceOptions, behaviour: Behaviour = honour) {
    super(options);
    this.behaviour = behaviour;
  }

  get runs(): number {
    return this.signals.length;
  }

  protected override execute(signal: AbortSignal): Promise<void> {
    this.signals.push(signal);
    this.tokens.push(this.clusterLease?.fencingToken);
    return this.behaviour(signal);
  }
}

/** A store that can be frozen: every call then hangs, as calls from a dead or paused process do. */
class FreezableStore implements LeaseStore {
  readonly #inner: LeaseStore;
  frozen = false;

  constructor(inner: LeaseStore) {
    this.#inner = inner;
  }

  tryAcquire(name: string, ownerId: string, ttlMs: number, signal?: AbortSignal): Promise<LeaseAcquisition> {
    return this.frozen ? new Promise(() => undefined) : this.#inner.tryAcquire(name, ownerId, ttlMs, signal);
  }

  renew(name: string, ownerId: string, ttlMs: number, signal?: AbortSignal): Promise<boolean> {
    return this.frozen ? new Promise(() => undefined) : this.#inner.renew(name, ownerId, ttlMs, signal);
  }

  release(name: string, ownerId: string, signal?: AbortSignal): Promise<boolean> {
    return this.frozen ? new Promise(() => undefined) : this.#inner.release(name, ownerId, signal);
  }
}

function setup(): {
  time: ManualTimeProvider;
  store: MemoryLeaseStore;
  sink: MemoryLogSink;
  replica: (behaviour?: Behaviour, store?: LeaseStore, extra?: BackgroundServiceOptions) => Singleton;
} {
  const time = new ManualTimeProvider();
  const store = new MemoryLeaseStore({ timeProvider: time });
  const sink = new MemoryLogSink();
  const factory = createLoggerFactory({ sinks: [sink], minimumLevel: 'trace', timeProvider: time });
  let count = 0;
  const replica = (behaviour?: Behaviour, replicaStore: LeaseStore = store, extra: BackgroundServiceOptions = {}): Singleton => {
    count += 1;
    const logger = factory.createLogger(`replica-${count}`);
    const lock = new DistributedLock(replicaStore, { timeProvider: time, logger });
    return new Singleton(
      { timeProvider: time, logger, clusterSingleton: { lock, name: 'scheduler', leaseTtlMs: 900, retryIntervalMs: 300 }, ...extra },
      behaviour,
    );
  };
  return { time, store, sink, replica };
}

const never = (): AbortSignal => new AbortController().signal;

describe('BackgroundService with clusterSingleton', () => {
  it('runs execute on one replica only, and logs the leader with its fencing token', async () => {
    const { time, sink, replica } = setup();
    const a = replica();
    const b = replica();
    await a.start(never());
    await b.start(never());
    await time.advance(3_000);
    expect(a.runs + b.runs).toBe(1);
    const leader = a.runs === 1 ? a : b;
    expect(leader.clusterLease?.held).toBe(true);
    expect(leader.tokens).toEqual([leader.clusterLease?.fencingToken]);
    expect((a.runs === 1 ? b : a).clusterLease).toBeUndefined();
    expect(sink.filter({ level: 'info', messageIncludes: `is the leader of "scheduler" (fencing token ${leader.tokens[0]})` })).toHaveLength(1);
    expect(sink.byEvent(HostLogEvents.ClusterLeaderElected).map((record) => record.fields)).toEqual([
      expect.objectContaining({ lease: 'scheduler', fencingToken: leader.tokens[0] }),
    ]);
    await a.stop(never());
    await b.stop(never());
  });

  it('hands over within the retry interval when the leader stops, and releases the lease after execute settled', async () => {
    const { time, store, replica } = setup();
    const a = replica();
    const b = replica();
    await a.start(never());
    await time.flush();
    await b.start(never());
    await time.advance(100);
    expect([a.runs, b.runs]).toEqual([1, 0]);
    await a.stop(never());
    expect(a.status).toBe('completed');
    expect(a.clusterLease).toBeUndefined();
    expect(a.signals[0]?.aborted).toBe(true);
    await time.advance(300);
    expect(b.runs).toBe(1);
    expect(b.tokens[0]).toBeGreaterThan(a.tokens[0] ?? Infinity);
    await b.stop(never());
    expect((await store.tryAcquire('scheduler', 'anyone', 900)).acquired).toBe(true);
    expect(time.pendingTimerCount).toBe(0);
  });

  it('lets another replica take over within one lease period when the leader dies without releasing', async () => {
    const { time, store, replica } = setup();
    const deadStore = new FreezableStore(store);
    const a = replica(undefined, deadStore);
    const b = replica();
    await a.start(never());
    await time.flush();
    await b.start(never());
    await time.advance(100);
    expect(a.runs).toBe(1);
    // The leader's process freezes: it never renews nor releases again.
    deadStore.frozen = true;
    await time.advance(900);
    expect(b.runs).toBe(1);
    // The frozen leader's own deadline passed too: its work was told to stop, and it is not a fault.
    expect(a.signals[0]?.reason).toBeInstanceOf(LeaseLostError);
    // Its campaign hangs on the frozen store: a follower, not a leader.
    expect(a.status).toBe('campaigning');
    await b.stop(never());
    const stopping = new AbortController();
    stopping.abort(new Error('budget spent'));
    await expect(a.stop(stopping.signal)).rejects.toThrow('budget spent');
  });

  it('aborts execute\'s signal with LeaseLostError when the lease is lost, logs it at warn and campaigns again', async () => {
    const { time, store, sink, replica } = setup();
    const a = replica();
    await a.start(never());
    await time.flush();
    const first = a.clusterLease;
    if (first === undefined) throw new Error('not leader');
    // Another process took the lease after it expired on the store (this one was paused).
    await store.release('scheduler', first.ownerId);
    await store.tryAcquire('scheduler', 'other-replica', 900);
    await time.advance(300);
    expect(a.signals[0]?.aborted).toBe(true);
    expect(a.signals[0]?.reason).toBeInstanceOf(LeaseLostError);
    // Another replica holds the lease now: this one is a follower again.
    expect(a.status).toBe('campaigning');
    expect(a.fault).toBeUndefined();
    expect(sink.filter({ level: 'warn', messageIncludes: 'lost the lease "scheduler"; campaigning again' })).toHaveLength(1);
    expect(sink.byEvent(HostLogEvents.ClusterLeaseLost).map((record) => record.fields)).toEqual([
      expect.objectContaining({ lease: 'scheduler', fencingToken: first.fencingToken }),
    ]);
    expect(sink.filter({ minimumLevel: 'error' })).toHaveLength(0);
    expect(a.runs).toBe(1);
    // The other replica's lease expires without renewal: this one becomes leader again.
    await time.advance(900);
    expect(a.runs).toBe(2);
    expect(a.tokens[1]).toBeGreaterThan(a.tokens[0] ?? Infinity);
    await a.stop(never());
    expect(a.status).toBe('completed');
  });

  it('campaigns again when execute returns normally after losing the lease', async () => {
    const { time, store, replica } = setup();
    const a = replica((signal) => new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true })));
    await a.start(never());
    await time.flush();
    await store.release('scheduler', a.clusterLease?.ownerId ?? '');
    await time.advance(300);
    expect(a.runs).toBe(2);
    expect(a.status).toBe('running');
    await a.stop(never());
    expect(a.status).toBe('completed');
  });

  it('completes and releases the lease when execute returns while leader', async () => {
    const { time, replica } = setup();
    const a = replica(async () => undefined);
    const b = replica();
    await a.start(never());
    await time.flush();
    await b.start(never());
    await time.flush();
    expect(a.status).toBe('completed');
    expect(a.clusterLease).toBeUndefined();
    await time.advance(300);
    expect(b.runs).toBe(1);
    await b.stop(never());
    await a.stop(never());
  });

  it('treats a real fault as a fault, releasing the lease so another replica takes over', async () => {
    const { time, replica } = setup();
    const boom = new Error('boom');
    const a = replica(() => Promise.reject(boom));
    const b = replica();
    await a.start(never());
    await time.flush();
    await b.start(never());
    await expect(a.executeTask).rejects.toBe(boom);
    expect(a.status).toBe('faulted');
    await time.advance(300);
    expect(b.runs).toBe(1);
    await b.stop(never());
  });

  it('applies the restart policy to a fault and campaigns again after the backoff', async () => {
    const { time, replica } = setup();
    let calls = 0;
    const a = replica(
      (signal) => (++calls === 1 ? Promise.reject(new Error('boom')) : honour(signal)),
      undefined,
      { restartPolicy: { maxAttempts: 1, initialDelay: 1_000, jitter: 0 } },
    );
    await a.start(never());
    await time.flush();
    expect(a.status).toBe('restarting');
    expect(a.clusterLease).toBeUndefined();
    await time.advance(1_000);
    expect(a.runs).toBe(2);
    expect(a.restarts).toBe(1);
    await a.stop(never());
    expect(a.status).toBe('completed');
  });

  it('reports campaigning while it waits for the lease, and running once it leads', async () => {
    const { time, replica } = setup();
    const a = replica();
    const b = replica();
    await a.start(never());
    await time.flush();
    await b.start(never());
    await time.advance(100);
    expect([a.status, b.status]).toEqual(['running', 'campaigning']);
    await a.stop(never());
    await time.advance(300);
    expect(b.status).toBe('running');
    await b.stop(never());
    expect(b.status).toBe('completed');
  });

  it('does not count time spent campaigning toward the restart policy\'s resetAfter', async () => {
    const { time, store, replica } = setup();
    const a = replica(
      () => Promise.reject(new Error('boom')),
      undefined,
      { restartPolicy: { maxAttempts: 1, initialDelay: 100, jitter: 0, resetAfter: 1_000 } },
    );
    await a.start(never());
    await time.flush();
    expect([a.status, a.runs]).toEqual(['restarting', 1]);
    // During the backoff another replica leads for 5 s: this one campaigns that long, then faults at once.
    const other = await store.tryAcquire('scheduler', 'other-replica', 5_000);
    expect(other.acquired).toBe(true);
    await time.advance(100);
    expect(a.status).toBe('campaigning');
    await time.advance(5_000);
    await expect(a.executeTask).rejects.toThrow('boom');
    expect([a.status, a.runs, a.restarts]).toEqual(['faulted', 2, 1]);
  });

  it('steps down when execute releases the lease itself, and campaigns again after the retry interval', async () => {
    const { time, sink, replica } = setup();
    let calls = 0;
    const a: Singleton = replica(async (signal) => {
      calls += 1;
      if (calls === 1) {
        // What a run refused for a stale fencing token does.
        await a.clusterLease?.release();
        return;
      }
      await honour(signal);
    });
    await a.start(never());
    await time.flush();
    expect(a.runs).toBe(1);
    expect(a.status).toBe('campaigning');
    expect(sink.filter({ level: 'info', messageIncludes: 'stepped down from "scheduler"' })).toHaveLength(1);
    await time.advance(300);
    expect(a.runs).toBe(2);
    expect(a.status).toBe('running');
    expect(a.tokens[1]).toBeGreaterThan(a.tokens[0] ?? Infinity);
    await a.stop(never());
    expect(a.status).toBe('completed');
  });

  it('completes without calling execute when stopped while campaigning', async () => {
    const { time, store, replica } = setup();
    await store.tryAcquire('scheduler', 'other-replica', 60_000);
    const a = replica();
    await a.start(never());
    await time.advance(1_000);
    await a.stop(never());
    expect(a.runs).toBe(0);
    expect(a.status).toBe('completed');
    expect(time.pendingTimerCount).toBe(0);
  });

  it('rejects bad options when constructed', () => {
    const lock = new DistributedLock(new MemoryLeaseStore());
    expect(() => new Singleton({ clusterSingleton: { lock, name: '' } })).toThrow(
      new RangeError('Expected clusterSingleton.name to be a non-empty string, got "" (string)'),
    );
    expect(() => new Singleton({ clusterSingleton: { lock, name: 'x', leaseTtlMs: 0 } })).toThrow(RangeError);
    expect(() => new Singleton({ clusterSingleton: { lock: {} as DistributedLock, name: 'x' } })).toThrow(TypeError);
  });
});
