import { describe, expect, it } from 'vitest';
import { ChannelClosedError, ChannelReader, ChannelWriter } from '../../src/channels/index.ts';
import type { Channel } from '../../src/channels/index.ts';
import { CHANNEL_KINDS, flush, listenedController, rejectionOf, track } from './channel-test-helpers.ts';
import type { ChannelKind } from './channel-test-helpers.ts';

/**
 * The behaviour every channel kind shares (semantics.md section 6), run against each kind the way
 * .NET's ChannelTestBase runs against each channel type. Cases only use patterns that work on all
 * kinds: a write is started before the read that takes it and awaited after, so a rendezvous
 * channel (where a write waits for its reader) and a full bounded channel behave like the others.
 */
function describeChannelContract(kind: ChannelKind): void {
  const create = <T = number>(): Channel<T> => kind.create<T>();

  describe(`${kind.name}: shape`, () => {
    it('exposes a ChannelReader, a ChannelWriter and a dropped-item count of zero', () => {
      const channel = create();
      expect(channel.reader).toBeInstanceOf(ChannelReader);
      expect(channel.writer).toBeInstanceOf(ChannelWriter);
      expect(channel.droppedCount).toBe(0);
    });
  });

  describe(`${kind.name}: reading`, () => {
    it('reports empty from tryRead and tryPeek on a new channel', () => {
      const { reader } = create();
      expect(reader.tryRead()).toEqual({ ok: false });
      expect(reader.tryPeek()).toEqual({ ok: false });
      expect(reader.count).toBe(0);
    });

    it('reports empty from tryRead and tryPeek when complete and drained', () => {
      const { reader, writer } = create();
      writer.complete(new Error('boom'));
      expect(reader.tryRead()).toEqual({ ok: false });
      expect(reader.tryPeek()).toEqual({ ok: false });
    });

    it('delivers an item to a read that was waiting before the write', async () => {
      const { reader, writer } = create<string>();
      const read = track(reader.read());
      await flush();
      expect(read.status).toBe('pending');
      await writer.write('a');
      await flush();
      expect(read).toEqual({ status: 'fulfilled', value: 'a' });
    });

    it('takes an item with tryRead and shows it without taking it with tryPeek', async () => {
      const { reader, writer } = create<string>();
      const write = writer.write('a');
      expect(reader.tryPeek()).toEqual({ ok: true, value: 'a' });
      expect(reader.count).toBe(1);
      expect(reader.tryRead()).toEqual({ ok: true, value: 'a' });
      expect(reader.count).toBe(0);
      expect(reader.tryRead()).toEqual({ ok: false });
      await write;
    });

    it('passes undefined items through like any other', async () => {
      const { reader, writer } = create<undefined>();
      const first = writer.write(undefined);
      expect(reader.tryPeek()).toEqual({ ok: true, value: undefined });
      expect(reader.tryRead()).toEqual({ ok: true, value: undefined });
      await first;
      const second = writer.write(undefined);
      await expect(reader.read()).resolves.toBeUndefined();
      await second;
    });

    it('resolves a pending waitToRead with true when an item arrives, leaving the item to be read', async () => {
      const { reader, writer } = create<string>();
      const wait = track(reader.waitToRead());
      await flush();
      expect(wait.status).toBe('pending');
      const write = writer.write('a');
      await flush();
      expect(wait).toEqual({ status: 'fulfilled', value: true });
      expect(reader.tryRead()).toEqual({ ok: true, value: 'a' });
      await write;
    });

    it('resolves waitToRead with true at once when an item is there', async () => {
      const { reader, writer } = create<string>();
      const write = writer.write('a');
      await expect(reader.waitToRead()).resolves.toBe(true);
      reader.tryRead();
      await write;
    });

    it('serves waiting readers in the order they started waiting', async () => {
      const { reader, writer } = create<number>();
      const reads = [track(reader.read()), track(reader.read()), track(reader.read())];
      for (const item of [1, 2, 3]) await writer.write(item);
      await flush();
      expect(reads.map((read) => read.value)).toEqual([1, 2, 3]);
    });

    it('keeps the order of the items one producer writes', async () => {
      const { reader, writer } = create<number>();
      const items = Array.from({ length: 20 }, (_, i) => i);
      const producer = (async () => {
        for (const item of items) await writer.write(item);
        writer.complete();
      })();
      const received: number[] = [];
      for await (const item of reader) received.push(item);
      await producer;
      expect(received).toEqual(items);
    });
  });

  describe(`${kind.name}: completion as the reader sees it`, () => {
    it('resolves waitToRead with false when completed cleanly and empty', async () => {
      const { reader, writer } = create();
      writer.complete();
      await expect(reader.waitToRead()).resolves.toBe(false);
    });

    it('rejects waitToRead with the completion error itself when completed with one', async () => {
      const { reader, writer } = create();
      const error = new Error('producer failed');
      writer.complete(error);
      expect(await rejectionOf(reader.waitToRead())).toBe(error);
    });

    it('rejects read with a ChannelClosedError without a cause when completed cleanly and empty', async () => {
      const { reader, writer } = create();
      writer.complete();
      const error = await rejectionOf(reader.read());
      expect(error).toBeInstanceOf(ChannelClosedError);
      expect((error as ChannelClosedError).cause).toBeUndefined();
    });

    it('rejects read with a ChannelClosedError whose cause is the completion error', async () => {
      const { reader, writer } = create();
      const cause = new Error('producer failed');
      writer.complete(cause);
      const error = await rejectionOf(reader.read());
      expect(error).toBeInstanceOf(ChannelClosedError);
      expect((error as ChannelClosedError).cause).toBe(cause);
    });

    it('rejects pending readers with ChannelClosedError once the buffer is empty when completed', async () => {
      const { reader, writer } = create();
      const cause = new Error('producer failed');
      const reads = [track(reader.read()), track(reader.read())];
      await flush();
      writer.complete(cause);
      await flush();
      for (const read of reads) {
        expect(read.status).toBe('rejected');
        expect(read.reason).toBeInstanceOf(ChannelClosedError);
        expect((read.reason as ChannelClosedError).cause).toBe(cause);
      }
    });

    it('settles pending waitToRead callers with false when completed cleanly', async () => {
      const { reader, writer } = create();
      const waits = [track(reader.waitToRead()), track(reader.waitToRead())];
      writer.complete();
      await flush();
      expect(waits).toEqual([
        { status: 'fulfilled', value: false },
        { status: 'fulfilled', value: false },
      ]);
    });

    it('rejects pending waitToRead callers with the completion error when completed with one', async () => {
      const { reader, writer } = create();
      const error = new Error('producer failed');
      const wait = track(reader.waitToRead());
      writer.complete(error);
      await flush();
      expect(wait).toEqual({ status: 'rejected', reason: error });
    });

    it('ends for await with a signal cleanly when completed without an error', async () => {
      const { reader, writer } = create<number>();
      const { signal, listeners } = listenedController();
      const producer = (async () => {
        await writer.write(1);
        await writer.write(2);
        writer.complete();
      })();
      const received: number[] = [];
      for await (const item of reader.readAll(signal)) received.push(item);
      await producer;
      expect(received).toEqual([1, 2]);
      expect(listeners()).toBe(0);
    });

    it('reports the completion again from every later iterator step', async () => {
      const { reader, writer } = create<number>();
      const error = new Error('producer failed');
      const iterator = reader.readAll();
      const waiting = iterator.next();
      writer.complete(error);
      expect(await rejectionOf(waiting)).toBe(error);
      expect(await rejectionOf(iterator.next())).toBe(error);
      expect(await rejectionOf(reader.readAll().next())).toBe(error);
    });

    it('throws the raw completion error from for await when completed with one, after the items', async () => {
      const { reader, writer } = create<number>();
      const error = new Error('producer failed');
      const producer = (async () => {
        await writer.write(1);
        writer.complete(error);
      })();
      const received: number[] = [];
      const thrown = await rejectionOf(
        (async () => {
          for await (const item of reader) received.push(item);
        })(),
      );
      await producer;
      expect(received).toEqual([1]);
      expect(thrown).toBe(error);
    });

    it('resolves completion after a clean completion with nothing left to read', async () => {
      const { reader, writer } = create();
      const completion = track(reader.completion);
      await flush();
      expect(completion.status).toBe('pending');
      writer.complete();
      await flush();
      expect(completion.status).toBe('fulfilled');
    });

    it('rejects completion with the completion error', async () => {
      const { reader, writer } = create();
      const error = new Error('producer failed');
      writer.complete(error);
      expect(await rejectionOf(reader.completion)).toBe(error);
    });

    it('does not report an unhandled rejection when completion is never observed', async () => {
      const unhandled: unknown[] = [];
      const onUnhandled = (reason: unknown): void => {
        unhandled.push(reason);
      };
      process.on('unhandledRejection', onUnhandled);
      try {
        const { writer } = create();
        writer.complete(new Error('nobody listens'));
        await nextMacrotask();
        await flush();
      } finally {
        process.off('unhandledRejection', onUnhandled);
      }
      expect(unhandled).toEqual([]);
    });
  });

  describe(`${kind.name}: writing and completing`, () => {
    it('rejects writes with ChannelClosedError and refuses tryWrite after completion', async () => {
      const { writer } = create();
      writer.complete();
      expect(writer.tryWrite(1)).toBe(false);
      const error = await rejectionOf(writer.write(1));
      expect(error).toBeInstanceOf(ChannelClosedError);
      expect((error as ChannelClosedError).cause).toBeUndefined();
    });

    it('rejects writes with a ChannelClosedError whose cause is the completion error', async () => {
      const { writer } = create();
      const cause = new Error('producer failed');
      writer.complete(cause);
      const error = await rejectionOf(writer.write(1));
      expect(error).toBeInstanceOf(ChannelClosedError);
      expect((error as ChannelClosedError).cause).toBe(cause);
    });

    it('resolves waitToWrite with false after a clean completion', async () => {
      const { writer } = create();
      writer.complete();
      await expect(writer.waitToWrite()).resolves.toBe(false);
    });

    it('rejects waitToWrite with the completion error itself', async () => {
      const { writer } = create();
      const error = new Error('producer failed');
      writer.complete(error);
      expect(await rejectionOf(writer.waitToWrite())).toBe(error);
    });

    it('throws ChannelClosedError from a second complete and returns false from tryComplete', () => {
      const { writer } = create();
      expect(writer.tryComplete()).toBe(true);
      expect(() => writer.complete()).toThrow(ChannelClosedError);
      expect(writer.tryComplete(new Error('late'))).toBe(false);
    });

    it('keeps the first completion error when later completions are refused', async () => {
      const { reader, writer } = create();
      const first = new Error('first');
      writer.complete(first);
      expect(writer.tryComplete(new Error('second'))).toBe(false);
      expect(await rejectionOf(reader.completion)).toBe(first);
    });
  });

  describe(`${kind.name}: cancellation`, () => {
    it('rejects a cancelled pending read with the signal reason and gives the item to the next reader', async () => {
      const { reader, writer } = create<string>();
      const controller = new AbortController();
      const reason = new Error('gave up');
      const cancelled = track(reader.read(controller.signal));
      const next = track(reader.read());
      controller.abort(reason);
      await flush();
      expect(cancelled).toEqual({ status: 'rejected', reason });
      await writer.write('a');
      await flush();
      expect(next).toEqual({ status: 'fulfilled', value: 'a' });
    });

    it('rejects a cancelled pending read and leaves the item in the channel for a later read', async () => {
      const { reader, writer } = create<string>();
      const controller = new AbortController();
      const cancelled = track(reader.read(controller.signal));
      await flush();
      controller.abort();
      const write = writer.write('a');
      await flush();
      expect(cancelled.status).toBe('rejected');
      expect(reader.tryRead()).toEqual({ ok: true, value: 'a' });
      await write;
    });

    it('rejects every operation at once with signal.reason when the signal is already aborted', async () => {
      const { reader, writer } = create<string>();
      const reason = new Error('already aborted');
      const signal = AbortSignal.abort(reason);
      const pending = writer.write('kept');
      expect(await rejectionOf(reader.read(signal))).toBe(reason);
      expect(await rejectionOf(reader.waitToRead(signal))).toBe(reason);
      expect(await rejectionOf(reader.readAll(signal).next())).toBe(reason);
      expect(await rejectionOf(writer.write('not written', signal))).toBe(reason);
      expect(await rejectionOf(writer.waitToWrite(signal))).toBe(reason);
      // None of them took or added an item.
      expect(reader.tryRead()).toEqual({ ok: true, value: 'kept' });
      expect(reader.tryRead()).toEqual({ ok: false });
      await pending;
    });

    it('rejects a pending waitToRead with the signal reason when its signal aborts', async () => {
      const { reader } = create();
      const controller = new AbortController();
      const wait = track(reader.waitToRead(controller.signal));
      controller.abort('stop');
      await flush();
      expect(wait).toEqual({ status: 'rejected', reason: 'stop' });
    });

    it('ends a for await loop with the signal reason when the signal aborts while waiting for an item', async () => {
      const { reader, writer } = create<number>();
      const controller = new AbortController();
      const reason = new Error('stopping');
      const received: number[] = [];
      const loop = track(
        (async () => {
          for await (const item of reader.readAll(controller.signal)) received.push(item);
        })(),
      );
      await writer.write(1);
      await flush();
      controller.abort(reason);
      await flush();
      expect(loop).toEqual({ status: 'rejected', reason });
      expect(received).toEqual([1]);
      // The abandoned step took nothing: the next item is still there for another reader.
      const write = writer.write(2);
      expect(reader.tryRead()).toEqual({ ok: true, value: 2 });
      await write;
    });

    it('removes its abort listener as soon as a wait settles', async () => {
      const { reader, writer } = create<number>();
      const { signal, listeners } = listenedController();

      const read = reader.read(signal);
      const waitToRead = reader.waitToRead(signal);
      const step = reader.readAll(signal).next();
      expect(listeners()).toBeGreaterThan(0);
      await writer.write(1);
      await writer.write(2);
      // 1 and 2 went straight to the waiting read and iterator step; 3 is what waitToRead sees.
      const third = writer.write(3);
      expect(await read).toBe(1);
      expect(await step).toEqual({ value: 2, done: false });
      expect(await waitToRead).toBe(true);
      expect(reader.tryRead()).toEqual({ ok: true, value: 3 });
      await third;
      expect(listeners()).toBe(0);

      const closed = track(reader.read(signal));
      writer.complete();
      await flush();
      expect(closed.status).toBe('rejected');
      expect(listeners()).toBe(0);
    });

    it('removes the abort listener of a wait that was cancelled', async () => {
      const { reader } = create();
      const { controller, signal, listeners } = listenedController();
      const read = track(reader.read(signal));
      expect(listeners()).toBe(1);
      controller.abort();
      await flush();
      expect(read.status).toBe('rejected');
      expect(listeners()).toBe(0);
    });

    it('does not collect listeners on a long-lived signal across many reads', async () => {
      const { reader, writer } = create<number>();
      const { signal, listeners } = listenedController();
      const consumer = (async () => {
        let sum = 0;
        for (let i = 0; i < 100; i++) sum += await reader.read(signal);
        return sum;
      })();
      for (let i = 0; i < 100; i++) await writer.write(i);
      expect(await consumer).toBe(4950);
      expect(listeners()).toBe(0);
    });
  });

  describe(`${kind.name}: async iteration`, () => {
    it('stops iterating without completing the channel when a for await loop breaks', async () => {
      const { reader, writer } = create<number>();
      const writes = [writer.write(1), writer.write(2)];
      for await (const item of reader) {
        expect(item).toBe(1);
        break;
      }
      expect(await reader.read()).toBe(2);
      await Promise.all(writes);
      expect(writer.tryComplete()).toBe(true);
    });

    it('ends a waiting step as done when the iterator is returned, leaving the next item to other readers', async () => {
      const { reader, writer } = create<number>();
      const iterator = reader.readAll();
      const step = track(iterator.next());
      await flush();
      await expect(iterator.return?.()).resolves.toEqual({ done: true, value: undefined });
      await flush();
      expect(step).toEqual({ status: 'fulfilled', value: { done: true, value: undefined } });
      await expect(iterator.next()).resolves.toEqual({ done: true, value: undefined });
      const write = writer.write(7);
      expect(reader.tryRead()).toEqual({ ok: true, value: 7 });
      await write;
    });

    it('lets several iterators share a channel, each item going to exactly one of them', async () => {
      const { reader, writer } = create<number>();
      const consume = async (): Promise<number[]> => {
        const items: number[] = [];
        for await (const item of reader) items.push(item);
        return items;
      };
      const consumers = [consume(), consume(), consume()];
      for (let i = 0; i < 30; i++) await writer.write(i);
      writer.complete();
      const received = (await Promise.all(consumers)).flat().sort((a, b) => a - b);
      expect(received).toEqual(Array.from({ length: 30 }, (_, i) => i));
    });
  });

  describe(`${kind.name}: ReadableStream view`, () => {
    it('streams the items in order and closes when the channel completes', async () => {
      const { reader, writer } = create<number>();
      const producer = (async () => {
        for (const item of [1, 2, 3]) await writer.write(item);
        writer.complete();
      })();
      const received: number[] = [];
      for await (const item of reader.toReadableStream()) received.push(item);
      await producer;
      expect(received).toEqual([1, 2, 3]);
    });

    it('errors the stream with the completion error', async () => {
      const { reader, writer } = create<number>();
      const error = new Error('producer failed');
      writer.complete(error);
      expect(await rejectionOf(reader.toReadableStream().getReader().read())).toBe(error);
    });

    it('takes no item from the channel before the stream is read', async () => {
      const { reader, writer } = create<number>();
      const stream = reader.toReadableStream();
      const write = writer.write(1);
      await flush();
      expect(reader.tryRead()).toEqual({ ok: true, value: 1 });
      await write;
      expect(stream.locked).toBe(false);
    });

    it('leaves the channel open and loses no item when the stream is cancelled during a read', async () => {
      const { reader, writer } = create<number>();
      const streamReader = reader.toReadableStream().getReader();
      const streamRead = track(streamReader.read());
      await flush();
      await streamReader.cancel('not interested');
      await flush();
      expect(streamRead).toEqual({ status: 'fulfilled', value: { done: true, value: undefined } });
      const write = writer.write(5);
      expect(await reader.read()).toBe(5);
      await write;
      expect(writer.tryComplete()).toBe(true);
    });
  });

  describe(`${kind.name}: reader.stop`, () => {
    it('tells writers the consumer stopped: writes reject with ChannelClosedError whose cause is the reason', async () => {
      const { reader, writer } = create<number>();
      const reason = new Error('consumer crashed');
      expect(reader.stop(reason)).toBe(true);
      expect(reader.stop()).toBe(false);
      expect(writer.tryWrite(1)).toBe(false);
      const error = await rejectionOf(writer.write(1));
      expect(error).toBeInstanceOf(ChannelClosedError);
      expect((error as ChannelClosedError).cause).toBe(reason);
      expect(await rejectionOf(writer.waitToWrite())).toBe(reason);
      expect(writer.tryComplete()).toBe(false);
    });

    it('resolves waitToWrite with false after the reader stopped without a reason', async () => {
      const { reader, writer } = create<number>();
      reader.stop();
      await expect(writer.waitToWrite()).resolves.toBe(false);
      await expect(reader.completion).resolves.toBeUndefined();
    });
  });
}

/** One turn of the event loop through a web-standard message port: no timer involved. */
function nextMacrotask(): Promise<void> {
  return new Promise((resolve) => {
    const { port1, port2 } = new MessageChannel();
    port1.onmessage = () => {
      port1.close();
      port2.close();
      resolve();
    };
    port2.postMessage(undefined);
  });
}

for (const kind of CHANNEL_KINDS) describeChannelContract(kind);
