import { CronSchedule, createLoggerFactory, DistributedLock, MemoryLeaseStore, MemoryLogSink, type ServiceScopeFactory } from '@hostkit/core';
import { ManualTimeProvider } from '@hostkit/core/testing';
import { describe, expect, it } from 'vitest';
import { CleanupService } from '../../src/cleanup/cleanup-service.ts';
import { SqliteClusterRunLog } from '../../src/database/cluster-run-log.ts';
import { tempDir } from '../helpers.ts';

const HOUR = 3_600_000;
const start = Date.parse('2026-11-21T12:20:00Z');

/** Scopes whose unit of work finds nothing to delete: these tests count runs, not rows. */
const emptyScopes = {
  createScope: () => ({ get: () => ({ deleteBatch: () => 0 }), [Symbol.asyncDispose]: () => Promise.resolve() }),
} as unknown as ServiceScopeFactory;

const never = (): AbortSignal => new AbortController().signal;

describe('CleanupService on a schedule', () => {
  it('runs at each occurrence of CLEANUP_SCHEDULE in its time zone, none at start, and shows the next run', async () => {
    const time = new ManualTimeProvider({ now: start });
    const service = new CleanupService(emptyScopes, time, createLoggerFactory({ sinks: [] }).createLogger('test'), { write: () => undefined }, {
      intervalMs: 10,
      schedule: new CronSchedule('0 */6 * * *', { timeZone: 'America/New_York' }),
      retentionDays: 30,
    });
    await service.start(never());
    await time.advance(0);
    // 12:20 UTC is 07:20 in New York: the next multiple of six hours there is 12:00 EST, 17:00 UTC.
    expect(service.snapshot()).toMatchObject({ schedule: '0 */6 * * *', timeZone: 'America/New_York', nextRun: '2026-11-21T17:00:00.000Z', runs: 0 });
    expect(service.snapshot()).not.toHaveProperty('intervalMs');
    await time.advance(5 * HOUR);
    expect(service.snapshot()).toMatchObject({ runs: 1, nextRun: '2026-11-21T23:00:00.000Z' });
    await time.advance(6 * HOUR);
    expect(service.snapshot()['runs']).toBe(2);
    await service.stop(never());
    expect(service.snapshot()['nextRun']).toBeNull();
  });

  it('runs each occurrence once across replicas, recorded under its occurrence time and fencing token, and a new leader does not rerun it', async () => {
    await using dir = await tempDir();
    const time = new ManualTimeProvider({ now: start });
    const store = new MemoryLeaseStore({ timeProvider: time });
    using runs = new SqliteClusterRunLog(dir.path);
    const sink = new MemoryLogSink();
    const loggers = createLoggerFactory({ sinks: [sink], minimumLevel: 'trace', timeProvider: time });
    const replica = (replicaId: string): CleanupService =>
      new CleanupService(emptyScopes, time, loggers.createLogger(replicaId), { write: () => undefined }, {
        intervalMs: 10,
        schedule: new CronSchedule('0 * * * *'),
        retentionDays: 30,
        cluster: { lock: new DistributedLock(store, { timeProvider: time }), runs, leaseTtlMs: 900, replicaId },
      });
    const a = replica('a');
    const b = replica('b');
    await a.start(never());
    await time.advance(0);
    await b.start(never());
    await time.advance(HOUR);
    // 13:00 ran on a. Then a stops at 13:30 and b takes over: b must not run 13:00 again.
    await time.advance(10 * 60_000);
    await a.stop(never());
    await time.advance(HOUR);
    const rows = runs.list('cleanup').map((run) => [run.replica, new Date(run.startedAt).toISOString(), run.fencingToken, run.outcome]);
    expect(rows).toEqual([
      ['a', '2026-11-21T13:00:00.000Z', 1, 'ok'],
      ['b', '2026-11-21T14:00:00.000Z', 2, 'ok'],
    ]);
    expect(a.snapshot()['runs']).toBe(1);
    expect(b.snapshot()['runs']).toBe(1);
    await b.stop(never());
  });

  it('catches up once, on a new leader, an occurrence missed while no replica led', async () => {
    await using dir = await tempDir();
    const time = new ManualTimeProvider({ now: start });
    const store = new MemoryLeaseStore({ timeProvider: time });
    using runs = new SqliteClusterRunLog(dir.path);
    // The last recorded run was three hours ago: 10:00 and 11:00 and 12:00 were missed.
    runs.record('cleanup', 'gone', 1, Date.parse('2026-11-21T09:00:00Z'), Date.parse('2026-11-21T09:00:01Z'), 'ok');
    const service = new CleanupService(emptyScopes, time, createLoggerFactory({ sinks: [] }).createLogger('c'), { write: () => undefined }, {
      intervalMs: 10,
      schedule: new CronSchedule('0 * * * *'),
      retentionDays: 30,
      cluster: { lock: new DistributedLock(store, { timeProvider: time }), runs, leaseTtlMs: 900, replicaId: 'c' },
    });
    await service.start(never());
    await time.advance(HOUR);
    expect(runs.list('cleanup').map((run) => `${run.replica} ${new Date(run.startedAt).toISOString()}`)).toEqual([
      'gone 2026-11-21T09:00:00.000Z',
      'c 2026-11-21T12:00:00.000Z',
      'c 2026-11-21T13:00:00.000Z',
    ]);
    await service.stop(never());
  });

  it('runs again, on a new leader, the occurrence whose leader died mid-run, in its row under the new token, and only once', async () => {
    await using dir = await tempDir();
    const time = new ManualTimeProvider({ now: start });
    const store = new MemoryLeaseStore({ timeProvider: time });
    using runs = new SqliteClusterRunLog(dir.path);
    // A leader (under a token below any the store gives next) claimed the 12:00 occurrence and died
    // before it ended: the row has no end.
    expect(runs.begin('cleanup', 'dead', 0, Date.parse('2026-11-21T12:00:00Z'), 1).ok).toBe(true);
    const replica = (replicaId: string, unfinished?: 'run' | 'skip'): CleanupService =>
      new CleanupService(emptyScopes, time, createLoggerFactory({ sinks: [] }).createLogger(replicaId), { write: () => undefined }, {
        intervalMs: 10,
        schedule: new CronSchedule('0 * * * *'),
        retentionDays: 30,
        unfinished,
        cluster: { lock: new DistributedLock(store, { timeProvider: time }), runs, leaseTtlMs: 900, replicaId },
      });
    const c = replica('c');
    await c.start(never());
    await time.advance(1_000);
    const rows = (): string[] =>
      runs.list('cleanup').map((run) => `${run.replica} ${new Date(run.startedAt).toISOString()} token ${run.fencingToken} ${run.outcome}`);
    expect(rows()).toEqual([`c 2026-11-21T12:00:00.000Z token 1 ok`]);
    expect(c.snapshot()['runs']).toBe(1);
    // The next leader finds it ended: not a third time.
    await c.stop(never());
    const d = replica('d');
    await d.start(never());
    await time.advance(HOUR);
    expect(rows()).toEqual([
      `c 2026-11-21T12:00:00.000Z token 1 ok`,
      `d 2026-11-21T13:00:00.000Z token 2 ok`,
    ]);
    expect(d.snapshot()['runs']).toBe(1);
    await d.stop(never());
  });

  it('leaves the occurrence whose leader died mid-run unfinished when unfinished is skip', async () => {
    await using dir = await tempDir();
    const time = new ManualTimeProvider({ now: start });
    const store = new MemoryLeaseStore({ timeProvider: time });
    using runs = new SqliteClusterRunLog(dir.path);
    runs.begin('cleanup', 'dead', 0, Date.parse('2026-11-21T12:00:00Z'), 1);
    const service = new CleanupService(emptyScopes, time, createLoggerFactory({ sinks: [] }).createLogger('c'), { write: () => undefined }, {
      intervalMs: 10,
      schedule: new CronSchedule('0 * * * *'),
      retentionDays: 30,
      unfinished: 'skip',
      cluster: { lock: new DistributedLock(store, { timeProvider: time }), runs, leaseTtlMs: 900, replicaId: 'c' },
    });
    await service.start(never());
    await time.advance(1_000);
    expect(service.snapshot()['leader']).toBe(true);
    expect(runs.list('cleanup').map((run) => `${run.replica} ${run.outcome}`)).toEqual(['dead null']);
    expect(service.snapshot()['runs']).toBe(0);
    await service.stop(never());
  });
});
