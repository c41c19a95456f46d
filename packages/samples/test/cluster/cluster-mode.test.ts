import { existsSync, mkdirSync, readdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  DistributedLock,
  LoggerFactoryToken,
  MemoryLeaseStore,
  MemoryWorkQueue,
  nullLogger,
  ServiceScopeFactory,
  systemTimeProvider,
  type Host,
  type HostApplicationBuilderOptions,
  type LeaseStore,
} from '@hostkit/core';
import {
  type Coordinates,
  type DailyForecast,
  type DailyForecastOptions,
  type WeatherClient,
} from '@hostkit/core/weather';
import { ManualTimeProvider } from '@hostkit/core/testing';
import { describe, expect, it } from 'vitest';
import { createApp, type AppRuntime } from '../../src/app.ts';
import type { ClusterBackend } from '../../src/cluster/add-cluster.ts';
import { FileWorkConsumerService, OrphanSweepService } from '../../src/cluster/cluster-file-services.ts';
import { FILE_WORK_QUEUE_NAME, handleFileWork, type FileWorkContext, type FileWorkEntry } from '../../src/cluster/file-work.ts';
import { createMemoryClusterBackend } from '../../src/cluster/memory-cluster-backend.ts';
import { SqliteClusterRunLog, type ClusterRun } from '../../src/database/cluster-run-log.ts';
import { FileProcessingCounters } from '../../src/file-processing/file-processing-counters.ts';
import { FileStore } from '../../src/file-processing/file-store.ts';
import { ResultProcessor } from '../../src/file-processing/result-processor.ts';
import { HonoServerService } from '@hostkit/adapters/hono';
import { createTestBuilder, readLogs, tempDir, testConfig } from '../helpers.ts';

class CountingWeatherClient implements WeatherClient {
  calls = 0;
  getCurrent(): never {
    throw new Error('not used');
  }
  async getDailyForecast(location: Coordinates, options: DailyForecastOptions): Promise<DailyForecast> {
    this.calls++;
    const today = Math.floor(Date.now() / 86_400_000) * 86_400_000;
    return {
      location,
      days: Array.from({ length: options.days }, (_, i) => ({
        date: new Date(today + i * 86_400_000).toISOString().slice(0, 10),
        temperatureMax: { value: 15, unit: '°C' as const },
        temperatureMin: { value: 5, unit: '°C' as const },
        precipitationSum: { value: 0, unit: 'mm' as const },
        weatherCode: 1,
      })),
    };
  }
}

const runtime: AppRuntime = {
  name: 'test',
  createHostBuilder: (options: HostApplicationBuilderOptions) => createTestBuilder(options.timeProvider ?? systemTimeProvider).builder,
};

async function until<T>(probe: () => T | undefined | Promise<T | undefined>, what: string, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function runs(dataDir: string, kind: string): ClusterRun[] {
  using log = new SqliteClusterRunLog(dataDir);
  return log.list(kind);
}

describe('SqliteClusterRunLog', () => {
  it('refuses a run that is not due yet, and a run under a stale fencing token', async () => {
    await using dir = await tempDir();
    using log = new SqliteClusterRunLog(dir.path);
    const first = log.begin('cleanup', 'a', 1, 10_000, 1_000);
    expect(first.ok).toBe(true);
    expect(log.begin('cleanup', 'b', 2, 10_500, 1_000)).toEqual({ ok: false, reason: 'too-soon', dueAt: 11_000 });
    expect(log.begin('cleanup', 'b', 2, 11_000, 1_000).ok).toBe(true);
    expect(log.begin('cleanup', 'a', 1, 20_000, 1_000)).toEqual({ ok: false, reason: 'stale-token', highestToken: 2 });
    expect(log.record('weather', 'a', 5, 1, 2, 'ok')).toBe(true);
    expect(log.record('weather', 'b', 4, 3, 4, 'ok')).toBe(false);
    expect(log.lastStartedAt('cleanup')).toBe(11_000);
    expect(log.list('cleanup').map((run) => run.replica)).toEqual(['a', 'b']);
  });
});

describe('handleFileWork (cluster mode, at-least-once delivery)', () => {
  async function fixture(
    dataDir: string,
    processingDelayMs = 0,
  ): Promise<{ store: FileStore; queue: MemoryWorkQueue<FileWorkEntry>; context: FileWorkContext; host: Host; rows: string[] }> {
    const { builder } = createTestBuilder(systemTimeProvider);
    builder.services.addScoped(ResultProcessor, () => new ResultProcessor({ timeProvider: systemTimeProvider, processingDelayMs }));
    const host = builder.build();
    const store = new FileStore({ dataDir, sync: false, shared: { staleAfterMs: 60_000 } });
    await store.prepare();
    const rows: string[] = [];
    return {
      store,
      host,
      rows,
      queue: new MemoryWorkQueue<FileWorkEntry>('files'),
      context: {
        store,
        scopes: host.services.get(ServiceScopeFactory),
        time: systemTimeProvider,
        logger: host.services.get(LoggerFactoryToken).createLogger('test'),
        activity: { write: (source, message) => void rows.push(`[${source}] ${message}`) },
        counters: new FileProcessingCounters(),
        replicaId: 'test',
        maxAttempts: 2,
        claims: new DistributedLock(new MemoryLeaseStore({ timeProvider: systemTimeProvider }), { timeProvider: systemTimeProvider }),
        claimTtlMs: 1_000,
      },
    };
  }

  it('handles two deliveries of the same file at the same time one after the other: one processing, one result', async () => {
    await using dir = await tempDir();
    const { store, queue, context, rows } = await fixture(dir.path, 100);
    const name = '2b0f9c56-6c61-4d2b-9a4b-0d2e2f9b1c11--c.txt';
    writeFileSync(join(store.uploads, name), 'one two three\n');
    // Two entries for one file (the upload's and the orphan sweep's), taken by two consumers at once.
    await queue.enqueue({ file: `uploads/${name}`, source: 'upload', originalName: 'c.txt' });
    await queue.enqueue({ file: `uploads/${name}`, source: 'upload', originalName: 'c.txt' });
    const signal = new AbortController().signal;
    const [first, second] = [await queue.receive(signal), await queue.receive(signal)];
    const outcomes = await Promise.all([handleFileWork(first, signal, context), handleFileWork(second, signal, context)]);
    expect(outcomes.map((outcome) => outcome.kind).toSorted()).toEqual(['already-done', 'processed']);
    expect(readdirSync(store.outbox).filter((file) => file.endsWith('.result.json'))).toEqual([`${name}.result.json`]);
    expect(rows.filter((row) => row.startsWith('[files] processed ')).length).toBe(1);
    expect(context.counters).toMatchObject({ processed: 1, gone: 1, inProgress: 0 });
    expect(existsSync(join(store.uploads, name))).toBe(false);
  });

  it('writes one result under a deterministic name, and acks a redelivery without processing again', async () => {
    await using dir = await tempDir();
    const { store, queue, context } = await fixture(dir.path);
    const input = join(store.uploads, '0b0f9c56-6c61-4d2b-9a4b-0d2e2f9b1c11--a.txt');
    writeFileSync(input, 'hello world\n');
    await queue.enqueue({ file: 'uploads/0b0f9c56-6c61-4d2b-9a4b-0d2e2f9b1c11--a.txt', source: 'upload', originalName: 'a.txt' });
    const signal = new AbortController().signal;
    const first = await queue.receive(signal);
    expect(await handleFileWork(first, signal, context)).toEqual({ kind: 'processed', resultPath: store.plainResultPath(input.split('/').pop()!) });
    expect(existsSync(input)).toBe(false);
    // The same entry again (its ack was lost): already done, nothing rewritten.
    expect(await handleFileWork(first, signal, context)).toEqual({ kind: 'already-done' });
    expect(context.counters.processed).toBe(1);
  });

  it('nacks a failure, then moves the input to failed/ on the last attempt', async () => {
    await using dir = await tempDir();
    const { store, queue, context } = await fixture(dir.path);
    const name = '1b0f9c56-6c61-4d2b-9a4b-0d2e2f9b1c11--b.txt';
    // A directory cannot be read as a file: every attempt fails.
    mkdirSync(join(store.uploads, name));
    await queue.enqueue({ file: `uploads/${name}`, source: 'upload', originalName: 'b.txt' });
    const signal = new AbortController().signal;
    const item = await queue.receive(signal);
    await expect(handleFileWork(item, signal, context)).rejects.toThrow(/EISDIR|illegal operation on a directory/);
    const last = { ...item, deliveryCount: 2 };
    const outcome = await handleFileWork(last, signal, context);
    expect(outcome.kind).toBe('failed');
    expect(existsSync(join(store.failed, `${name}.error.json`))).toBe(true);
  });

  it('stops processing when its claim on the file is lost, and does not count it as a failed attempt, even on the last one', async () => {
    await using dir = await tempDir();
    const { store, queue, context } = await fixture(dir.path, 10_000);
    // A store that answers "not yours any more" to renewals once told to: the claim's lease is lost.
    const leases = new MemoryLeaseStore({ timeProvider: systemTimeProvider });
    let stolen = false;
    const store2: LeaseStore = {
      tryAcquire: (...args) => leases.tryAcquire(...args),
      renew: async (...args) => !stolen && (await leases.renew(...args)),
      release: (...args) => leases.release(...args),
    };
    const claims = new DistributedLock(store2, { timeProvider: systemTimeProvider });
    const name = '3b0f9c56-6c61-4d2b-9a4b-0d2e2f9b1c11--d.txt';
    writeFileSync(join(store.uploads, name), 'slow\n');
    await queue.enqueue({ file: `uploads/${name}`, source: 'upload', originalName: 'd.txt' });
    const signal = new AbortController().signal;
    const last = { ...(await queue.receive(signal)), deliveryCount: 2 };
    const handling = handleFileWork(last, signal, { ...context, claims, claimTtlMs: 300 });
    await until(() => (context.counters.inProgress === 1 ? true : undefined), 'the processing to start');
    stolen = true;
    await expect(handling).rejects.toMatchObject({ name: 'LeaseLostError' });
    expect(existsSync(join(store.uploads, name))).toBe(true);
    expect(readdirSync(store.failed)).toEqual([]);
    expect(readdirSync(store.outbox).filter((file) => file.endsWith('.result.json'))).toEqual([]);
    expect(context.counters).toMatchObject({ failed: 0, processed: 0, inProgress: 0 });
  });

  it('refuses an entry naming a file outside uploads/ and claimed/', async () => {
    await using dir = await tempDir();
    const { queue, context } = await fixture(dir.path);
    await queue.enqueue({ file: '../../etc/passwd', source: 'inbox', originalName: 'passwd' });
    const signal = new AbortController().signal;
    await expect(handleFileWork(await queue.receive(signal), signal, context)).rejects.toThrow(TypeError);
  });
});

describe('OrphanSweepService (cluster singleton, on a ManualTimeProvider)', () => {
  it('enqueues again, every interval, the old files of uploads/ and claimed/ with no result; young files and duplicates are harmless', async () => {
    await using dir = await tempDir();
    const time = new ManualTimeProvider({ now: Date.now() });
    const store = new FileStore({ dataDir: dir.path, sync: false, shared: { staleAfterMs: 60_000 } });
    await store.prepare();
    const queue = new MemoryWorkQueue<FileWorkEntry>('files', { timeProvider: time, visibilityTimeoutMs: 30_000 });
    const lock = new DistributedLock(new MemoryLeaseStore({ timeProvider: time }), { timeProvider: time });
    const { builder } = createTestBuilder(time);
    builder.services.addScoped(ResultProcessor, () => new ResultProcessor({ timeProvider: time }));
    const host = builder.build();
    const rows: string[] = [];
    const counters = new FileProcessingCounters();
    const intervalMs = 60_000;
    const sweeper = new OrphanSweepService({ store, queue, lock, leaseTtlMs: 15_000, intervalMs, minAgeMs: 60_000, timeProvider: time, logger: nullLogger });
    const consumer = new FileWorkConsumerService({
      queue,
      concurrency: 2,
      context: {
        store,
        scopes: host.services.get(ServiceScopeFactory),
        time,
        logger: nullLogger,
        activity: { write: (source, message) => void rows.push(`[${source}] ${message}`) },
        counters,
        replicaId: 'test',
        maxAttempts: 3,
        claims: lock,
        claimTtlMs: 15_000,
      },
    });
    const start = AbortSignal.timeout(5_000);
    await sweeper.start(start);
    await consumer.start(start);
    try {
      // The first sweep runs as soon as the sweeper leads: nothing to do yet.
      await until(() => (sweeper.stats.sweeps === 1 ? true : undefined), 'the first sweep');
      expect(sweeper.stats).toMatchObject({ leader: true, requeued: 0 });

      // A replica claimed an inbox file 10 minutes ago and died before enqueuing it: an orphan.
      const orphan = join(store.claimed, '3b0f9c56-6c61-4d2b-9a4b-0d2e2f9b1c11--orphan.txt');
      writeFileSync(orphan, 'orphaned words\n');
      const longAgo = new Date(time.now() - 10 * 60_000);
      utimesSync(orphan, longAgo, longAgo);
      // An upload stored just now: a live replica may be enqueuing it right now.
      const young = join(store.uploads, '4b0f9c56-6c61-4d2b-9a4b-0d2e2f9b1c11--young.txt');
      writeFileSync(young, 'young\n');
      const now = new Date(time.now());
      utimesSync(young, now, now);

      // Not before the interval...
      await time.advance(intervalMs - 1);
      expect(sweeper.stats.sweeps).toBe(1);
      expect(existsSync(orphan)).toBe(true);
      // ...then the orphan is enqueued and processed; the young upload is left alone.
      await time.advance(1);
      const result = join(store.outbox, '3b0f9c56-6c61-4d2b-9a4b-0d2e2f9b1c11--orphan.txt.result.json');
      await until(() => (existsSync(result) && sweeper.stats.sweeps === 2 ? true : undefined), "the orphan's result");
      expect(sweeper.stats).toMatchObject({ sweeps: 2, requeued: 1 });
      expect(existsSync(orphan)).toBe(false);
      expect(existsSync(young)).toBe(true);
      expect(rows.filter((row) => row.includes('young.txt'))).toEqual([]);

      // An old upload whose entry IS in the queue gets a duplicate from the next sweep: one result.
      const backlog = '5b0f9c56-6c61-4d2b-9a4b-0d2e2f9b1c11--backlog.txt';
      writeFileSync(join(store.uploads, backlog), 'waiting a long time\n');
      utimesSync(join(store.uploads, backlog), longAgo, longAgo);
      // (Its entry is delayed past the sweep, as if a long backlog were in front of it.)
      await queue.enqueue({ file: `uploads/${backlog}`, source: 'upload', originalName: 'backlog.txt' }, { delayMs: intervalMs + 1_000 });
      await time.advance(intervalMs);
      // A delivery waiting for the file's claim retries on the manual clock: move it along.
      await until(async () => {
        const counts = await queue.counts();
        // The sweep lists the directories with real I/O: wait for it to have finished too.
        if (sweeper.stats.sweeps === 3 && counts.waiting + counts.inFlight === 0 && counters.inProgress === 0) return true;
        await time.advance(100);
        return undefined;
      }, 'an empty queue');
      // The third sweep found the backlogged upload and the young upload (old by now).
      expect(sweeper.stats).toMatchObject({ sweeps: 3, requeued: 3 });
      expect(counters).toMatchObject({ processed: 3, gone: 1, failed: 0 });
      expect(readdirSync(store.outbox).filter((file) => file.includes('backlog'))).toEqual([`${backlog}.result.json`]);
      expect(rows.filter((row) => row.startsWith('[files] processed ') && row.includes('backlog')).length).toBe(1);
      expect(rows.filter((row) => row.startsWith('[files] already done ') && row.includes('backlog')).length).toBe(1);
      expect(readdirSync(store.uploads)).toEqual([]);
    } finally {
      await consumer.stop(AbortSignal.timeout(5_000));
      await sweeper.stop(AbortSignal.timeout(5_000));
      await host.dispose();
    }
  });
});

describe('createApp in cluster mode (two replicas in one process over an in-memory backend)', () => {
  it('runs the singletons on one replica at a time, once per interval across leader changes, and processes each upload once', async () => {
    await using dir = await tempDir();
    const backend: ClusterBackend = createMemoryClusterBackend(systemTimeProvider);
    const client = new CountingWeatherClient();
    const start = async (replicaId: string): Promise<{ host: Host; url: string }> => {
      const config = testConfig(dir.path, { replicaId, leaseTtlMs: 1_000, cleanupIntervalMs: 300, weatherRefreshMs: 200 });
      const host = createApp(config, runtime, { clusterBackend: () => backend, weatherClient: client, httpDrainTimeoutMs: 0 }).build();
      await host.start();
      return { host, url: host.services.get(HonoServerService).url ?? '' };
    };
    const a = await start('a');
    const b = await start('b');
    try {
      // Both serve the forecast; only the leader (a, which started first) fetched it.
      for (const replica of [a, b]) await until(async () => ((await fetch(`${replica.url}/weather`)).status === 200 ? true : undefined), 'the forecast');
      const uploads = await Promise.all(
        Array.from({ length: 20 }, async (_, i) => {
          const form = new FormData();
          form.append('file', new Blob([`file ${i}\n`]), `f${i}.txt`);
          const response = await fetch(`${(i % 2 === 0 ? a : b).url}/upload`, { method: 'POST', body: form });
          expect(response.status).toBe(202);
          return ((await response.json()) as { name: string }).name;
        }),
      );
      const outbox = join(dir.path, 'outbox');
      await until(() => (uploads.every((name) => existsSync(join(outbox, `${name}.result.json`))) ? true : undefined), 'every result');
      await until(() => (runs(dir.path, 'cleanup').length >= 2 ? true : undefined), 'two cleanups');
      expect(new Set(runs(dir.path, 'weather').map((run) => run.replica))).toEqual(new Set(['a']));

      // The leader stops: b takes over both singletons, and the cleanup keeps its pace.
      await a.host.stop();
      await until(() => (runs(dir.path, 'cleanup').some((run) => run.replica === 'b') ? true : undefined), 'a cleanup on b');
      await until(() => (runs(dir.path, 'weather').some((run) => run.replica === 'b') ? true : undefined), 'a refresh on b');
    } finally {
      await a.host.stop();
      await b.host.stop();
      await a.host.dispose();
      await b.host.dispose();
    }
    const cleanups = runs(dir.path, 'cleanup');
    for (let i = 1; i < cleanups.length; i++) {
      expect(cleanups[i]!.startedAt - cleanups[i - 1]!.startedAt).toBeGreaterThanOrEqual(300);
      expect(cleanups[i]!.fencingToken).toBeGreaterThanOrEqual(cleanups[i - 1]!.fencingToken);
    }
    const weather = runs(dir.path, 'weather');
    for (let i = 1; i < weather.length; i++) expect(weather[i]!.startedAt).toBeGreaterThanOrEqual(weather[i - 1]!.endedAt ?? Infinity);
    expect(weather.at(-1)!.fencingToken).toBeGreaterThan(weather[0]!.fencingToken);
    expect(readLogs(dir.path).filter((row) => row.message.startsWith('[files] processed ')).length).toBe(20);
  }, 60_000);
});

describe('createApp in cluster mode: readiness follows the shared store', () => {
  it('answers /readyz 503 naming the cluster check while the store is unreachable, keeps /healthz 200, and is ready again once it is back', async () => {
    await using dir = await tempDir();
    const store = { ...createMemoryClusterBackend(systemTimeProvider), isConnected: true };
    const config = testConfig(dir.path, { replicaId: 'solo', services: new Set(['files'] as const) });
    const host = createApp(config, runtime, { clusterBackend: () => store, httpDrainTimeoutMs: 0 }).build();
    await host.start();
    try {
      const url = host.services.get(HonoServerService).url ?? '';
      expect((await fetch(`${url}/readyz`)).status).toBe(200);
      store.isConnected = false;
      const unready = await fetch(`${url}/readyz`);
      expect(unready.status).toBe(503);
      expect(await unready.text()).toContain('solo has lost memory; reconnecting');
      expect((await fetch(`${url}/healthz`)).status).toBe(200);
      store.isConnected = true;
      expect((await fetch(`${url}/readyz`)).status).toBe(200);
    } finally {
      await host.stop();
      await host.dispose();
    }
  });
});

describe('createApp in cluster mode: dead letters you can operate', () => {
  it('shows dead letters in /status and /queue, newest first with their reason, and requeues them on POST /queue/dead-letters/requeue', async () => {
    await using dir = await tempDir();
    const backend = createMemoryClusterBackend(systemTimeProvider);
    // Made first, so the app's handles share it: one delivery, then the dead-letter list.
    const queue = backend.createWorkQueue<unknown>(FILE_WORK_QUEUE_NAME, { maxDeliveries: 1, visibilityTimeoutMs: 30_000 });
    const config = testConfig(dir.path, { replicaId: 'solo', services: new Set(['files'] as const) });
    const host = createApp(config, runtime, { clusterBackend: () => backend, httpDrainTimeoutMs: 0 }).build();
    await host.start();
    try {
      const url = host.services.get(HonoServerService).url ?? '';
      const bad = await queue.enqueue({ file: '../../etc/passwd', source: 'inbox', originalName: 'passwd' });
      type QueueView = { dead: number; deadLetters: Array<{ id: string; reason: string; deliveryCount: number; deadAt: string }> };
      const statusQueue = async (): Promise<QueueView | undefined> => {
        const body = (await (await fetch(`${url}/status`)).json()) as { services: { files: { queue: QueueView | null } } };
        const view = body.services.files.queue;
        return view !== null && view.dead === 1 ? view : undefined;
      };
      const first = await until(statusQueue, 'the dead letter in /status');
      expect(first.deadLetters).toEqual([expect.objectContaining({ id: bad, deliveryCount: 1, reason: expect.stringContaining('names no uploads/ or claimed/ file') })]);
      const listed = (await (await fetch(`${url}/queue`)).json()) as QueueView;
      expect(listed.deadLetters.map((letter) => letter.id)).toEqual([bad]);

      const requeue = await fetch(`${url}/queue/dead-letters/requeue?id=${encodeURIComponent(bad)}`, { method: 'POST' });
      expect(requeue.status).toBe(200);
      expect(await requeue.json()).toEqual({ requeued: 1 });
      // Delivered again (and, still bad, dead again, later).
      const again = await until(async () => {
        const view = (await (await fetch(`${url}/queue`)).json()) as QueueView;
        return view.dead === 1 && view.deadLetters[0]?.deadAt !== first.deadLetters[0]?.deadAt ? view : undefined;
      }, 'the requeued entry to be delivered again');
      expect(again.deadLetters[0]?.id).toBe(bad);
      expect(await (await fetch(`${url}/queue/dead-letters/requeue`, { method: 'POST' })).json()).toEqual({ requeued: 1 });
    } finally {
      await host.stop();
      await host.dispose();
    }
  });
});
