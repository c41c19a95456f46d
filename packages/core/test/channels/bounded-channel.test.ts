import { describe, expect, it } from 'vitest';
import { ChannelClosedError, createBoundedChannel } from '../../src/channels/index.ts';
import type { BoundedChannelFullMode } from '../../src/channels/index.ts';
import { flush, listenedController, rejectionOf, track } from './channel-test-helpers.ts';

describe('createBoundedChannel', () => {
  describe('arguments', () => {
    it.each([
      [-1, 'Expected capacity to be an integer >= 0, got -1 (number)'],
      [1.5, 'Expected capacity to be an integer >= 0, got 1.5 (number)'],
      [Number.NaN, 'Expected capacity to be an integer >= 0, got NaN (number)'],
      [Infinity, 'Expected capacity to be an integer >= 0, got Infinity (number); use createUnboundedChannel'],
    ])('throws a RangeError naming the value and its type for capacity %s', (capacity, message) => {
      expect(() => createBoundedChannel(capacity)).toThrow(RangeError);
      expect(() => createBoundedChannel(capacity)).toThrow(message);
      expect(() => createBoundedChannel({ capacity })).toThrow(message);
    });

    it.each([
      ['5', 'Expected capacity to be an integer >= 0 or an options object, got "5" (string)'],
      [undefined, 'Expected capacity to be an integer >= 0 or an options object, got undefined (undefined)'],
      [5n, 'Expected capacity to be an integer >= 0 or an options object, got 5n (bigint)'],
    ])('throws a TypeError when the argument is %s instead of a number or options', (argument, message) => {
      expect(() => createBoundedChannel(argument as never)).toThrow(TypeError);
      expect(() => createBoundedChannel(argument as never)).toThrow(message);
    });

    it('throws a TypeError when the options carry no numeric capacity', () => {
      expect(() => createBoundedChannel({ capacity: '5' } as never)).toThrow(
        new TypeError('Expected capacity to be an integer >= 0, got "5" (string)'),
      );
      expect(() => createBoundedChannel({} as never)).toThrow(
        new TypeError('Expected capacity to be an integer >= 0, got undefined (undefined)'),
      );
      expect(() => createBoundedChannel(null as never)).toThrow(TypeError);
    });

    it('throws a RangeError for an unknown full mode and a TypeError for a non-string one', () => {
      expect(() => createBoundedChannel({ capacity: 1, fullMode: 'drop' as BoundedChannelFullMode })).toThrow(
        new RangeError(`Expected fullMode to be one of 'wait', 'dropNewest', 'dropOldest', 'dropWrite', got "drop" (string)`),
      );
      expect(() => createBoundedChannel({ capacity: 1, fullMode: 1 as never })).toThrow(
        new TypeError(`Expected fullMode to be one of 'wait', 'dropNewest', 'dropOldest', 'dropWrite', got 1 (number)`),
      );
    });

    it('throws a TypeError when itemDropped is not a function', () => {
      expect(() => createBoundedChannel({ capacity: 1, fullMode: 'dropOldest', itemDropped: 'log' as never })).toThrow(
        new TypeError('Expected itemDropped to be a function, got "log" (string)'),
      );
    });

    it('accepts a capacity given as a number or in options, with fullMode defaulting to wait', () => {
      const fromNumber = createBoundedChannel<number>(1);
      const fromOptions = createBoundedChannel<number>({ capacity: 1 });
      for (const { writer } of [fromNumber, fromOptions]) {
        expect(writer.tryWrite(1)).toBe(true);
        expect(writer.tryWrite(2)).toBe(false);
      }
    });
  });

  describe('waitToRead without a signal', () => {
    it('shares one pending promise between callers without a signal, resolved true by the next write', async () => {
      const { reader, writer } = createBoundedChannel<number>(4);
      const first = reader.waitToRead();
      const second = reader.waitToRead();
      // One promise for every signal-less wait: the drain loop allocates no waiter per wait.
      expect(second).toBe(first);
      const withSignal = reader.waitToRead(new AbortController().signal);
      expect(withSignal).not.toBe(first);
      expect(writer.tryWrite(1)).toBe(true);
      await expect(first).resolves.toBe(true);
      await expect(withSignal).resolves.toBe(true);
      // Once settled it is not reused: the next wait on an empty channel is a new one.
      expect(reader.tryRead()).toEqual({ ok: true, value: 1 });
      const third = reader.waitToRead();
      expect(third).not.toBe(first);
      writer.complete();
      await expect(third).resolves.toBe(false);
    });

    it('rejects the shared wait with the completion error, and a cancelled signalled wait leaves it pending', async () => {
      const { reader, writer } = createBoundedChannel<number>(1);
      const shared = reader.waitToRead();
      const controller = new AbortController();
      const cancelled = reader.waitToRead(controller.signal);
      controller.abort(new Error('gave up'));
      await expect(cancelled).rejects.toThrow('gave up');
      const settled = track(shared);
      await flush();
      expect(settled.status).toBe('pending');
      const failure = new Error('producer failed');
      writer.complete(failure);
      await expect(shared).rejects.toBe(failure);
    });
  });

  describe('wait mode', () => {
    it('returns false from tryWrite when the buffer is full', () => {
      const { reader, writer } = createBoundedChannel<number>(2);
      expect(writer.tryWrite(1)).toBe(true);
      expect(writer.tryWrite(2)).toBe(true);
      expect(writer.tryWrite(3)).toBe(false);
      expect(reader.count).toBe(2);
    });

    it('makes write wait for room and resolves it when a reader takes an item', async () => {
      const { reader, writer } = createBoundedChannel<number>(1);
      await writer.write(1);
      const second = track(writer.write(2));
      await flush();
      expect(second.status).toBe('pending');
      expect(reader.count).toBe(1);
      expect(reader.tryRead()).toEqual({ ok: true, value: 1 });
      await flush();
      expect(second.status).toBe('fulfilled');
      expect(reader.tryRead()).toEqual({ ok: true, value: 2 });
    });

    it('serves waiting writers in the order they started waiting', async () => {
      const { reader, writer } = createBoundedChannel<number>(1);
      writer.tryWrite(0);
      const writes = [1, 2, 3].map((item) => track(writer.write(item)));
      const received: number[] = [];
      for (let i = 0; i < 4; i++) received.push(await reader.read());
      await flush();
      expect(received).toEqual([0, 1, 2, 3]);
      expect(writes.map((write) => write.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled']);
    });

    it('does not let tryWrite overtake a writer that is already waiting', async () => {
      const { reader, writer } = createBoundedChannel<string>(1);
      writer.tryWrite('first');
      const waiting = track(writer.write('waiting'));
      expect(reader.tryRead()).toEqual({ ok: true, value: 'first' });
      expect(writer.tryWrite('late')).toBe(false);
      expect(reader.tryRead()).toEqual({ ok: true, value: 'waiting' });
      await flush();
      expect(waiting.status).toBe('fulfilled');
    });

    it('resolves waitToWrite at once when there is room and when room appears otherwise', async () => {
      const { reader, writer } = createBoundedChannel<number>(1);
      await expect(writer.waitToWrite()).resolves.toBe(true);
      writer.tryWrite(1);
      const waits = [track(writer.waitToWrite()), track(writer.waitToWrite())];
      await flush();
      expect(waits.map((wait) => wait.status)).toEqual(['pending', 'pending']);
      reader.tryRead();
      await flush();
      expect(waits.map((wait) => wait.value)).toEqual([true, true]);
    });

    it('writes nothing for a cancelled pending write', async () => {
      const { reader, writer } = createBoundedChannel<string>(1);
      writer.tryWrite('kept');
      const controller = new AbortController();
      const cancelled = track(writer.write('cancelled', controller.signal));
      const after = track(writer.write('after'));
      controller.abort('no longer needed');
      await flush();
      expect(cancelled).toEqual({ status: 'rejected', reason: 'no longer needed' });
      expect(await reader.read()).toBe('kept');
      expect(await reader.read()).toBe('after');
      expect(reader.tryRead()).toEqual({ ok: false });
      await flush();
      expect(after.status).toBe('fulfilled');
    });

    it('rejects a pending waitToWrite with the signal reason and removes its listener', async () => {
      const { writer } = createBoundedChannel<number>(1);
      writer.tryWrite(1);
      const { controller, signal, listeners } = listenedController();
      const wait = track(writer.waitToWrite(signal));
      expect(listeners()).toBe(1);
      controller.abort('enough');
      await flush();
      expect(wait).toEqual({ status: 'rejected', reason: 'enough' });
      expect(listeners()).toBe(0);
    });

    it('removes the abort listener of a waiting write once it completes', async () => {
      const { reader, writer } = createBoundedChannel<number>(1);
      writer.tryWrite(1);
      const { signal, listeners } = listenedController();
      const write = writer.write(2, signal);
      const wait = writer.waitToWrite(signal);
      expect(listeners()).toBe(2);
      reader.tryRead();
      reader.tryRead();
      await write;
      await wait;
      expect(listeners()).toBe(0);
    });

    it('rejects pending writers with ChannelClosedError when completed and keeps buffered items readable', async () => {
      const { reader, writer } = createBoundedChannel<string>(2);
      writer.tryWrite('a');
      writer.tryWrite('b');
      const cause = new Error('shutting down');
      const pending = track(writer.write('c'));
      const waiting = track(writer.waitToWrite());
      writer.complete(cause);
      await flush();
      expect(pending.status).toBe('rejected');
      expect(pending.reason).toBeInstanceOf(ChannelClosedError);
      expect((pending.reason as ChannelClosedError).cause).toBe(cause);
      expect(waiting).toEqual({ status: 'rejected', reason: cause });
      expect(reader.count).toBe(2);
      expect(await reader.read()).toBe('a');
      expect(await reader.waitToRead()).toBe(true);
      expect(reader.tryRead()).toEqual({ ok: true, value: 'b' });
      expect(await rejectionOf(reader.read())).toBeInstanceOf(ChannelClosedError);
    });

    it('settles completion only when complete and the buffer has drained', async () => {
      const { reader, writer } = createBoundedChannel<number>(3);
      writer.tryWrite(1);
      writer.tryWrite(2);
      const completion = track(reader.completion);
      writer.complete();
      await flush();
      expect(completion.status).toBe('pending');
      reader.tryRead();
      await flush();
      expect(completion.status).toBe('pending');
      reader.tryRead();
      await flush();
      expect(completion.status).toBe('fulfilled');
    });

    it('rejects completion with the completion error only once the buffer has drained', async () => {
      const { reader, writer } = createBoundedChannel<number>(3);
      writer.tryWrite(1);
      const error = new Error('failed after writing');
      const completion = track(reader.completion);
      writer.complete(error);
      await flush();
      expect(completion.status).toBe('pending');
      expect(await reader.read()).toBe(1);
      await flush();
      expect(completion).toEqual({ status: 'rejected', reason: error });
    });

    it('counts buffered items but not writers waiting for room', async () => {
      const { reader, writer } = createBoundedChannel<number>(2);
      writer.tryWrite(1);
      writer.tryWrite(2);
      const waiting = writer.write(3);
      expect(reader.count).toBe(2);
      expect(reader.tryPeek()).toEqual({ ok: true, value: 1 });
      expect(reader.count).toBe(2);
      reader.tryRead();
      await waiting;
      expect(reader.count).toBe(2);
    });

    it('never calls itemDropped and keeps droppedCount at zero', async () => {
      const dropped: number[] = [];
      const channel = createBoundedChannel<number>({ capacity: 1, itemDropped: (item) => dropped.push(item) });
      channel.writer.tryWrite(1);
      expect(channel.writer.tryWrite(2)).toBe(false);
      const waiting = track(channel.writer.write(3));
      await flush();
      expect(waiting.status).toBe('pending');
      expect(dropped).toEqual([]);
      expect(channel.droppedCount).toBe(0);
      channel.writer.complete();
    });

    it('rejects pending writers when the reader stops, keeping buffered items readable', async () => {
      const { reader, writer } = createBoundedChannel<number>(1);
      writer.tryWrite(1);
      const pending = track(writer.write(2));
      expect(reader.stop()).toBe(true);
      await flush();
      expect(pending.status).toBe('rejected');
      expect(pending.reason).toBeInstanceOf(ChannelClosedError);
      expect((pending.reason as ChannelClosedError).message).toMatch(/reader stopped/);
      expect(await reader.read()).toBe(1);
      await expect(reader.completion).resolves.toBeUndefined();
    });
  });

  describe('full modes (the semantics.md table)', () => {
    function filled(fullMode: BoundedChannelFullMode) {
      const dropped: string[] = [];
      const channel = createBoundedChannel<string>({ capacity: 3, fullMode, itemDropped: (item) => dropped.push(item) });
      for (const item of ['a', 'b', 'c']) channel.writer.tryWrite(item);
      return { channel, dropped, drain: () => drainSync(channel.reader) };
    }

    it('dropNewest: tryWrite returns true, removes the newest buffered item and adds the new one', () => {
      const { channel, dropped, drain } = filled('dropNewest');
      expect(channel.writer.tryWrite('d')).toBe(true);
      expect(dropped).toEqual(['c']);
      expect(channel.droppedCount).toBe(1);
      expect(drain()).toEqual(['a', 'b', 'd']);
    });

    it('dropOldest: tryWrite returns true, removes the oldest item and adds the new one', () => {
      const { channel, dropped, drain } = filled('dropOldest');
      expect(channel.writer.tryWrite('d')).toBe(true);
      expect(dropped).toEqual(['a']);
      expect(channel.droppedCount).toBe(1);
      expect(drain()).toEqual(['b', 'c', 'd']);
    });

    it('dropWrite: tryWrite returns true and discards the new item', () => {
      const { channel, dropped, drain } = filled('dropWrite');
      expect(channel.writer.tryWrite('d')).toBe(true);
      expect(dropped).toEqual(['d']);
      expect(channel.droppedCount).toBe(1);
      expect(drain()).toEqual(['a', 'b', 'c']);
    });

    it.each([
      ['dropNewest', ['a', 'b', 'f'], ['c', 'd', 'e']],
      ['dropOldest', ['d', 'e', 'f'], ['a', 'b', 'c']],
      ['dropWrite', ['a', 'b', 'c'], ['d', 'e', 'f']],
    ] as const)('%s: write resolves at once when full and reports each dropped item', async (fullMode, kept, lost) => {
      const { channel, dropped, drain } = filled(fullMode);
      const writes = ['d', 'e', 'f'].map((item) => track(channel.writer.write(item)));
      await flush();
      expect(writes.map((write) => write.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled']);
      expect(dropped).toEqual(lost);
      expect(channel.droppedCount).toBe(3);
      expect(drain()).toEqual(kept);
    });

    it.each(['dropNewest', 'dropOldest', 'dropWrite'] as const)(
      '%s: waitToWrite resolves true at once even when the buffer is full',
      async (fullMode) => {
        const { channel } = filled(fullMode);
        await expect(channel.writer.waitToWrite()).resolves.toBe(true);
      },
    );

    it.each(['dropNewest', 'dropOldest', 'dropWrite'] as const)(
      '%s: counts drops without a callback',
      (fullMode) => {
        const channel = createBoundedChannel<number>({ capacity: 1, fullMode });
        for (let i = 0; i < 5; i++) channel.writer.tryWrite(i);
        expect(channel.droppedCount).toBe(4);
        expect(channel.reader.count).toBe(1);
      },
    );

    it('hands an item to a waiting reader rather than dropping anything', async () => {
      const dropped: number[] = [];
      const { reader, writer } = createBoundedChannel<number>({ capacity: 1, fullMode: 'dropWrite', itemDropped: (item) => dropped.push(item) });
      const read = reader.read();
      expect(writer.tryWrite(1)).toBe(true);
      expect(await read).toBe(1);
      expect(dropped).toEqual([]);
    });

    it('propagates an error thrown by itemDropped to tryWrite, after the write happened', () => {
      const failure = new Error('callback failed');
      const { reader, writer } = createBoundedChannel<string>({
        capacity: 1,
        fullMode: 'dropOldest',
        itemDropped: () => {
          throw failure;
        },
      });
      writer.tryWrite('old');
      expect(() => writer.tryWrite('new')).toThrow(failure);
      expect(drainSync(reader)).toEqual(['new']);
    });

    it('rejects write with the error thrown by itemDropped', async () => {
      const failure = new Error('callback failed');
      const channel = createBoundedChannel<string>({
        capacity: 1,
        fullMode: 'dropWrite',
        itemDropped: () => {
          throw failure;
        },
      });
      channel.writer.tryWrite('kept');
      expect(await rejectionOf(channel.writer.write('dropped'))).toBe(failure);
      expect(channel.droppedCount).toBe(1);
      expect(drainSync(channel.reader)).toEqual(['kept']);
    });

    it('lets itemDropped write to the channel again without corrupting it', () => {
      const channel = createBoundedChannel<string>({
        capacity: 2,
        fullMode: 'dropOldest',
        itemDropped: (item) => {
          if (!item.startsWith('retry:')) channel.writer.tryWrite(`retry:${item}`);
        },
      });
      for (const item of ['a', 'b', 'c']) channel.writer.tryWrite(item);
      // c pushes a out; a's retry pushes b out; b's retry pushes c out; c's retry pushes retry:a out.
      expect(drainSync(channel.reader)).toEqual(['retry:b', 'retry:c']);
      expect(channel.droppedCount).toBe(4);
    });
  });
});

function drainSync<T>(reader: { tryRead(): { ok: true; value: T } | { ok: false } }): T[] {
  const items: T[] = [];
  for (let result = reader.tryRead(); result.ok; result = reader.tryRead()) items.push(result.value);
  return items;
}
