import { describe, expect, it } from 'vitest';
import { DistributedLock, LeaseLostError, MemoryLeaseStore } from '../../src/coordination/index.ts';
import type { LeaseAcquisition, LeaseStore } from '../../src/coordination/index.ts';
import {
  MemoryScheduleRunLog,
  ScheduledBackgroundService,
  type ScheduledBackgroundServiceOptions,
  type ScheduledOccurrence,
  type ScheduleRunLog,
} from '../../src/hosting/index.ts';
import { createLoggerFactory, MemoryLogSink } from '../../src/logging/index.ts';
import { ManualTimeProvider } from '../../src/testing/index.ts';

const start = Date.parse('2026-05-01T10:00:00Z');
const minute = 60_000;
const hhmm = (ms: number): string => new Date(ms).toISOString().slice(11, 19);

type Body = (occurrence: ScheduledOccurrence, signal: AbortSignal) => Promise<void>;

interface Run {
  readonly occurrence: string;
  readonly startedAt: string;
  readonly fencingToken: number | undefined;
  readonly rerun: boolean;
}

/** A scheduled service that records each run and does what the test says. */
class Job extends ScheduledBackgroundService {
  readonly runs: Run[] = [];
  readonly #time: ManualTimeProvider;
  readonly #body: Body;

  constructor(time: ManualTimeProvider, options: Omit<ScheduledBackgroundServiceOptions, 'timeProvider'>, body: Body = () => Promise.resolve()) {
    super({ timeProvider: time, ...options });
    this.#time = time;
    this.#body = body;
  }

  protected override runOccurrence(occurrence: ScheduledOccurrence, signal: AbortSignal): Promise<void> {
    this.runs.push({
      occurrence: hhmm(occurrence.time),
      startedAt: hhmm(this.#time.now()),
      fencingToken: occurrence.fencingToken,
      rerun: occurrence.rerun,
    });
    return this.#body(occurrence, signal);
  }
}

/** Waits for the signal, then rejects with its reason: a run that honours its signal and never ends on its own. */
const untilAborted: Body = (_occurrence, signal) =>
  new Promise<void>((_resolve, reject) => {
    signal.addEventListener('abort', () => reject(signal.reason as Error), { once: true });
  });

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

const never = (): AbortSignal => new AbortController().signal;

/** Stops a replica whose store may be frozen: a frozen one cannot release, so its stop is abandoned at once. */
async function stopAll(...jobs: Job[]): Promise<void> {
  for (const job of jobs) {
    const budget = new AbortController();
    const stopped = job.stop(budget.signal);
    budget.abort(new Error('budget spent'));
    await stopped.catch(() => undefined);
  }
}

function cluster(): {
  time: ManualTimeProvider;
  store: MemoryLeaseStore;
  runLog: MemoryScheduleRunLog;
  sink: MemoryLogSink;
  replica: (body?: Body, store?: LeaseStore, extra?: Partial<ScheduledBackgroundServiceOptions>) => Job;
} {
  const time = new ManualTimeProvider({ now: start });
  const store = new MemoryLeaseStore({ timeProvider: time });
  const runLog = new MemoryScheduleRunLog();
  const sink = new MemoryLogSink();
  const factory = createLoggerFactory({ sinks: [sink], minimumLevel: 'trace', timeProvider: time });
  let count = 0;
  const replica = (body?: Body, replicaStore: LeaseStore = store, extra: Partial<ScheduledBackgroundServiceOptions> = {}): Job => {
    count += 1;
    const logger = factory.createLogger(`replica-${count}`);
    const lock = new DistributedLock(replicaStore, { timeProvider: time, logger });
    return new Job(
      time,
      {
        schedule: '* * * * *',
        logger,
        runLog,
        clusterSingleton: { lock, name: 'cleanup', leaseTtlMs: 10_000, retryIntervalMs: 3_000 },
        ...extra,
      },
      body,
    );
  };
  return { time, store, runLog, sink, replica };
}

describe('ScheduledBackgroundService', () => {
  it('runs each occurrence on the service clock, with its time, and shows the next one', async () => {
    const time = new ManualTimeProvider({ now: start });
    const job = new Job(time, { schedule: '*/20 * * * * *' });
    expect(job.nextOccurrence).toBeUndefined();
    await job.start(never());
    await time.flush();
    expect(hhmm(job.nextOccurrence ?? 0)).toBe('10:00:20');
    await time.advance(minute);
    expect(job.runs.map((run) => `${run.occurrence} at ${run.startedAt}`)).toEqual([
      '10:00:20 at 10:00:20',
      '10:00:40 at 10:00:40',
      '10:01:00 at 10:01:00',
    ]);
    expect(job.runs.every((run) => run.fencingToken === undefined && !run.rerun)).toBe(true);
    await job.stop(never());
    expect(job.status).toBe('completed');
    expect(job.nextOccurrence).toBeUndefined();
    expect(time.pendingTimerCount).toBe(0);
  });

  describe('overlap', () => {
    const slowFirst = (time: ManualTimeProvider): Body => {
      let first = true;
      return async (_occurrence, signal) => {
        if (!first) return;
        first = false;
        await time.delay(2.5 * minute, signal);
      };
    };

    it('drops occurrences that come during a run by default (skip)', async () => {
      const time = new ManualTimeProvider({ now: start });
      const job = new Job(time, { schedule: '* * * * *' }, slowFirst(time));
      await job.start(never());
      await time.advance(5 * minute);
      await job.stop(never());
      expect(job.runs.map((run) => `${run.occurrence} at ${run.startedAt}`)).toEqual([
        '10:01:00 at 10:01:00',
        '10:04:00 at 10:04:00',
        '10:05:00 at 10:05:00',
      ]);
    });

    it('runs the latest occurrence that came during a run once the run ends under wait', async () => {
      const time = new ManualTimeProvider({ now: start });
      const job = new Job(time, { schedule: '* * * * *', overlap: 'wait' }, slowFirst(time));
      await job.start(never());
      await time.advance(5 * minute);
      await job.stop(never());
      expect(job.runs.map((run) => `${run.occurrence} at ${run.startedAt}`)).toEqual([
        '10:01:00 at 10:01:00',
        '10:03:00 at 10:03:30',
        '10:04:00 at 10:04:00',
        '10:05:00 at 10:05:00',
      ]);
    });

    it('starts every occurrence at its time alongside a slow run under allow, and waits for all on stop', async () => {
      const time = new ManualTimeProvider({ now: start });
      let running = 0;
      let most = 0;
      const job = new Job(time, { schedule: '* * * * *', overlap: 'allow' }, async (_occurrence, signal) => {
        running += 1;
        most = Math.max(most, running);
        try {
          await time.delay(2.5 * minute, signal);
        } finally {
          running -= 1;
        }
      });
      await job.start(never());
      await time.advance(5 * minute);
      expect(job.runs.map((run) => run.startedAt)).toEqual(['10:01:00', '10:02:00', '10:03:00', '10:04:00', '10:05:00']);
      expect(most).toBe(3);
      await job.stop(never());
      expect(running).toBe(0);
      expect(job.status).toBe('completed');
    });
  });

  it('logs a run that fails, records it failed, and goes on with the schedule', async () => {
    const time = new ManualTimeProvider({ now: start });
    const sink = new MemoryLogSink();
    const logger = createLoggerFactory({ sinks: [sink], timeProvider: time }).createLogger('job');
    const runLog = new MemoryScheduleRunLog();
    let calls = 0;
    const job = new Job(time, { schedule: '* * * * *', logger, runLog, runLogName: 'report' }, () => {
      calls += 1;
      return calls === 1 ? Promise.reject(new Error('disk full')) : Promise.resolve();
    });
    await job.start(never());
    await time.advance(2 * minute);
    await job.stop(never());
    expect(job.runs).toHaveLength(2);
    expect(runLog.list('report').map((record) => `${hhmm(record.occurrence)} ${record.state}`)).toEqual(['10:01:00 failed', '10:02:00 completed']);
    expect(sink.filter({ level: 'error', messageIncludes: 'Occurrence 2026-05-01T10:01:00.000Z of "report" failed; the schedule goes on' })).toHaveLength(1);
  });

  it('catches up the occurrences missed while no process ran it, once, from the run log', async () => {
    const time = new ManualTimeProvider({ now: start + 30 * minute + 10_000 });
    const runLog = new MemoryScheduleRunLog();
    await runLog.begin('report', start - 60 * minute, 0);
    await runLog.end('report', start - 60 * minute, 0, 'completed');
    const job = new Job(time, { schedule: '*/10 * * * *', runLog, runLogName: 'report' });
    await job.start(never());
    await time.advance(10 * minute);
    await job.stop(never());
    // 09:10 ... 10:30 were missed: one catch-up run, for 10:30, at once; then 10:40 on time.
    expect(job.runs.map((run) => `${run.occurrence} at ${run.startedAt}`)).toEqual(['10:30:00 at 10:30:10', '10:40:00 at 10:40:00']);
  });

  it('rejects a bad expression, time zone or policy at construction with a RangeError naming the value', () => {
    const time = new ManualTimeProvider();
    expect(() => new Job(time, { schedule: '0 25 * * *' })).toThrow(/Expected expression to be a cron expression.*got "0 25 \* \* \*" \(string\)/);
    expect(() => new Job(time, { schedule: '0 * * * *', timeZone: 'Europe/Atlantis' })).toThrow(/got "Europe\/Atlantis"/);
    expect(() => new Job(time, { schedule: '0 * * * *', overlap: 'queue' as 'wait' })).toThrow(
      `Expected overlap to be one of 'skip', 'wait', 'allow', got "queue" (string)`,
    );
    expect(() => new Job(time, { schedule: '0 * * * *', runLog: new MemoryScheduleRunLog() })).toThrow(TypeError);
    expect(time.pendingTimerCount).toBe(0);
  });

  describe('with clusterSingleton and a run log', () => {
    it('steps down without running when the run log refuses its fencing token as stale, and campaigns again', async () => {
      const { time, runLog, sink, replica } = cluster();
      let refusals = 1;
      const refusing: ScheduleRunLog = {
        begin: (name, occurrence, fencingToken) =>
          refusals-- > 0 ? Promise.resolve('stale' as const) : runLog.begin(name, occurrence, fencingToken),
        end: (name, occurrence, fencingToken, state) => runLog.end(name, occurrence, fencingToken, state),
        latest: (name) => runLog.latest(name),
      };
      const a = replica(undefined, undefined, { runLog: refusing });
      await a.start(never());
      await time.advance(minute);
      expect(a.runs).toEqual([]);
      expect(a.status).toBe('campaigning');
      expect(sink.filter({ level: 'warn', messageIncludes: 'is stale; stepping down' })).toHaveLength(1);
      // It leads again after its retry interval and runs the next occurrence.
      await time.advance(minute);
      expect(a.runs.map((run) => run.occurrence)).toEqual(['10:02:00']);
      await stopAll(a);
    });


    it('runs each occurrence on exactly one of three replicas, recording the fencing token', async () => {
      const { time, runLog, replica } = cluster();
      const replicas = [replica(), replica(), replica()];
      for (const job of replicas) await job.start(never());
      await time.advance(5 * minute);
      const runs = replicas.flatMap((job) => job.runs);
      expect(runs.map((run) => run.occurrence).sort()).toEqual(['10:01:00', '10:02:00', '10:03:00', '10:04:00', '10:05:00']);
      const leader = replicas.find((job) => job.runs.length > 0);
      expect(runLog.list('cleanup').map((record) => [hhmm(record.occurrence), record.state, record.fencingToken])).toEqual(
        runs.map((run) => [run.occurrence, 'completed', leader?.clusterLease?.fencingToken]),
      );
      expect(replicas.filter((job) => job.status === 'campaigning')).toHaveLength(2);
      expect(replicas.filter((job) => job.nextOccurrence === undefined)).toHaveLength(2);
      await stopAll(...replicas);
    });

    it('makes a new leader rerun the occurrence the dead leader never finished, under its greater token', async () => {
      const { time, store, runLog, replica } = cluster();
      const deadStore = new FreezableStore(store);
      const a = replica(untilAborted, deadStore);
      await a.start(never());
      await time.flush();
      const b = replica();
      await b.start(never());
      // 10:01: a starts the run, which never ends; then a's process freezes mid-run.
      await time.advance(minute + 5_000);
      expect(a.runs.map((run) => run.occurrence)).toEqual(['10:01:00']);
      deadStore.frozen = true;
      await time.advance(15_000);
      expect(b.runs[0]).toEqual({ occurrence: '10:01:00', startedAt: '10:01:13', fencingToken: expect.any(Number), rerun: true });
      expect(b.runs[0]?.fencingToken).toBeGreaterThan(a.runs[0]?.fencingToken ?? Infinity);
      await time.advance(minute);
      expect(b.runs.map((run) => run.occurrence)).toEqual(['10:01:00', '10:02:00']);
      expect(runLog.list('cleanup').map((record) => `${hhmm(record.occurrence)} ${record.state} ${record.fencingToken}`)).toEqual([
        `10:01:00 completed ${b.runs[0]?.fencingToken}`,
        `10:02:00 completed ${b.runs[0]?.fencingToken}`,
      ]);
      await stopAll(a, b);
    });

    it('leaves the unfinished occurrence alone under unfinished: skip', async () => {
      const { time, store, runLog, replica } = cluster();
      const deadStore = new FreezableStore(store);
      const a = replica(untilAborted, deadStore, { unfinished: 'skip' });
      await a.start(never());
      await time.flush();
      const b = replica(undefined, store, { unfinished: 'skip' });
      await b.start(never());
      await time.advance(minute + 5_000);
      deadStore.frozen = true;
      await time.advance(minute);
      expect(b.runs.map((run) => `${run.occurrence} ${run.rerun}`)).toEqual(['10:02:00 false']);
      expect(runLog.list('cleanup').map((record) => `${hhmm(record.occurrence)} ${record.state}`)).toEqual(['10:01:00 started', '10:02:00 completed']);
      await stopAll(a, b);
    });

    it('does not make a new leader rerun an occurrence the old leader completed', async () => {
      const { time, store, runLog, replica } = cluster();
      const deadStore = new FreezableStore(store);
      const a = replica(undefined, deadStore);
      await a.start(never());
      await time.flush();
      const b = replica();
      await b.start(never());
      await time.advance(minute + 5_000);
      deadStore.frozen = true;
      // a's lease expires at about 10:01:15: b leads before 10:02 and runs only 10:02.
      await time.advance(minute);
      expect(a.runs.map((run) => run.occurrence)).toEqual(['10:01:00']);
      expect(b.runs.map((run) => `${run.occurrence} ${run.rerun}`)).toEqual(['10:02:00 false']);
      expect(runLog.list('cleanup').map((record) => `${hhmm(record.occurrence)} ${record.state}`)).toEqual(['10:01:00 completed', '10:02:00 completed']);
      await stopAll(a, b);
    });

    it('aborts the run of a leader that lost its lease mid-run, and the run log refuses its stale token', async () => {
      const { time, store, runLog, sink, replica } = cluster();
      const signals: AbortSignal[] = [];
      const a = replica((occurrence, signal) => {
        signals.push(signal);
        return untilAborted(occurrence, signal);
      });
      await a.start(never());
      await time.advance(minute);
      const first = a.clusterLease;
      if (first === undefined) throw new Error('not leader');
      // Another process took the lease after it expired on the store (this one was paused).
      await store.release('cleanup', first.ownerId);
      const other = await store.tryAcquire('cleanup', 'other-replica', 10_000);
      expect(other.acquired).toBe(true);
      await runLog.begin('cleanup', start + 2 * minute, other.acquired ? other.fencingToken : 0);
      await time.advance(4_000);
      expect(signals[0]?.reason).toBeInstanceOf(LeaseLostError);
      // a campaigns again, leads once the other's lease expires, but its token is now below the log's.
      expect(await runLog.begin('cleanup', start, first.fencingToken)).toBe('stale');
      expect(sink.filter({ minimumLevel: 'error' })).toHaveLength(0);
      await stopAll(a);
    });
  });
});
