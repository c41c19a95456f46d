import {
  createLoggerFactory,
  DistributedLock,
  LoggerFactoryToken,
  MemoryLeaseStore,
  MemoryLogSink,
  TimeProviderToken,
  type Host,
  type ServiceScopeFactory,
} from '@hostkit/core';
import { ManualTimeProvider } from '@hostkit/core/testing';
import { describe, expect, it } from 'vitest';
import { addCleanup } from '../../src/cleanup/add-cleanup.ts';
import { CleanupService, type CleanupServiceOptions } from '../../src/cleanup/cleanup-service.ts';
import { LogCleanupUnitOfWork, LogCleanupUnitOfWorkToken } from '../../src/cleanup/log-cleanup-unit-of-work.ts';
import { ActivityLogToken } from '../../src/database/activity-log.ts';
import { openAppDatabase } from '../../src/database/app-database.ts';
import { SqliteActivityLog } from '../../src/database/sqlite-activity-log.ts';
import { SqliteClusterRunLog } from '../../src/database/cluster-run-log.ts';
import { createTestBuilder, DAY_MS, insertLogs, readLogs, tempDir, testConfig } from '../helpers.ts';

const HOUR = 3_600_000;

interface Fixture {
  host: Host;
  time: ManualTimeProvider;
  service: CleanupService;
  /** Every unit of work the scopes created, in order. */
  units: LogCleanupUnitOfWork[];
  messages: () => string[];
}

/** A host with only the cleanup sample on a manual clock, over a real app.db in `dataDir`. */
function createCleanupHost(
  dataDir: string,
  options: Partial<CleanupServiceOptions> = {},
  createUnit: (index: number) => LogCleanupUnitOfWork = () => new LogCleanupUnitOfWork(dataDir),
): Fixture {
  const time = new ManualTimeProvider({ now: Date.parse('2026-11-21T12:00:00Z') });
  const { builder, logs } = createTestBuilder(time);
  const config = testConfig(dataDir, { cleanupIntervalMs: HOUR, logRetentionDays: 30 });
  builder.services.addSingleton(
    ActivityLogToken,
    [TimeProviderToken, LoggerFactoryToken],
    (clock, loggers) => new SqliteActivityLog(dataDir, clock, loggers.createLogger('test.ActivityLog')),
  );
  addCleanup(builder, config, {
    activity: ActivityLogToken,
    options: { batchSize: options.batchSize ?? 1_000, batchPauseMs: options.batchPauseMs ?? 10 },
  });
  // Registered last, so it wins: the same unit of work, recorded so the test can see its connection.
  const units: LogCleanupUnitOfWork[] = [];
  builder.services.addScoped(LogCleanupUnitOfWorkToken, () => {
    const unit = createUnit(units.length);
    units.push(unit);
    return unit;
  });
  const host = builder.build();
  return {
    host,
    time,
    service: host.services.get(CleanupService),
    units,
    messages: () => logs.records.filter((record) => record.category === 'samples.Cleanup').map((record) => record.message),
  };
}

/** Rows the cleanup wrote about itself are not what the tests count. */
function userRows(dataDir: string): { created_at: number; message: string }[] {
  return readLogs(dataDir).filter((row) => !row.message.startsWith('[cleanup]'));
}

async function until(condition: () => boolean, time: ManualTimeProvider): Promise<void> {
  for (let i = 0; i < 100 && !condition(); i++) await time.advance(0);
  expect(condition()).toBe(true);
}

describe('CleanupService', () => {
  it('deletes only the rows older than the retention when it starts', async () => {
    await using dir = await tempDir();
    const now = Date.parse('2026-11-21T12:00:00Z');
    insertLogs(dir.path, now - 40 * DAY_MS, 5, 'old');
    insertLogs(dir.path, now - 30 * DAY_MS - 1, 2, 'just too old');
    insertLogs(dir.path, now - 29 * DAY_MS, 3, 'recent');
    insertLogs(dir.path, now, 4, 'new');
    const { host, time, service } = createCleanupHost(dir.path);
    await host.start();
    await until(() => service.snapshot()['runs'] === 1, time);

    const left = userRows(dir.path).map((row) => row.message.split(' ')[0]);
    expect(left).toEqual(['recent', 'recent', 'recent', 'new', 'new', 'new', 'new']);
    expect(service.snapshot()['deletedTotal']).toBe(7);
    await host.stop();
    await host.dispose();
  });

  it('deletes in bounded batches, one transaction each', async () => {
    await using dir = await tempDir();
    insertLogs(dir.path, Date.parse('2026-01-01T00:00:00Z'), 35, 'old');
    const { host, time, service, units } = createCleanupHost(dir.path, { batchSize: 10, batchPauseMs: 10 });
    await host.start();
    await time.advance(0);
    // One batch of 10 is gone; the next waits for the pause between batches.
    expect(userRows(dir.path)).toHaveLength(25);
    expect(units[0]?.inTransaction).toBe(false);
    await time.advance(10);
    expect(userRows(dir.path)).toHaveLength(15);
    await time.advance(20);
    await until(() => service.snapshot()['runs'] === 1, time);
    expect(userRows(dir.path)).toHaveLength(0);
    expect(service.snapshot()['lastRun']).toMatchObject({ deleted: 35, batches: 4, interrupted: false });
    await host.stop();
    await host.dispose();
  });

  it('stops between two batches, never inside one, and leaves the rest for the next run', async () => {
    await using dir = await tempDir();
    insertLogs(dir.path, Date.parse('2026-01-01T00:00:00Z'), 35, 'old');
    const { host, time, service, units } = createCleanupHost(dir.path, { batchSize: 10, batchPauseMs: 1_000 });
    await host.start();
    await time.advance(0);
    expect(userRows(dir.path)).toHaveLength(25);

    // No time passes: the stop does not wait out the pause between batches.
    await host.stop();
    expect(userRows(dir.path)).toHaveLength(25);
    expect(service.snapshot()['lastRun']).toMatchObject({ deleted: 10, batches: 1, interrupted: true });
    expect(service.status).toBe('completed');
    expect(units[0]?.isOpen).toBe(false);
    await host.dispose();
  });

  it('closes the unit of work\'s connection when the tick\'s scope ends, one connection per tick', async () => {
    await using dir = await tempDir();
    const { host, time, service, units } = createCleanupHost(dir.path);
    await host.start();
    await until(() => service.snapshot()['runs'] === 1, time);
    expect(units).toHaveLength(1);
    expect(units[0]?.isOpen).toBe(false);

    await time.advance(HOUR);
    await until(() => service.snapshot()['runs'] === 2, time);
    expect(units).toHaveLength(2);
    expect(units[1]).not.toBe(units[0]);
    expect(units[1]?.isOpen).toBe(false);
    await host.stop();
    await host.dispose();
  });

  it('stops at once while waiting for the next run (seed bug: Sleep(1 hour) ignored cancellation)', async () => {
    await using dir = await tempDir();
    const { host, time, service } = createCleanupHost(dir.path);
    await host.start();
    await until(() => service.snapshot()['runs'] === 1, time);
    const before = time.timestamp();
    let stopped = false;
    const stopping = host.stop().then(() => {
      stopped = true;
    });
    // The manual clock is not advanced: a stop that waited for the hour would never settle.
    await until(() => stopped, time);
    await stopping;
    expect(time.timestamp()).toBe(before);
    expect(service.status).toBe('completed');
    await host.dispose();
  });

  it('makes stop wait for a run in progress to finish (seed bug: StopAsync set a flag and returned)', async () => {
    await using dir = await tempDir();
    insertLogs(dir.path, Date.parse('2026-01-01T00:00:00Z'), 20, 'old');
    const { host, time, service, units } = createCleanupHost(dir.path, { batchSize: 10, batchPauseMs: 1_000 });
    await host.start();
    await time.advance(0);
    expect(service.snapshot()['running']).toBe(true);
    await host.stop();
    // When stop resolves the loop has ended: the run is recorded and its connection closed.
    expect(service.snapshot()['running']).toBe(false);
    expect(units[0]?.isOpen).toBe(false);
    await host.dispose();
  });

  it('runs on a fixed rate whatever a run takes (seed bug: a Sleep after the work drifted)', async () => {
    await using dir = await tempDir();
    const old = Date.parse('2026-01-01T00:00:00Z');
    // Each run deletes 25 rows in batches of 10, 10 and 5: two pauses of 10 minutes, so a run
    // takes 20 minutes of its hour. A sleep after the work would start runs at 0, 80 and 160 min.
    insertLogs(dir.path, old, 25, 'old');
    const { host, time, service, units } = createCleanupHost(dir.path, { batchSize: 10, batchPauseMs: 600_000 });
    const origin = time.now();
    const runStarts: number[] = [];
    await host.start();
    let seen = 0;
    while (time.now() - origin < 2.5 * HOUR) {
      await time.advance(0);
      if (units.length > runStarts.length) runStarts.push(time.now() - origin);
      const runs = service.snapshot()['runs'] as number;
      if (runs > seen) {
        seen = runs;
        insertLogs(dir.path, old, 25, 'old');
      }
      await time.advance(60_000);
    }
    expect(runStarts).toEqual([0, HOUR, 2 * HOUR]);
    expect(service.snapshot()['lastRun']).toMatchObject({ batches: 3, durationMs: 20 * 60_000 });
    await host.stop();
    await host.dispose();
  });

  it('logs a failed run, reports degraded health and runs again at the next tick', async () => {
    await using dir = await tempDir();
    class LockedUnitOfWork extends LogCleanupUnitOfWork {
      override deleteBatch(): number {
        throw new Error('disk I/O error');
      }
    }
    const { host, time, service, units } = createCleanupHost(dir.path, {}, (index) =>
      index === 0 ? new LockedUnitOfWork(dir.path) : new LogCleanupUnitOfWork(dir.path),
    );
    await host.start();
    await until(() => service.snapshot()['runs'] === 1, time);
    expect(service.health()).toMatchObject({ status: 'degraded' });
    expect(service.health().description).toContain('disk I/O error');
    // The failed run's connection is closed all the same.
    expect(units[0]?.isOpen).toBe(false);
    await time.advance(HOUR);
    await until(() => service.snapshot()['runs'] === 2, time);
    expect(service.health().status).toBe('healthy');
    expect(service.status).toBe('running');
    await host.stop();
    await host.dispose();
  });

  it('waits on the event loop and tries again while another connection holds the write lock, then deletes the rows', async () => {
    await using dir = await tempDir();
    const now = Date.parse('2026-11-21T12:00:00Z');
    insertLogs(dir.path, now - 40 * DAY_MS, 5, 'old');
    const other = openAppDatabase(dir.path);
    try {
      other.exec('BEGIN EXCLUSIVE');
      const { host, time, service } = createCleanupHost(dir.path);
      const started = performance.now();
      await host.start();
      await time.advance(10_000);
      // Each attempt fails at once (short busy timeout) instead of blocking for seconds.
      expect(performance.now() - started).toBeLessThan(2_000);
      expect(service.snapshot()).toMatchObject({ runs: 0, running: true, failed: 0 });
      other.exec('COMMIT');
      // The next attempt comes after the current pause (at most 1 s).
      await time.advance(1_000);
      await until(() => service.snapshot()['runs'] === 1, time);
      expect(service.snapshot()).toMatchObject({ deletedTotal: 5, failed: 0 });
      expect(userRows(dir.path)).toEqual([]);
      await host.stop();
      await host.dispose();
    } finally {
      if (other.isTransaction) other.exec('ROLLBACK');
      other.close();
    }
  });

  it('gives the run up as failed, until the next tick, when the lock is held longer than busyRetryMs', async () => {
    await using dir = await tempDir();
    const other = openAppDatabase(dir.path);
    try {
      other.exec('BEGIN EXCLUSIVE');
      const { host, time, service } = createCleanupHost(dir.path);
      await host.start();
      await time.advance(59_000);
      expect(service.snapshot()).toMatchObject({ runs: 0, running: true });
      await time.advance(2_000);
      await until(() => service.snapshot()['runs'] === 1, time);
      expect(service.health()).toMatchObject({ status: 'degraded' });
      expect(service.health().description).toContain('database is locked');
      other.exec('COMMIT');
      await host.stop();
      await host.dispose();
    } finally {
      if (other.isTransaction) other.exec('ROLLBACK');
      other.close();
    }
  });

  it('releases its lease and logs at error when the run record refuses its fencing token, then leads again under a newer one', async () => {
    await using dir = await tempDir();
    const time = new ManualTimeProvider({ now: Date.parse('2026-11-21T12:00:00Z') });
    const sink = new MemoryLogSink();
    const logger = createLoggerFactory({ sinks: [sink], minimumLevel: 'trace', timeProvider: time }).createLogger('samples.Cleanup');
    const store = new MemoryLeaseStore({ timeProvider: time });
    const lock = new DistributedLock(store, { timeProvider: time });
    using runs = new SqliteClusterRunLog(dir.path);
    // A run under token 2 was recorded before the store lost its counter: its next token, 1, is stale.
    runs.record('cleanup', 'other', 2, time.now() - 2 * HOUR, time.now() - 2 * HOUR, 'ok');
    const service = new CleanupService(
      // No run gets as far as a scope here but the one under the newer token, which finds nothing to delete.
      {
        createScope: () => {
          throw new Error('no scope in this test');
        },
      } as unknown as ServiceScopeFactory,
      time,
      logger,
      { write: () => undefined },
      { intervalMs: HOUR, retentionDays: 30, cluster: { lock, runs, leaseTtlMs: 900, replicaId: 'a' } },
    );
    await service.start(new AbortController().signal);
    await time.advance(0);
    const refusals = sink.filter({ level: 'error', messageIncludes: 'refused fencing token 1' });
    expect(refusals).toHaveLength(1);
    expect(refusals[0]?.fields).toMatchObject({ fencingToken: 1, highestToken: 2 });
    // The lease is free at once: no replica is kept from leading by one the record refuses.
    expect(service.status).toBe('campaigning');
    expect(service.clusterLease).toBeUndefined();
    // It campaigns again after the retry interval and leads under token 2, which the record accepts.
    await time.advance(300);
    expect(service.clusterLease?.fencingToken).toBe(2);
    expect(runs.list('cleanup').map((run) => run.fencingToken)).toEqual([2, 2]);
    await service.stop(new AbortController().signal);
  });
});
