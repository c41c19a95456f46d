/**
 * The chokidar watcher and core's createFileChannelFeeder together, on real directories: the
 * no-loss, bounded-memory and rename-storm guarantees, end to end.
 */
import { readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createBoundedChannel, createFileChannelFeeder } from '@hostkit/core';
import type { Channel, FileChannelFeeder, FileWorkItem } from '@hostkit/core';
import { createChokidarFileWatcher } from '../../src/chokidar/index.ts';
import { pause, TemporaryDirectories, waitFor } from './file-system-helpers.ts';

const directories = new TemporaryDirectories();
const stops: (() => Promise<void>)[] = [];

afterEach(async () => {
  await Promise.all(stops.splice(0).map((stop) => stop()));
  await directories.removeAll();
});

/** What an inbox consumer saw. */
interface Consumed {
  /** Successful reads: path → content, and how many times each path was processed. */
  readonly contents: Map<string, string>;
  readonly processedCount: Map<string, number>;
  /** Paths delivered whose file was gone when the consumer opened it (ENOENT). */
  readonly phantoms: string[];
  /** The largest queued + inFlight the consumer observed. */
  peakObserved: number;
}

interface Pipeline {
  readonly feeder: FileChannelFeeder;
  readonly channel: Channel<FileWorkItem>;
  readonly consumed: Consumed;
  /** Lets a consumer that was created gated start reading. */
  openGate(): void;
  /** Stops the feeder and the consumer and waits for both. */
  stop(): Promise<void>;
}

/**
 * Watches `directory` and consumes like a well-behaved inbox consumer: read the file, remove it,
 * then done(); ENOENT means the file went away after it was reported (counted as a phantom).
 */
function startPipeline(
  directory: string,
  options: { capacity: number; maxPending: number; slowEvery?: number; gated?: boolean },
): Pipeline {
  const watcher = createChokidarFileWatcher({ directory, stabilityThreshold: 200, pollInterval: 25 });
  const channel = createBoundedChannel<FileWorkItem>(options.capacity);
  const feeder = createFileChannelFeeder(watcher, channel.writer, { maxPending: options.maxPending });
  const controller = new AbortController();
  const consumed: Consumed = { contents: new Map(), processedCount: new Map(), phantoms: [], peakObserved: 0 };
  let openGate = (): void => {};
  const gate = options.gated === true ? new Promise<void>((resolve) => (openGate = resolve)) : Promise.resolve();

  const feeding = feeder.run(controller.signal);
  const consuming = (async () => {
    await gate;
    let count = 0;
    for await (const item of channel.reader.readAll(controller.signal)) {
      const stats = feeder.stats;
      consumed.peakObserved = Math.max(consumed.peakObserved, stats.queued + stats.inFlight);
      try {
        const content = await readFile(item.path, 'utf8');
        await unlink(item.path);
        consumed.contents.set(item.path, content);
        consumed.processedCount.set(item.path, (consumed.processedCount.get(item.path) ?? 0) + 1);
      } catch (error) {
        if ((error as { code?: unknown }).code !== 'ENOENT') throw error;
        consumed.phantoms.push(item.path);
      } finally {
        item.done();
      }
      // A slow consumer: the watcher reports much faster than this drains.
      if (options.slowEvery !== undefined && ++count % options.slowEvery === 0) await pause(1);
    }
  })();

  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopped ??= (async () => {
      const reason = new Error('test over');
      openGate();
      controller.abort(reason);
      const [fed, used] = await Promise.allSettled([feeding, consuming]);
      // Both end with the stop reason; anything else is a failure the test must see.
      for (const outcome of [fed, used]) {
        if (outcome.status === 'rejected' && outcome.reason !== reason) throw outcome.reason;
      }
    })();
    return stopped;
  };
  stops.push(stop);
  return { feeder, channel, consumed, openGate: () => openGate(), stop };
}

const range = (count: number): number[] => Array.from({ length: count }, (_, i) => i);

describe('chokidar watcher feeding a channel', () => {
  it('delivers each of a burst of 5,000 files exactly once into a channel of 100 with a slow consumer, within maxPending', async () => {
    const directory = await directories.create();
    const maxPending = 300;
    const pipeline = startPipeline(directory, { capacity: 100, maxPending, slowEvery: 20 });
    const count = 5_000;
    const names = range(count).map((i) => `burst-${String(i).padStart(4, '0')}.txt`);
    for (let batch = 0; batch < count; batch += 250) {
      await Promise.all(names.slice(batch, batch + 250).map((name) => writeFile(join(directory, name), `content of ${name}`)));
    }

    const { consumed, feeder } = pipeline;
    await waitFor(() => consumed.contents.size === count, 'every file is processed', {
      timeout: 40_000,
      describe: () => ({ processed: consumed.contents.size, phantoms: consumed.phantoms.length, ...feeder.stats }),
    });
    await pipeline.stop();

    expect([...consumed.processedCount.values()].every((times) => times === 1)).toBe(true);
    for (const [path, content] of consumed.contents) expect(content).toBe(`content of ${basename(path)}`);
    expect([...consumed.contents.keys()].map((path) => basename(path)).sort()).toEqual(names);
    // The bound held, and was actually reached: reports were dropped and found again by rescans.
    expect(feeder.stats.peakPending).toBeLessThanOrEqual(maxPending);
    expect(consumed.peakObserved).toBeLessThanOrEqual(maxPending);
    expect(feeder.stats.dropped).toBeGreaterThan(0);
    expect(feeder.stats.rescans).toBeGreaterThan(0);
    // Every delivery is either a processed file or a documented phantom (a late duplicate report
    // of a file the consumer had already removed), never a second processing.
    expect(feeder.stats.delivered).toBe(count + consumed.phantoms.length);
    expect(consumed.phantoms.every((path) => names.includes(basename(path)))).toBe(true);
  }, 60_000);

  it('delivers only the final names of files renamed repeatedly right after they were written', async () => {
    const directory = await directories.create();
    const pipeline = startPipeline(directory, { capacity: 50, maxPending: 500 });
    const files = range(200);
    await Promise.all(
      files.map(async (i) => {
        await writeFile(join(directory, `doc-${i}-v0.txt`), `document ${i}`);
        for (let version = 1; version <= 5; version++) {
          await rename(join(directory, `doc-${i}-v${version - 1}.txt`), join(directory, `doc-${i}-v${version}.txt`));
        }
      }),
    );
    await writeFile(join(directory, 'sentinel.txt'), 'last');

    const { consumed } = pipeline;
    const finals = files.map((i) => join(directory, `doc-${i}-v5.txt`));
    const sentinel = join(directory, 'sentinel.txt');
    await waitFor(() => finals.every((path) => consumed.contents.has(path)) && consumed.contents.has(sentinel), 'every final name is processed', {
      timeout: 20_000,
      describe: () => ({ processed: consumed.contents.size, phantoms: consumed.phantoms }),
    });
    await pipeline.stop();

    expect([...consumed.contents.keys()].sort()).toEqual([...finals, sentinel].sort());
    expect([...consumed.processedCount.values()].every((times) => times === 1)).toBe(true);
    for (const i of files) expect(consumed.contents.get(join(directory, `doc-${i}-v5.txt`))).toBe(`document ${i}`);
    // Intermediate names never settle (each lived for well under the stability threshold), so
    // none was delivered, not even as a phantom.
    expect(consumed.phantoms).toEqual([]);
  }, 30_000);

  it('delivers the new names, and the old names only as phantoms the consumer skips, when reported files are renamed before they are processed', async () => {
    const directory = await directories.create();
    const pipeline = startPipeline(directory, { capacity: 100, maxPending: 500, gated: true });
    const files = range(100);
    await Promise.all(files.map((i) => writeFile(join(directory, `report-${i}-a.txt`), `report ${i}`)));
    await waitFor(() => pipeline.feeder.stats.delivered === files.length, 'every file is delivered to the channel', {
      describe: () => pipeline.feeder.stats,
    });
    // The storm hits files that are already in the channel, waiting for the consumer.
    await Promise.all(
      files.map(async (i) => {
        for (const [from, to] of [['a', 'b'], ['b', 'c'], ['c', 'd']] as const) {
          await rename(join(directory, `report-${i}-${from}.txt`), join(directory, `report-${i}-${to}.txt`));
        }
      }),
    );
    pipeline.openGate();

    const { consumed } = pipeline;
    const finals = files.map((i) => join(directory, `report-${i}-d.txt`));
    await waitFor(() => finals.every((path) => consumed.contents.has(path)), 'every final name is processed', {
      timeout: 20_000,
      describe: () => ({ processed: consumed.contents.size, phantoms: consumed.phantoms.length }),
    });
    await pipeline.stop();

    expect([...consumed.contents.keys()].sort()).toEqual(finals.sort());
    expect([...consumed.processedCount.values()].every((times) => times === 1)).toBe(true);
    // The old names were already in the channel: delivered, found gone, skipped. The
    // intermediate names (b, c) were never delivered.
    expect(consumed.phantoms.sort()).toEqual(files.map((i) => join(directory, `report-${i}-a.txt`)).sort());
  }, 30_000);

  it('delivers the files left unprocessed by a previous run when a new watcher starts', async () => {
    const directory = await directories.create();
    const first = startPipeline(directory, { capacity: 10, maxPending: 50, gated: true });
    await Promise.all(range(30).map((i) => writeFile(join(directory, `left-${i}.txt`), 'x')));
    await waitFor(() => first.feeder.stats.delivered === 10, 'the first run fills its channel');
    // Stopped before it processed anything: the files stay in the directory.
    first.openGate();
    await first.stop();
    const processedFirst = first.consumed.contents.size;

    const second = startPipeline(directory, { capacity: 10, maxPending: 50 });
    await waitFor(() => processedFirst + second.consumed.contents.size === 30, 'every file is processed across both runs', {
      describe: () => second.feeder.stats,
    });
    await second.stop();
    const all = new Set([...first.consumed.contents.keys(), ...second.consumed.contents.keys()]);
    expect(all.size).toBe(30);
  }, 20_000);
});
