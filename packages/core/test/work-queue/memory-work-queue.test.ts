import { describe, expect, it } from 'vitest';
import { ManualTimeProvider } from '@hostkit/core/testing';
import { checkWorkQueueOptions, workQueueBackoff } from '../../src/adapter-kit/index.ts';
import { MemoryWorkQueue, WorkItemLostError, WorkQueueClosedError } from '../../src/work-queue/index.ts';
import type { WorkQueue } from '../../src/work-queue/index.ts';
import { describeWorkQueueContract } from './work-queue-contract.ts';

describeWorkQueueContract('MemoryWorkQueue', async () => {
  const time = new ManualTimeProvider();
  // In-process, every "handle" is the queue itself: the first call's options make it.
  let queue: MemoryWorkQueue<unknown> | undefined;
  return {
    createQueue: async (options) => (queue ??= new MemoryWorkQueue('jobs', { ...options, timeProvider: time })),
    advance: (ms) => time.advance(ms),
    timeProvider: time,
    dispose: async () => {
      await queue?.close();
      // Closing stops every timer: a test that did not would fail here.
      if (time.pendingTimerCount !== 0) throw new Error(`${time.pendingTimerCount} timers left after close`);
    },
  };
});

const never = (): AbortSignal => new AbortController().signal;

function create(options?: ConstructorParameters<typeof MemoryWorkQueue>[1]): { queue: MemoryWorkQueue<unknown>; time: ManualTimeProvider } {
  const time = new ManualTimeProvider();
  return { queue: new MemoryWorkQueue('jobs', { ...options, timeProvider: time }), time };
}

describe('MemoryWorkQueue', () => {
  describe('waiting receives', () => {
    it('serves waiting receives first come, first served', async () => {
      const { queue } = create();
      const order: string[] = [];
      const first = queue.receive(never()).then((item) => order.push(`first:${String(item.payload)}`));
      const second = queue.receive(never()).then((item) => order.push(`second:${String(item.payload)}`));
      await queue.enqueue('a');
      await queue.enqueue('b');
      await Promise.all([first, second]);
      expect(order).toEqual(['first:a', 'second:b']);
    });

    it('skips a receive that was aborted and serves the next one', async () => {
      const { queue } = create();
      const controller = new AbortController();
      const aborted = queue.receive(controller.signal);
      const next = queue.receive(never());
      controller.abort(new Error('gone'));
      await expect(aborted).rejects.toThrow('gone');
      await queue.enqueue('a');
      expect((await next).payload).toBe('a');
    });

    it('hands out a backlog of 50,000 entries oldest first, with entries made ready again joining the end', async () => {
      const { queue } = create();
      for (let i = 0; i < 50_000; i++) await queue.enqueue(i);
      const seen: unknown[] = [];
      // 50,000 first deliveries and 5,000 second ones.
      for (let i = 0; i < 55_000; i++) {
        const item = await queue.receive(never());
        seen.push(item.payload);
        // Every tenth goes back (no delay): it is delivered again after everything enqueued before.
        if (i % 10 === 0 && item.deliveryCount === 1) await item.nack({ delayMs: 0 });
        else await item.ack();
      }
      expect(seen.slice(0, 3)).toEqual([0, 1, 2]);
      expect(seen.filter((payload) => payload === 10)).toHaveLength(2);
      expect(await queue.counts()).toEqual({ waiting: 0, inFlight: 0, dead: 0 });
      expect(seen.indexOf(10, 11)).toBeGreaterThan(seen.indexOf(49_999));
    });

    it('rejects with TypeError when receive is given no signal', async () => {
      const { queue } = create();
      await expect(queue.receive(undefined as unknown as AbortSignal)).rejects.toThrow(TypeError);
    });
  });

  describe('close', () => {
    it('rejects waiting receives, stops every timer and fails later calls', async () => {
      const { queue, time } = create({ visibilityTimeoutMs: 1_000 });
      await queue.enqueue('in flight');
      await queue.enqueue('delayed', { delayMs: 5_000 });
      const item = await queue.receive(never());
      const waiting = queue.receive(never());
      await queue.close();
      await expect(waiting).rejects.toThrow(WorkQueueClosedError);
      expect(time.pendingTimerCount).toBe(0);
      await expect(queue.receive(never())).rejects.toThrow(WorkQueueClosedError);
      await expect(queue.enqueue('late')).rejects.toThrow(WorkQueueClosedError);
      await expect(item.ack()).rejects.toThrow(WorkItemLostError);
      await queue.close();
    });
  });

  describe('timers', () => {
    it('leaves no timer once every entry is acked', async () => {
      const { queue, time } = create();
      await queue.enqueue(1, { delayMs: 100 });
      await time.advance(100);
      const item = await queue.receive(never());
      expect(time.pendingTimerCount).toBe(1);
      await item.ack();
      expect(time.pendingTimerCount).toBe(0);
    });

    it('redelivers exactly at the visibility timeout', async () => {
      const { queue, time } = create({ visibilityTimeoutMs: 1_000 });
      await queue.enqueue(1);
      await queue.receive(never());
      await time.advance(999);
      expect(await queue.counts()).toEqual({ waiting: 0, inFlight: 1, dead: 0 });
      await time.advance(1);
      expect(await queue.counts()).toEqual({ waiting: 1, inFlight: 0, dead: 0 });
    });
  });

  describe('arguments', () => {
    it('rejects bad delays with RangeError naming the value', async () => {
      const { queue } = create();
      await expect(queue.enqueue(1, { delayMs: -1 })).rejects.toThrow(
        new RangeError('Expected delayMs to be a finite number >= 0, got -1 (number)'),
      );
      await queue.enqueue(1);
      const item = await queue.receive(never());
      await expect(item.nack({ delayMs: Number.NaN })).rejects.toThrow(RangeError);
      await expect(item.extend(0)).rejects.toThrow(RangeError);
      await item.ack();
      expect(await queue.counts()).toEqual({ waiting: 0, inFlight: 0, dead: 0 });
    });

    it('throws for a bad name or options', () => {
      expect(() => new MemoryWorkQueue('')).toThrow(RangeError);
      expect(() => new MemoryWorkQueue(1 as unknown as string)).toThrow(TypeError);
      expect(() => new MemoryWorkQueue('q', { visibilityTimeoutMs: 0 })).toThrow(
        new RangeError('Expected visibilityTimeoutMs to be a finite number > 0, got 0 (number)'),
      );
      expect(() => new MemoryWorkQueue('q', { maxDeliveries: 1.5 })).toThrow(
        new RangeError('Expected maxDeliveries to be an integer >= 1, got 1.5 (number)'),
      );
      expect(() => new MemoryWorkQueue('q', { retryBackoff: { initialMs: 10, maxMs: 5 } })).toThrow(
        new RangeError('Expected retryBackoff.maxMs to be >= initialMs (10), got 5 (number)'),
      );
      expect(() => new MemoryWorkQueue('q', { timeProvider: {} as ManualTimeProvider })).toThrow(TypeError);
    });

    it('exposes its visibility timeout to consumers', () => {
      const queue: WorkQueue<unknown> = new MemoryWorkQueue('q', { visibilityTimeoutMs: 900 });
      expect(queue.visibilityTimeoutMs).toBe(900);
    });
  });
});

describe('checkWorkQueueOptions', () => {
  it('fills in the defaults', () => {
    expect(checkWorkQueueOptions(undefined)).toEqual({
      visibilityTimeoutMs: 30_000,
      maxDeliveries: 5,
      maxDeadLetters: 10_000,
      retryBackoff: { initialMs: 1_000, maxMs: 60_000 },
    });
    expect(() => checkWorkQueueOptions({ maxDeadLetters: 0 })).toThrow(
      new RangeError('Expected maxDeadLetters to be an integer >= 1, got 0 (number)'),
    );
    expect(checkWorkQueueOptions({ retryBackoff: { initialMs: 100_000 } }).retryBackoff).toEqual({ initialMs: 100_000, maxMs: 100_000 });
  });

  it('rejects options that are not an object, and options of the wrong type', () => {
    expect(() => checkWorkQueueOptions(5 as unknown as undefined)).toThrow(TypeError);
    expect(() => checkWorkQueueOptions({ visibilityTimeoutMs: '5' as unknown as number })).toThrow(
      new TypeError('Expected visibilityTimeoutMs to be a number, got "5" (string)'),
    );
  });

  it('doubles the backoff per delivery up to maxMs', () => {
    const options = checkWorkQueueOptions({ retryBackoff: { initialMs: 100, maxMs: 500 } });
    expect([1, 2, 3, 4, 5].map((count) => workQueueBackoff(options, count))).toEqual([100, 200, 400, 500, 500]);
  });
});
