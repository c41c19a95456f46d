import { existsSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  ChannelClosedError,
  createBoundedChannel,
  createLoggerFactory,
  type FileWorkItem,
  MemoryLogSink,
  ServiceCollection,
} from '@hostkit/core';
import { ManualTimeProvider } from '@hostkit/core/testing';
import { describe, expect, it } from 'vitest';
import { acceptedUploadFileName, newUploadId } from '../../src/file-processing/file-names.ts';
import { FileProcessingCounters } from '../../src/file-processing/file-processing-counters.ts';
import { FileProcessingService } from '../../src/file-processing/file-processing-service.ts';
import { FileStore } from '../../src/file-processing/file-store.ts';
import { StorageMonitor } from '../../src/file-processing/storage-monitor.ts';
import { ResultProcessor, type FileFigures } from '../../src/file-processing/result-processor.ts';
import { tempDir } from '../helpers.ts';
import { MemoryActivityLog, names, waitUntil } from './support.ts';

const NOW = Date.parse('2026-11-21T12:00:00Z');
const HELLO_SHA = 'a948904f2f0f479b8f8197694b30184b0d2ed1c1cd2a1ec0fb85d299a192a447'; // sha256('hello world\n')

/** A processor whose every instance is recorded, and which can be told to fail. */
class RecordingProcessor extends ResultProcessor implements Disposable {
  disposed = false;
  readonly #fail: (() => Error | undefined) | undefined;
  constructor(time: ManualTimeProvider, options: { fail?: () => Error | undefined; processingDelayMs?: number } = {}) {
    super({ timeProvider: time, processingDelayMs: options.processingDelayMs });
    this.#fail = options.fail;
  }
  override async process(content: AsyncIterable<Uint8Array>, signal: AbortSignal): Promise<FileFigures> {
    const figures = await super.process(content, signal);
    const error = this.#fail?.();
    if (error !== undefined) throw error;
    return figures;
  }
  [Symbol.dispose](): void {
    this.disposed = true;
  }
}

interface Options {
  readonly fail?: () => Error | undefined;
  readonly processingDelayMs?: number;
  readonly capacity?: number;
  readonly maxAttempts?: number;
  readonly storage?: StorageMonitor;
}

/** The service over a real DATA_DIR, on a manual clock, with its own channel. */
async function createFixture(dataDir: string, options: Options = {}) {
  const time = new ManualTimeProvider({ now: NOW });
  const processors: RecordingProcessor[] = [];
  const services = new ServiceCollection();
  services.addScoped(ResultProcessor, () => {
    const processor = new RecordingProcessor(time, options);
    processors.push(processor);
    return processor;
  });
  const provider = services.build();
  const channel = createBoundedChannel<FileWorkItem>(options.capacity ?? 10);
  const store = new FileStore({ dataDir });
  await store.prepare();
  const counters = new FileProcessingCounters();
  const logs = new MemoryLogSink();
  const activity = new MemoryActivityLog();
  const service = new FileProcessingService({
    reader: channel.reader,
    scopes: provider,
    store,
    counters,
    timeProvider: time,
    logger: createLoggerFactory({ sinks: [logs], minimumLevel: 'debug', timeProvider: time }).createLogger('test.FileProcessing'),
    activityLog: activity,
    maxAttempts: options.maxAttempts,
    storage: options.storage,
  });
  /** Paths whose done() was called, with whether the file still existed at that moment. */
  const done: { path: string; existed: boolean }[] = [];
  const queue = async (path: string): Promise<void> => {
    await channel.writer.write({ path, done: () => done.push({ path, existed: existsSync(path) }) });
  };
  const stop = async (): Promise<void> => {
    await service.stop(new AbortController().signal);
    await provider[Symbol.asyncDispose]();
  };
  return { time, processors, channel, store, counters, logs, activity, service, done, queue, stop };
}

/** A StorageMonitor whose probe answers what the test says, instead of writing to the disk. */
class ScriptedStorage extends StorageMonitor {
  room = false;
  probes = 0;
  override probe(): boolean {
    this.probes++;
    if (this.room) this.reportWritten();
    return this.room;
  }
}

function noSpace(): Error {
  return Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
}

describe('FileProcessingService', { timeout: 30_000 }, () => {
  it('waits out a full disk without counting the file as failed or moving it, and processes it once a probe finds room', async () => {
    await using dir = await tempDir();
    const storage = new ScriptedStorage(dir.path);
    let failures = 0;
    // Every attempt fails for lack of space until the test makes room: before, the file was failed after three.
    const f = await createFixture(dir.path, { storage, maxAttempts: 3, fail: () => (failures++ < 5 ? noSpace() : undefined) });
    await f.service.start(new AbortController().signal);
    const input = join(f.store.inbox, 'hello.txt');
    await writeFile(input, 'hello world\n');
    await f.queue(input);
    await waitUntil(() => storage.full !== undefined, 'the disk is reported full');
    expect(storage.health()).toMatchObject({ status: 'degraded' });
    for (let i = 0; i < 10; i++) await f.time.advance(1_000);
    expect(storage.probes).toBeGreaterThanOrEqual(10);
    expect(f.counters).toMatchObject({ processed: 0, failed: 0, retried: 0 });
    expect(await names(f.store.inbox)).toEqual(['hello.txt']);
    expect(await names(f.store.failed)).toEqual([]);
    storage.room = true;
    failures = 5;
    await f.time.advance(1_000);
    await waitUntil(() => f.done.length === 1, 'the file is done');
    expect(f.counters).toMatchObject({ processed: 1, failed: 0 });
    expect(storage.full).toBeUndefined();
    expect(f.logs.records.map((record) => `${record.level}: ${record.message}`)).toEqual(
      expect.arrayContaining([
        'warn: DATA_DIR\'s disk is full: hello.txt stays where it is and processing waits until there is room (probing every 1000 ms)',
        expect.stringMatching(/^info: DATA_DIR has room again after \d+ ms: processing resumes with hello\.txt$/),
      ]),
    );
    await f.stop();
  });

  it('writes the result, then removes the input, then releases the item when a file is processed', async () => {
    await using dir = await tempDir();
    const f = await createFixture(dir.path);
    await f.service.start(new AbortController().signal);
    const input = join(f.store.inbox, 'hello.txt');
    await writeFile(input, 'hello world\n');
    await f.queue(input);
    await waitUntil(() => f.done.length === 1, 'the file is done');

    expect(f.done).toEqual([{ path: input, existed: false }]);
    expect(await names(f.store.inbox)).toEqual([]);
    expect(await names(f.store.outbox)).toEqual(['hello.txt.result.json']);
    expect(JSON.parse(await readFile(join(f.store.outbox, 'hello.txt.result.json'), 'utf8'))).toEqual({
      input: 'hello.txt',
      originalName: 'hello.txt',
      source: 'inbox',
      bytes: 12,
      lines: 1,
      words: 2,
      sha256: HELLO_SHA,
      processedAt: '2026-11-21T12:00:00.000Z',
      attempts: 1,
    });
    expect(f.counters).toMatchObject({ processed: 1, failed: 0, retried: 0 });
    expect(f.activity.rows).toEqual([{ source: 'files', message: 'processed hello.txt -> outbox/hello.txt.result.json' }]);
    await f.stop();
  });

  it('resolves a new ResultProcessor in a new DI scope for every file, and disposes it with the scope', async () => {
    await using dir = await tempDir();
    const f = await createFixture(dir.path);
    await f.service.start(new AbortController().signal);
    for (const name of ['a.txt', 'b.txt']) {
      await writeFile(join(f.store.inbox, name), name);
      await f.queue(join(f.store.inbox, name));
    }
    await waitUntil(() => f.done.length === 2, 'both files are done');
    expect(f.processors).toHaveLength(2);
    expect(f.processors[0]).not.toBe(f.processors[1]);
    expect(f.processors.every((processor) => processor.disposed)).toBe(true);
    await f.stop();
  });

  it('names an upload’s result after its id-prefixed name and records its id when the input is an upload', async () => {
    await using dir = await tempDir();
    const f = await createFixture(dir.path);
    await f.service.start(new AbortController().signal);
    const id = newUploadId();
    const name = acceptedUploadFileName(id, 'report.csv');
    await writeFile(join(f.store.uploads, name), 'a,b\n1,2\n');
    await f.queue(join(f.store.uploads, name));
    await waitUntil(() => f.done.length === 1, 'the upload is done');
    const result = JSON.parse(await readFile(join(f.store.outbox, `${name}.result.json`), 'utf8')) as Record<string, unknown>;
    expect(result).toMatchObject({ input: name, originalName: 'report.csv', source: 'upload', uploadId: id, lines: 2 });
    expect(await names(f.store.uploads)).toEqual([]);
    await f.stop();
  });

  it('counts the file as gone and writes nothing when it disappeared before its turn', async () => {
    await using dir = await tempDir();
    const f = await createFixture(dir.path);
    await f.service.start(new AbortController().signal);
    await f.queue(join(f.store.inbox, 'vanished.txt'));
    await waitUntil(() => f.done.length === 1, 'the item is done');
    expect(f.counters).toMatchObject({ processed: 0, gone: 1, failed: 0 });
    expect(await names(f.store.outbox)).toEqual([]);
    await f.stop();
  });

  it('overwrites the one result when an input is processed again after a crash between the result and the removal', async () => {
    await using dir = await tempDir();
    const f = await createFixture(dir.path);
    // As a crash after step 5 leaves it: the result written, the input still in the inbox.
    const input = join(f.store.inbox, 'hello.txt');
    await writeFile(input, 'hello world\n');
    await writeFile(join(f.store.outbox, 'hello.txt.result.json'), JSON.stringify({ input: 'hello.txt', sha256: HELLO_SHA, attempts: 1, processedAt: 'before the crash' }));
    await f.service.start(new AbortController().signal);
    await f.queue(input);
    await waitUntil(() => f.done.length === 1, 'the file is done');
    expect(await names(f.store.outbox)).toEqual(['hello.txt.result.json']);
    expect(JSON.parse(await readFile(join(f.store.outbox, 'hello.txt.result.json'), 'utf8'))).toMatchObject({ processedAt: '2026-11-21T12:00:00.000Z' });
    expect(await names(f.store.inbox)).toEqual([]);
    await f.stop();
  });

  describe('failures', () => {
    it('retries with backoff on the TimeProvider, then moves the input to failed/ with a .error.json when every attempt fails', async () => {
      await using dir = await tempDir();
      const f = await createFixture(dir.path, { fail: () => Object.assign(new Error('disk on fire'), { code: 'EFIRE' }) });
      await f.service.start(new AbortController().signal);
      const input = join(f.store.inbox, 'bad.txt');
      await writeFile(input, 'precious content');
      await f.queue(input);

      await waitUntil(() => f.time.pendingTimerCount === 1, 'the first backoff is waiting');
      expect(f.counters.retried).toBe(1);
      expect(f.time.nextDueIn).toBe(500);
      // Seed bug: the original deleted the file in `finally`, even when processing threw.
      expect(await readFile(input, 'utf8')).toBe('precious content');
      await f.time.advance(499);
      expect(f.processors).toHaveLength(1);
      await f.time.advance(1);
      await waitUntil(() => f.counters.retried === 2 && f.time.pendingTimerCount === 1, 'the second backoff is waiting');
      expect(f.time.nextDueIn).toBe(1_000);
      await f.time.advance(1_000);
      await waitUntil(() => f.done.length === 1, 'the file is done');

      expect(f.processors).toHaveLength(3);
      expect(f.counters).toMatchObject({ processed: 0, failed: 1, retried: 2 });
      expect(await names(f.store.inbox)).toEqual([]);
      expect(await names(f.store.outbox)).toEqual([]);
      expect(await names(f.store.failed)).toEqual(['bad.txt', 'bad.txt.error.json']);
      // Never deleted: the input is kept, whole, in failed/.
      expect(await readFile(join(f.store.failed, 'bad.txt'), 'utf8')).toBe('precious content');
      expect(JSON.parse(await readFile(join(f.store.failed, 'bad.txt.error.json'), 'utf8'))).toEqual({
        input: 'bad.txt',
        originalName: 'bad.txt',
        source: 'inbox',
        attempts: 3,
        failedAt: '2026-11-21T12:00:01.500Z',
        error: { name: 'Error', message: 'disk on fire', code: 'EFIRE' },
      });
      expect(f.activity.rows.at(-1)?.message).toBe('failed bad.txt after 3 attempts -> failed/bad.txt');
      await f.stop();
    });

    it('leaves the input in the inbox when processing fails and it cannot even be moved to failed/', async () => {
      await using dir = await tempDir();
      const f = await createFixture(dir.path, { fail: () => new Error('broken'), maxAttempts: 1 });
      // failed/ is a file: neither the report nor the input can go there.
      await rm(f.store.failed, { recursive: true });
      await writeFile(f.store.failed, 'not a directory');
      await f.service.start(new AbortController().signal);
      const input = join(f.store.inbox, 'keep-me.txt');
      await writeFile(input, 'must survive');
      await f.queue(input);
      await waitUntil(() => f.done.length === 1, 'the file is done');
      // Seed bug: `finally { File.Delete(fileName) }` lost exactly this file.
      expect(await readFile(input, 'utf8')).toBe('must survive');
      expect(f.done).toEqual([{ path: input, existed: true }]);
      expect(f.logs.records.some((record) => record.level === 'critical' && /left in place/.test(record.message))).toBe(true);
      await f.stop();
    });

    it('keeps the input in the inbox and writes nothing when the host stops during a backoff', async () => {
      await using dir = await tempDir();
      const f = await createFixture(dir.path, { fail: () => new Error('transient') });
      await f.service.start(new AbortController().signal);
      const input = join(f.store.inbox, 'retry-me.txt');
      await writeFile(input, 'still here');
      await f.queue(input);
      await waitUntil(() => f.time.pendingTimerCount === 1, 'the backoff is waiting');
      await f.stop();
      expect(f.service.status).toBe('completed');
      expect(await readFile(input, 'utf8')).toBe('still here');
      expect(await names(f.store.outbox)).toEqual([]);
      expect(await names(f.store.failed)).toEqual([]);
      expect(f.done).toEqual([{ path: input, existed: true }]);
      expect(f.time.pendingTimerCount).toBe(0);
    });
  });

  describe('stopping', () => {
    it('ends its channel loop when the host stops while it waits for a file (the reader passes the stopping signal)', async () => {
      await using dir = await tempDir();
      const f = await createFixture(dir.path);
      await f.service.start(new AbortController().signal);
      await f.time.flush();
      // Nothing is written and nobody completes the channel: only the stopping signal can end the
      // wait. The seed's ReadAllAsync() without the token never returned here.
      const neverAborted = new AbortController().signal;
      const stopped = await Promise.race([
        f.service.stop(neverAborted).then(() => 'stopped'),
        new Promise<string>((resolve) => setTimeout(() => resolve('still waiting for a file'), 2_000)),
      ]);
      expect(stopped).toBe('stopped');
      expect(f.service.status).toBe('completed');
      await expect(f.service.executeTask).resolves.toBeUndefined();
    });

    it('stops the channel when it ends, so producers learn at once that nobody reads', async () => {
      await using dir = await tempDir();
      const f = await createFixture(dir.path, { capacity: 1 });
      await f.service.start(new AbortController().signal);
      await f.stop();
      await expect(f.channel.writer.write({ path: '/x', done: () => undefined })).rejects.toBeInstanceOf(ChannelClosedError);
    });

    it('leaves the input in place with no result and no temporary file when the host stops mid-file', async () => {
      await using dir = await tempDir();
      const f = await createFixture(dir.path, { processingDelayMs: 60_000 });
      await f.service.start(new AbortController().signal);
      const input = join(f.store.inbox, 'slow.txt');
      await writeFile(input, 'slow');
      await f.queue(input);
      await waitUntil(() => f.time.pendingTimerCount === 1, 'processing is under way');
      await f.stop();
      expect(f.service.status).toBe('completed');
      expect(await names(f.store.inbox)).toEqual(['slow.txt']);
      expect(await names(f.store.outbox)).toEqual([]);
      expect(f.counters).toMatchObject({ processed: 0, failed: 0, retried: 0 });
      expect(f.done).toEqual([{ path: input, existed: true }]);
    });
  });
});
