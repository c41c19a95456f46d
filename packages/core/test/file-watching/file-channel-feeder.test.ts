import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { ManualTimeProvider } from '@hostkit/core/testing';
import { createBoundedChannel } from '../../src/channels/index.ts';
import type { Channel } from '../../src/channels/index.ts';
import { createFileChannelFeeder } from '../../src/file-watching/index.ts';
import type { FileChannelFeeder, FileChannelFeederOptions, FileWorkItem } from '../../src/file-watching/index.ts';
import { FakeFileWatcher, flush } from './fake-file-watcher.ts';

interface Running {
  watcher: FakeFileWatcher;
  channel: Channel<FileWorkItem>;
  feeder: FileChannelFeeder;
  controller: AbortController;
  /** The run() promise, observed: `outcome` is set once it settles. */
  run: Promise<void>;
  outcome: { status: 'pending' | 'fulfilled' | 'rejected'; reason?: unknown };
}

/** Starts a feeder over a fake watcher (with `files` already in the directory) and lets it settle. */
async function start(
  options: FileChannelFeederOptions & { capacity?: number; files?: string[] } = {},
): Promise<Running> {
  const { capacity = 10, files = [], ...feederOptions } = options;
  const watcher = new FakeFileWatcher();
  watcher.addSilently(...files);
  const channel = createBoundedChannel<FileWorkItem>(capacity);
  const feeder = createFileChannelFeeder(watcher, channel.writer, feederOptions);
  const controller = new AbortController();
  const outcome: Running['outcome'] = { status: 'pending' };
  const run = feeder.run(controller.signal);
  // Observed through `outcome`; also keeps a rejection from being reported unhandled.
  void run.then(
    () => (outcome.status = 'fulfilled'),
    (reason: unknown) => Object.assign(outcome, { status: 'rejected', reason }),
  );
  await flush();
  return { watcher, channel, feeder, controller, run, outcome };
}

/** Takes every item available now, without waiting. */
function takeAll(channel: Channel<FileWorkItem>): FileWorkItem[] {
  const items: FileWorkItem[] = [];
  for (let next = channel.reader.tryRead(); next.ok; next = channel.reader.tryRead()) items.push(next.value);
  return items;
}

/** Consumes like a well-behaved inbox consumer: remove the file, then done(), until `until` holds. */
async function consume(
  running: Running,
  until: () => boolean,
  onItem: (item: FileWorkItem) => void = () => {},
): Promise<void> {
  for (let idle = 0; !until(); ) {
    const next = running.channel.reader.tryRead();
    if (!next.ok) {
      if (++idle > 1_000) throw new Error(`Consumer starved: ${JSON.stringify(running.feeder.stats)}`);
      await flush();
      continue;
    }
    idle = 0;
    onItem(next.value);
    running.watcher.remove(next.value.path);
    next.value.done();
  }
}

const paths = (count: number, prefix = 'f'): string[] =>
  Array.from({ length: count }, (_, i) => `/inbox/${prefix}${String(i).padStart(5, '0')}`);

describe('createFileChannelFeeder', () => {
  describe('delivery', () => {
    it('delivers the files already in the directory when it starts', async () => {
      const running = await start({ files: ['/inbox/a', '/inbox/b'] });
      expect(takeAll(running.channel).map((item) => item.path)).toEqual(['/inbox/a', '/inbox/b']);
    });

    it('delivers reported files in the order they were reported', async () => {
      const running = await start();
      running.watcher.add('/inbox/c', '/inbox/a', '/inbox/b');
      await flush();
      expect(takeAll(running.channel).map((item) => item.path)).toEqual(['/inbox/c', '/inbox/a', '/inbox/b']);
      expect(running.feeder.stats).toMatchObject({ queued: 0, inFlight: 3, delivered: 3 });
    });

    it('queues a path once when it is reported several times before delivery', async () => {
      const running = await start({ capacity: 1 });
      running.watcher.add('/inbox/a', '/inbox/b', '/inbox/b', '/inbox/b');
      await flush();
      expect(running.feeder.stats).toMatchObject({ queued: 1, inFlight: 1 });
      await consume(running, () => running.feeder.stats.delivered === 2);
      expect(running.feeder.stats.delivered).toBe(2);
    });

    it('does not deliver a path again while it is being processed, until done', async () => {
      const running = await start();
      running.watcher.add('/inbox/a');
      await flush();
      const [item] = takeAll(running.channel);
      running.watcher.handler?.overflowed();
      await flush();
      expect(takeAll(running.channel)).toEqual([]);
      item?.done();
      running.watcher.remove('/inbox/a');
      running.watcher.add('/inbox/a');
      await flush();
      expect(takeAll(running.channel).map((next) => next.path)).toEqual(['/inbox/a']);
    });

    it('delivers a file again on done when it was reported ready again while being processed', async () => {
      const running = await start();
      running.watcher.add('/inbox/a');
      await flush();
      const [item] = takeAll(running.channel);
      running.watcher.add('/inbox/a');
      await flush();
      expect(takeAll(running.channel)).toEqual([]);
      item?.done();
      await flush();
      expect(takeAll(running.channel).map((next) => next.path)).toEqual(['/inbox/a']);
    });

    it('does not deliver it again when the changed file was removed before done', async () => {
      const running = await start();
      running.watcher.add('/inbox/a');
      await flush();
      const [item] = takeAll(running.channel);
      running.watcher.add('/inbox/a');
      running.watcher.remove('/inbox/a');
      item?.done();
      await flush();
      expect(takeAll(running.channel)).toEqual([]);
      expect(running.feeder.stats).toMatchObject({ queued: 0, inFlight: 0 });
    });

    it('does not deliver a queued path whose file is reported removed', async () => {
      const running = await start({ capacity: 1 });
      running.watcher.add('/inbox/a', '/inbox/b');
      running.watcher.rename('/inbox/b', '/inbox/c');
      await flush();
      const seen: string[] = [];
      await consume(running, () => seen.length === 2, (item) => seen.push(item.path));
      expect(seen).toEqual(['/inbox/a', '/inbox/c']);
      expect(running.feeder.stats).toMatchObject({ delivered: 2, queued: 0, inFlight: 0 });
    });

    it('ignores a second done, and a done from an earlier delivery of the same path', async () => {
      const running = await start();
      running.watcher.add('/inbox/a');
      await flush();
      const [first] = takeAll(running.channel);
      first?.done();
      first?.done();
      running.watcher.add('/inbox/a');
      await flush();
      const [second] = takeAll(running.channel);
      expect(second).toBeDefined();
      first?.done();
      running.watcher.add('/inbox/a');
      await flush();
      expect(takeAll(running.channel)).toEqual([]);
      expect(running.feeder.stats.inFlight).toBe(1);
    });

    it('waits for room rather than dropping when the channel is full', async () => {
      const running = await start({ capacity: 2 });
      running.watcher.add(...paths(5));
      await flush();
      expect(running.feeder.stats).toMatchObject({ queued: 3, inFlight: 2, dropped: 0 });
      const seen: string[] = [];
      await consume(running, () => seen.length === 5, (item) => seen.push(item.path));
      expect(seen).toEqual(paths(5));
    });
  });

  describe('bounded memory without loss', () => {
    it('tracks at most maxPending paths and still delivers every file exactly once when far more arrive', async () => {
      const maxPending = 50;
      const running = await start({ capacity: 10, maxPending });
      const all = paths(1_000);
      running.watcher.add(...all);
      await flush();
      expect(running.feeder.stats.queued + running.feeder.stats.inFlight).toBe(maxPending);
      expect(running.feeder.stats.dropped).toBe(1_000 - maxPending);

      const seen = new Map<string, number>();
      await consume(running, () => seen.size === all.length && running.feeder.stats.queued === 0, (item) => {
        seen.set(item.path, (seen.get(item.path) ?? 0) + 1);
        expect(running.feeder.stats.queued + running.feeder.stats.inFlight).toBeLessThanOrEqual(maxPending);
      });

      expect([...seen.keys()].sort()).toEqual(all);
      expect([...seen.values()].every((count) => count === 1)).toBe(true);
      expect(running.feeder.stats.peakPending).toBeLessThanOrEqual(maxPending);
      expect(running.feeder.stats.rescans).toBeGreaterThan(0);
      // Each rescan stops reading once the bound is reached, rather than listing all 1,000 files.
      expect(running.watcher.listed).toBeLessThanOrEqual(running.watcher.listings * (maxPending + 1));
    });

    it('keeps delivering the files that arrive during and between rescans', async () => {
      const maxPending = 20;
      const running = await start({ capacity: 5, maxPending });
      const all = paths(300);
      const seen = new Set<string>();
      running.watcher.add(...all.slice(0, 30));
      let next = 30;
      await consume(running, () => seen.size === all.length, (item) => {
        expect(seen.has(item.path)).toBe(false);
        seen.add(item.path);
        // New files keep arriving, faster than they are consumed.
        for (let i = 0; i < 3 && next < all.length; i++) running.watcher.add(all[next++] ?? '');
      });
      expect(running.feeder.stats.peakPending).toBeLessThanOrEqual(maxPending);
    }, 10_000);

    it('waits until at most half of maxPending is in flight before rescanning', async () => {
      const running = await start({ capacity: 10, maxPending: 10 });
      running.watcher.add(...paths(11));
      await flush();
      const items = takeAll(running.channel);
      expect(items).toHaveLength(10);
      expect(running.feeder.stats.dropped).toBe(1);
      for (const item of items.slice(0, 4)) {
        running.watcher.remove(item.path);
        item.done();
      }
      await flush();
      expect(running.watcher.listings).toBe(0);
      const fifth = items[4];
      if (fifth !== undefined) {
        running.watcher.remove(fifth.path);
        fifth.done();
      }
      await flush();
      expect(running.watcher.listings).toBe(1);
      expect(takeAll(running.channel).map((item) => item.path)).toEqual([paths(11)[10]]);
    });

    it('rescans and delivers missed files when the watcher reports an overflow', async () => {
      const running = await start();
      running.watcher.addSilently('/inbox/missed-1', '/inbox/missed-2');
      running.watcher.handler?.overflowed();
      await flush();
      expect(takeAll(running.channel).map((item) => item.path)).toEqual(['/inbox/missed-1', '/inbox/missed-2']);
      expect(running.feeder.stats.rescans).toBe(1);
    });

    it('rescans every rescanInterval on the time provider when one is configured', async () => {
      const time = new ManualTimeProvider();
      const running = await start({ rescanInterval: 60_000, timeProvider: time });
      running.watcher.addSilently('/inbox/missed');
      await time.advance(59_999);
      await flush();
      expect(takeAll(running.channel)).toEqual([]);
      await time.advance(1);
      await flush();
      expect(takeAll(running.channel).map((item) => item.path)).toEqual(['/inbox/missed']);
      running.controller.abort();
      await flush();
      expect(time.pendingTimerCount).toBe(0);
    });
  });

  describe('stopping', () => {
    it('rejects with the reason, closes the watcher and completes the channel cleanly when the signal aborts', async () => {
      const running = await start();
      running.watcher.add('/inbox/a');
      await flush();
      const reason = new Error('stopping');
      running.controller.abort(reason);
      await expect(running.run).rejects.toBe(reason);
      expect(running.watcher.closeCalls).toBe(1);
      expect(takeAll(running.channel).map((item) => item.path)).toEqual(['/inbox/a']);
      await expect(running.channel.reader.completion).resolves.toBeUndefined();
      expect(getEventListeners(running.controller.signal, 'abort')).toHaveLength(0);
    });

    it('removes its listener from the signal when it ends for another reason', async () => {
      const running = await start();
      running.channel.reader.stop();
      running.watcher.add('/inbox/a');
      await running.run;
      expect(getEventListeners(running.controller.signal, 'abort')).toHaveLength(0);
    });

    it('rejects at once, and still closes the watcher, when the signal is already aborted', async () => {
      const watcher = new FakeFileWatcher();
      const channel = createBoundedChannel<FileWorkItem>(1);
      const reason = new Error('already');
      await expect(createFileChannelFeeder(watcher, channel.writer).run(AbortSignal.abort(reason))).rejects.toBe(reason);
      expect(watcher.startCalls).toBe(0);
      expect(watcher.closeCalls).toBe(1);
    });

    it('resolves and closes the watcher at its next delivery when the consumer has stopped the channel', async () => {
      const running = await start();
      running.channel.reader.stop();
      await flush();
      expect(running.outcome.status).toBe('pending');
      running.watcher.add('/inbox/a');
      await expect(running.run).resolves.toBeUndefined();
      expect(running.watcher.closeCalls).toBe(1);
    });

    it('resolves when the consumer stops the channel while the feeder waits for room', async () => {
      const running = await start({ capacity: 1 });
      running.watcher.add('/inbox/a', '/inbox/b');
      await flush();
      running.channel.reader.stop();
      await expect(running.run).resolves.toBeUndefined();
    });

    it('ignores reports and done calls once it has stopped', async () => {
      const running = await start();
      running.watcher.add('/inbox/a');
      await flush();
      const handler = running.watcher.handler;
      running.controller.abort();
      await running.run.catch(() => {});
      const [item] = takeAll(running.channel);
      handler?.fileReady('/inbox/b');
      handler?.overflowed();
      item?.done();
      expect(running.feeder.stats).toMatchObject({ queued: 0, inFlight: 0, delivered: 1 });
    });

    it('rejects when run is called a second time', async () => {
      const running = await start();
      await expect(running.feeder.run()).rejects.toThrow(/already called/);
      running.controller.abort();
      await expect(running.feeder.run()).rejects.toThrow(/already called/);
    });
  });

  describe('errors', () => {
    it('rejects with a watcher error and completes the channel with it when there is no onError', async () => {
      const running = await start();
      const error = new Error('EACCES');
      running.watcher.handler?.error(error);
      await expect(running.run).rejects.toBe(error);
      expect(running.watcher.closeCalls).toBe(1);
      await expect(running.channel.reader.completion).rejects.toBe(error);
    });

    it('passes watcher errors to onError and keeps feeding when onError is given', async () => {
      const errors: unknown[] = [];
      const running = await start({ onError: (error) => errors.push(error) });
      const error = new Error('EACCES');
      running.watcher.handler?.error(error);
      running.watcher.add('/inbox/a');
      await flush();
      expect(errors).toEqual([error]);
      expect(running.outcome.status).toBe('pending');
      expect(takeAll(running.channel)).toHaveLength(1);
    });

    it('stops with the error onError throws', async () => {
      const thrown = new Error('give up');
      const running = await start({
        onError: () => {
          throw thrown;
        },
      });
      running.watcher.handler?.error(new Error('EACCES'));
      await expect(running.run).rejects.toBe(thrown);
    });

    it('rejects with the error and closes the watcher when the watcher fails to start', async () => {
      const watcher = new FakeFileWatcher();
      const error = new Error('ENOENT');
      watcher.startError = error;
      const channel = createBoundedChannel<FileWorkItem>(1);
      await expect(createFileChannelFeeder(watcher, channel.writer).run()).rejects.toBe(error);
      expect(watcher.closeCalls).toBe(1);
      await expect(channel.reader.completion).rejects.toBe(error);
    });

    it('rejects when listing the directory fails during a rescan', async () => {
      const running = await start();
      const error = new Error('EIO');
      running.watcher.addSilently('/inbox/a', '/inbox/b');
      running.watcher.listError = error;
      running.watcher.listErrorAfter = 1;
      running.watcher.handler?.overflowed();
      await expect(running.run).rejects.toBe(error);
    });

    it('leaves the channel open when completeWriter is false', async () => {
      const running = await start({ completeWriter: false });
      running.controller.abort();
      await running.run.catch(() => {});
      expect(running.channel.writer.tryWrite({ path: '/x', done: () => {} })).toBe(true);
    });
  });

  describe('arguments', () => {
    const writer = createBoundedChannel<FileWorkItem>(1).writer;

    it('throws RangeError naming the value when maxPending is not an integer >= 1', () => {
      expect(() => createFileChannelFeeder(new FakeFileWatcher(), writer, { maxPending: 0 })).toThrow(
        new RangeError('Expected maxPending to be an integer >= 1, got 0 (number)'),
      );
      expect(() => createFileChannelFeeder(new FakeFileWatcher(), writer, { maxPending: 2.5 })).toThrow(RangeError);
    });

    it('throws when rescanInterval is not a finite number > 0 or comes without a timeProvider', () => {
      const timeProvider = new ManualTimeProvider();
      expect(() => createFileChannelFeeder(new FakeFileWatcher(), writer, { rescanInterval: 0, timeProvider })).toThrow(
        new RangeError('Expected rescanInterval to be a finite number > 0, got 0 (number)'),
      );
      expect(() => createFileChannelFeeder(new FakeFileWatcher(), writer, { rescanInterval: 1_000 })).toThrow(TypeError);
    });

    it('throws TypeError when the watcher, writer or onError is not what it should be', () => {
      expect(() => createFileChannelFeeder(null as unknown as FakeFileWatcher, writer)).toThrow(
        new TypeError('Expected watcher to be a FileWatcher, got null (null)'),
      );
      expect(() => createFileChannelFeeder(new FakeFileWatcher(), {} as typeof writer)).toThrow(TypeError);
      expect(() =>
        createFileChannelFeeder(new FakeFileWatcher(), writer, { onError: 'log' as unknown as () => void }),
      ).toThrow(TypeError);
    });
  });
});
