/**
 * The behaviour every WorkQueue implementation shares, as a suite any implementation's tests can
 * run: MemoryWorkQueue here, RedisWorkQueue in the adapters.
 *
 * The suite needs, per test, a way to open handles on one fresh, empty queue (each handle as if in
 * another process) and a way to move time forward. For MemoryWorkQueue that is a
 * ManualTimeProvider; a queue on a real server advances by sleeping. Durations are at most a few
 * seconds, in whole multiples of 100 ms, with at least 100 ms of slack on each side of a deadline
 * (a real server's redelivery may run on a poll).
 */
import { describe, expect, it } from 'vitest';
import { consumeWorkQueue, WorkItemLostError } from '../../src/work-queue/index.ts';
import type { WorkItem, WorkQueue, WorkQueueOptions } from '../../src/work-queue/index.ts';
import { systemTimeProvider } from '../../src/time/system-time-provider.ts';
import type { TimeProvider } from '../../src/time/time-provider.ts';
import { createLoggerFactory, MemoryLogSink } from '../../src/logging/index.ts';

/** One test's queue and its clock. */
export interface WorkQueueFixture {
  /**
   * Opens a handle on the test's queue. Every call returns another handle on the SAME queue, as
   * another process would open (an in-process implementation may return the same object). The
   * suite passes the same options to every call of a test.
   */
  readonly createQueue: (options?: WorkQueueOptions) => Promise<WorkQueue<unknown>>;
  /** Moves the queue's time forward by `ms`: a ManualTimeProvider's advance (which flushes), or a sleep. */
  readonly advance: (ms: number) => Promise<void>;
  /** Closes every handle and removes the queue, if the store keeps anything (connections, keys). */
  readonly dispose?: () => Promise<void>;
  /**
   * The clock `advance` moves, given to `consumeWorkQueue` and to handlers' delays: a
   * ManualTimeProvider for an in-process queue. @default systemTimeProvider
   */
  readonly timeProvider?: TimeProvider | undefined;
}

/** A receive that the test watches without waiting for it. */
interface PendingReceive {
  readonly settled: () => boolean;
  readonly item: Promise<WorkItem<unknown>>;
  readonly controller: AbortController;
}

function startReceive(queue: WorkQueue<unknown>): PendingReceive {
  const controller = new AbortController();
  let settled = false;
  const item = queue.receive(controller.signal).finally(() => {
    settled = true;
  });
  // Observed by the test through `item`; this only keeps an early rejection from being reported as unhandled.
  item.catch(() => undefined);
  return { settled: () => settled, item, controller };
}

/** Receives with a signal that never aborts. */
const receive = (queue: WorkQueue<unknown>): Promise<WorkItem<unknown>> => queue.receive(new AbortController().signal);

/**
 * Defines the WorkQueue contract tests for one implementation.
 * @param name Shown in the test names, e.g. `'MemoryWorkQueue'`.
 * @param setup Prepares a fresh queue and its clock; called once per test.
 */
export function describeWorkQueueContract(name: string, setup: () => Promise<WorkQueueFixture>): void {
  /** Runs `body` with a fresh fixture, disposing it afterwards whatever happens. */
  const withQueue = (body: (fixture: WorkQueueFixture) => Promise<void>) => async (): Promise<void> => {
    const fixture = await setup();
    try {
      await body(fixture);
    } finally {
      await fixture.dispose?.();
    }
  };

  describe(`${name} (WorkQueue contract): delivery`, () => {
    it('delivers an enqueued entry with its id, payload and a delivery count of 1', withQueue(async ({ createQueue }) => {
      const queue = await createQueue();
      const id = await queue.enqueue({ file: 'a.txt' });
      expect(typeof id).toBe('string');
      expect(id).not.toBe('');
      const item = await receive(queue);
      expect(item.id).toBe(id);
      expect(item.payload).toEqual({ file: 'a.txt' });
      expect(item.deliveryCount).toBe(1);
      expect(Number.isFinite(item.enqueuedAt)).toBe(true);
      await item.ack();
    }));

    it('delivers entries in the order they were enqueued when nothing is redelivered', withQueue(async ({ createQueue }) => {
      const queue = await createQueue();
      for (const n of [1, 2, 3, 4, 5]) await queue.enqueue(n);
      const seen: unknown[] = [];
      for (let i = 0; i < 5; i++) {
        const item = await receive(queue);
        seen.push(item.payload);
        await item.ack();
      }
      expect(seen).toEqual([1, 2, 3, 4, 5]);
    }));

    it('enqueues many entries in one call, in order, each with its own id', withQueue(async ({ createQueue }) => {
      const queue = await createQueue();
      const ids = await queue.enqueueMany([{ n: 1 }, { n: 2 }, { n: 3 }]);
      expect(new Set(ids).size).toBe(3);
      const seen: Array<[string, unknown]> = [];
      for (let i = 0; i < 3; i++) {
        const item = await receive(queue);
        seen.push([item.id, item.payload]);
        await item.ack();
      }
      expect(seen).toEqual([[ids[0], { n: 1 }], [ids[1], { n: 2 }], [ids[2], { n: 3 }]]);
      expect(await queue.enqueueMany([])).toEqual([]);
    }));

    it('enqueues none of many entries when one has no JSON form', withQueue(async ({ createQueue }) => {
      const queue = await createQueue();
      await expect(queue.enqueueMany([1, undefined, 3])).rejects.toThrow(
        new TypeError('Expected payload to have a JSON form, got undefined (undefined)'),
      );
      await expect(queue.enqueueMany('abc' as unknown as unknown[])).rejects.toThrow(TypeError);
      expect(await queue.counts()).toEqual({ waiting: 0, inFlight: 0, dead: 0 });
    }));

    it('delivers many entries enqueued with delayMs no sooner than the delay', withQueue(async ({ createQueue, advance }) => {
      const queue = await createQueue();
      await queue.enqueueMany(['x', 'y'], { delayMs: 500 });
      expect(await queue.counts()).toEqual({ waiting: 2, inFlight: 0, dead: 0 });
      const pending = startReceive(queue);
      await advance(300);
      expect(pending.settled()).toBe(false);
      await advance(500);
      expect(pending.settled()).toBe(true);
      const first = await pending.item;
      await first.ack();
      const second = await receive(queue);
      expect([first.payload, second.payload].sort((a, b) => String(a).localeCompare(String(b)))).toEqual(['x', 'y']);
      await second.ack();
    }));

    it('gives each entry its own id', withQueue(async ({ createQueue }) => {
      const queue = await createQueue();
      const ids = new Set([await queue.enqueue(1), await queue.enqueue(1), await queue.enqueue(1)]);
      expect(ids.size).toBe(3);
    }));

    it('round-trips payloads through JSON', withQueue(async ({ createQueue }) => {
      const queue = await createQueue();
      const payload = { name: 'Zoë', tags: ['a', 'b'], count: 3, nested: { ok: true, none: null }, when: new Date(0) };
      await queue.enqueue(payload);
      // A change after enqueue does not reach the entry.
      payload.tags.push('c');
      await queue.enqueue('text');
      await queue.enqueue(null);
      await queue.enqueue([1, [2]]);
      const payloads: unknown[] = [];
      for (let i = 0; i < 4; i++) {
        const item = await receive(queue);
        payloads.push(item.payload);
        await item.ack();
      }
      expect(payloads).toEqual([
        { name: 'Zoë', tags: ['a', 'b'], count: 3, nested: { ok: true, none: null }, when: '1970-01-01T00:00:00.000Z' },
        'text',
        null,
        [1, [2]],
      ]);
    }));

    it('rejects with TypeError naming the value and enqueues nothing when the payload has no JSON form', withQueue(async ({ createQueue }) => {
      const queue = await createQueue();
      await expect(queue.enqueue(undefined)).rejects.toThrow(
        new TypeError('Expected payload to have a JSON form, got undefined (undefined)'),
      );
      await expect(queue.enqueue(() => 1)).rejects.toThrow(TypeError);
      await expect(queue.enqueue(1n)).rejects.toThrow(TypeError);
      const circular: Record<string, unknown> = {};
      circular['self'] = circular;
      await expect(queue.enqueue(circular)).rejects.toThrow(TypeError);
      expect(await queue.counts()).toEqual({ waiting: 0, inFlight: 0, dead: 0 });
    }));

    it('removes an acked entry for good', withQueue(async ({ createQueue, advance }) => {
      const queue = await createQueue({ visibilityTimeoutMs: 300 });
      await queue.enqueue('once');
      const item = await receive(queue);
      await item.ack();
      expect(await queue.counts()).toEqual({ waiting: 0, inFlight: 0, dead: 0 });
      const next = startReceive(queue);
      await advance(500);
      expect(next.settled()).toBe(false);
      next.controller.abort();
    }));
  });

  describe(`${name} (WorkQueue contract): waiting and cancellation`, () => {
    it('waits for an entry and delivers it when another handle enqueues one', withQueue(async ({ createQueue, advance }) => {
      const consumer = await createQueue();
      const producer = await createQueue();
      const pending = startReceive(consumer);
      await advance(200);
      expect(pending.settled()).toBe(false);
      await producer.enqueue('late');
      await advance(200);
      expect(pending.settled()).toBe(true);
      const item = await pending.item;
      expect(item.payload).toBe('late');
      await item.ack();
    }));

    it('rejects a waiting receive with the reason and loses no entry enqueued afterwards', withQueue(async ({ createQueue, advance }) => {
      const queue = await createQueue();
      const pending = startReceive(queue);
      await advance(100);
      const reason = new Error('stop');
      pending.controller.abort(reason);
      await expect(pending.item).rejects.toBe(reason);
      await queue.enqueue('kept');
      const item = await receive(queue);
      expect(item.payload).toBe('kept');
      expect(item.deliveryCount).toBe(1);
      await item.ack();
    }));

    it('rejects at once and takes no entry when the signal is already aborted', withQueue(async ({ createQueue }) => {
      const queue = await createQueue();
      await queue.enqueue('kept');
      const controller = new AbortController();
      const reason = new Error('stop');
      controller.abort(reason);
      await expect(queue.receive(controller.signal)).rejects.toBe(reason);
      expect(await queue.counts()).toMatchObject({ waiting: 1, inFlight: 0 });
      const item = await receive(queue);
      expect(item.deliveryCount).toBe(1);
      await item.ack();
    }));

    it('rejects enqueue, counts and deadLetters with the reason when the signal is already aborted', withQueue(async ({ createQueue }) => {
      const queue = await createQueue();
      const controller = new AbortController();
      const reason = new Error('stop');
      controller.abort(reason);
      await expect(queue.enqueue('never', undefined, controller.signal)).rejects.toBe(reason);
      await expect(queue.counts(controller.signal)).rejects.toBe(reason);
      await expect(queue.deadLetters(10, controller.signal)).rejects.toBe(reason);
      expect(await queue.counts()).toEqual({ waiting: 0, inFlight: 0, dead: 0 });
    }));

    it('delivers an entry enqueued with delayMs no sooner than the delay', withQueue(async ({ createQueue, advance }) => {
      const queue = await createQueue();
      await queue.enqueue('later', { delayMs: 500 });
      expect(await queue.counts()).toEqual({ waiting: 1, inFlight: 0, dead: 0 });
      const pending = startReceive(queue);
      await advance(300);
      expect(pending.settled()).toBe(false);
      await advance(500);
      expect(pending.settled()).toBe(true);
      const item = await pending.item;
      expect(item.payload).toBe('later');
      await item.ack();
    }));

    it('delivers ready entries before a delayed one that was enqueued first', withQueue(async ({ createQueue }) => {
      const queue = await createQueue();
      await queue.enqueue('later', { delayMs: 5_000 });
      await queue.enqueue('now');
      const item = await receive(queue);
      expect(item.payload).toBe('now');
      await item.ack();
    }));
  });

  describe(`${name} (WorkQueue contract): redelivery`, () => {
    it('redelivers a nacked entry after delayMs with its delivery count raised', withQueue(async ({ createQueue, advance }) => {
      const queue = await createQueue({ visibilityTimeoutMs: 5_000 });
      const id = await queue.enqueue('retry me');
      const first = await receive(queue);
      await first.nack({ delayMs: 400 });
      expect(await queue.counts()).toEqual({ waiting: 1, inFlight: 0, dead: 0 });
      const pending = startReceive(queue);
      await advance(200);
      expect(pending.settled()).toBe(false);
      await advance(500);
      expect(pending.settled()).toBe(true);
      const second = await pending.item;
      expect(second.id).toBe(id);
      expect(second.payload).toBe('retry me');
      expect(second.deliveryCount).toBe(2);
      expect(second.enqueuedAt).toBe(first.enqueuedAt);
      await second.ack();
    }));

    it('waits the queue\'s backoff before redelivering an entry nacked without delayMs', withQueue(async ({ createQueue, advance }) => {
      const queue = await createQueue({ visibilityTimeoutMs: 5_000, retryBackoff: { initialMs: 400, maxMs: 500 } });
      await queue.enqueue('retry me');
      await (await receive(queue)).nack();
      let pending = startReceive(queue);
      await advance(200);
      expect(pending.settled()).toBe(false);
      await advance(400);
      expect(pending.settled()).toBe(true);
      const second = await pending.item;
      expect(second.deliveryCount).toBe(2);
      // 400 * 2 = 800, capped at 500.
      await second.nack();
      pending = startReceive(queue);
      await advance(300);
      expect(pending.settled()).toBe(false);
      await advance(400);
      expect(pending.settled()).toBe(true);
      expect((await pending.item).deliveryCount).toBe(3);
    }));

    it('redelivers an entry to another handle once its visibility timeout passes, and the first ack then fails', withQueue(async ({ createQueue, advance }) => {
      const a = await createQueue({ visibilityTimeoutMs: 400 });
      const b = await createQueue({ visibilityTimeoutMs: 400 });
      const id = await a.enqueue('job');
      const first = await receive(a);
      const pending = startReceive(b);
      await advance(200);
      expect(pending.settled()).toBe(false);
      await advance(400);
      expect(pending.settled()).toBe(true);
      const second = await pending.item;
      expect(second.id).toBe(id);
      expect(second.deliveryCount).toBe(2);
      await expect(first.ack()).rejects.toThrow(WorkItemLostError);
      await expect(first.nack()).rejects.toThrow(WorkItemLostError);
      await expect(first.extend()).rejects.toThrow(WorkItemLostError);
      await second.ack();
      expect(await a.counts()).toEqual({ waiting: 0, inFlight: 0, dead: 0 });
    }));

    it('keeps an entry invisible for another visibility timeout when extended', withQueue(async ({ createQueue, advance }) => {
      const a = await createQueue({ visibilityTimeoutMs: 400 });
      const b = await createQueue({ visibilityTimeoutMs: 400 });
      await a.enqueue('long job');
      const item = await receive(a);
      await advance(300);
      await item.extend();
      const pending = startReceive(b);
      await advance(300);
      expect(pending.settled()).toBe(false);
      expect(await a.counts()).toMatchObject({ inFlight: 1 });
      await item.extend(1_000);
      await advance(700);
      expect(pending.settled()).toBe(false);
      await item.ack();
      pending.controller.abort();
    }));

    it('counts delivered entries as in flight until acked', withQueue(async ({ createQueue }) => {
      const queue = await createQueue();
      await queue.enqueue(1);
      await queue.enqueue(2);
      const item = await receive(queue);
      expect(await queue.counts()).toEqual({ waiting: 1, inFlight: 1, dead: 0 });
      await item.ack();
      expect(await queue.counts()).toEqual({ waiting: 1, inFlight: 0, dead: 0 });
    }));

    it('fails a second ack of the same delivery with WorkItemLostError', withQueue(async ({ createQueue }) => {
      const queue = await createQueue();
      await queue.enqueue(1);
      const item = await receive(queue);
      await item.ack();
      await expect(item.nack()).rejects.toThrow(WorkItemLostError);
    }));
  });

  describe(`${name} (WorkQueue contract): dead letters`, () => {
    it('moves an entry to the dead letters with the last nack\'s reason once it reached maxDeliveries', withQueue(async ({ createQueue, advance }) => {
      const queue = await createQueue({ maxDeliveries: 2, visibilityTimeoutMs: 5_000 });
      const id = await queue.enqueue({ file: 'bad.txt' });
      await (await receive(queue)).nack({ delayMs: 0, reason: new Error('first') });
      const second = await receive(queue);
      expect(second.deliveryCount).toBe(2);
      await second.nack({ reason: new Error('corrupt input') });
      expect(await queue.counts()).toEqual({ waiting: 0, inFlight: 0, dead: 1 });
      const dead = await queue.deadLetters();
      expect(dead).toHaveLength(1);
      expect(dead[0]).toMatchObject({ id, payload: { file: 'bad.txt' }, deliveryCount: 2, reason: 'corrupt input' });
      expect(dead[0]?.enqueuedAt).toBe(second.enqueuedAt);
      expect(Number.isFinite(dead[0]?.deadAt)).toBe(true);
      const pending = startReceive(queue);
      await advance(500);
      expect(pending.settled()).toBe(false);
      pending.controller.abort();
    }));

    it('keeps a string reason as it is', withQueue(async ({ createQueue }) => {
      const queue = await createQueue({ maxDeliveries: 1 });
      await queue.enqueue(1);
      await (await receive(queue)).nack({ reason: 'no such file' });
      expect((await queue.deadLetters())[0]?.reason).toBe('no such file');
    }));

    it('dead-letters an entry whose last allowed delivery timed out, instead of delivering it again', withQueue(async ({ createQueue, advance }) => {
      const queue = await createQueue({ maxDeliveries: 1, visibilityTimeoutMs: 300 });
      await queue.enqueue('hangs');
      await receive(queue);
      const pending = startReceive(queue);
      await advance(800);
      expect(pending.settled()).toBe(false);
      const dead = await queue.deadLetters();
      expect(dead).toHaveLength(1);
      expect(dead[0]?.payload).toBe('hangs');
      expect(dead[0]?.deliveryCount).toBe(1);
      expect(dead[0]?.reason).not.toBe('');
      pending.controller.abort();
    }));

    it('lists dead letters newest first with their reasons and delivery counts when asked', withQueue(async ({ createQueue }) => {
      const queue = await createQueue({ maxDeliveries: 1 });
      for (const n of [1, 2, 3]) await queue.enqueue(n);
      for (let i = 0; i < 3; i++) await (await receive(queue)).nack({ reason: `r${i}` });
      const newest = await queue.deadLetters({ order: 'newest', limit: 2 });
      expect(newest.map((dead) => [dead.payload, dead.reason, dead.deliveryCount])).toEqual([[3, 'r2', 1], [2, 'r1', 1]]);
      expect((await queue.deadLetters({ order: 'oldest' })).map((dead) => dead.payload)).toEqual([1, 2, 3]);
      expect(await queue.deadLetters({ limit: 0 })).toEqual([]);
      await expect(queue.deadLetters({ limit: -1 })).rejects.toThrow(new RangeError('Expected limit to be an integer >= 0, got -1 (number)'));
    }));

    it('requeues one dead letter by id, ready at once with a fresh delivery count, and keeps the others', withQueue(async ({ createQueue }) => {
      const queue = await createQueue({ maxDeliveries: 1 });
      const ids = [await queue.enqueue('a'), await queue.enqueue('b')];
      for (let i = 0; i < 2; i++) await (await receive(queue)).nack({ reason: 'broken' });
      expect(await queue.requeueDeadLetters([ids[1] as string, 'no-such-id'])).toBe(1);
      expect(await queue.counts()).toEqual({ waiting: 1, inFlight: 0, dead: 1 });
      const item = await receive(queue);
      expect([item.id, item.payload, item.deliveryCount]).toEqual([ids[1], 'b', 1]);
      await item.ack();
      expect((await queue.deadLetters()).map((dead) => dead.id)).toEqual([ids[0]]);
    }));

    it('requeues every dead letter, oldest first, and purges them', withQueue(async ({ createQueue }) => {
      const queue = await createQueue({ maxDeliveries: 1 });
      for (const n of [1, 2, 3]) await queue.enqueue(n);
      for (let i = 0; i < 3; i++) await (await receive(queue)).nack();
      expect(await queue.requeueDeadLetters()).toBe(3);
      const again: unknown[] = [];
      for (let i = 0; i < 3; i++) {
        const item = await receive(queue);
        again.push(item.payload);
        // Dead again: requeued letters get maxDeliveries new attempts, no more.
        await item.nack({ reason: 'still broken' });
      }
      expect(again).toEqual([1, 2, 3]);
      expect(await queue.counts()).toEqual({ waiting: 0, inFlight: 0, dead: 3 });
      expect(await queue.purgeDeadLetters()).toBe(3);
      expect(await queue.deadLetters()).toEqual([]);
      expect(await queue.counts()).toEqual({ waiting: 0, inFlight: 0, dead: 0 });
    }));

    it('keeps at most maxDeadLetters, dropping the oldest', withQueue(async ({ createQueue }) => {
      const queue = await createQueue({ maxDeliveries: 1, maxDeadLetters: 2 });
      for (const n of [1, 2, 3]) await queue.enqueue(n);
      for (let i = 0; i < 3; i++) await (await receive(queue)).nack();
      expect((await queue.deadLetters()).map((dead) => dead.payload)).toEqual([2, 3]);
      expect(await queue.counts()).toEqual({ waiting: 0, inFlight: 0, dead: 2 });
    }));

    it('lists dead letters oldest first, at most limit', withQueue(async ({ createQueue }) => {
      const queue = await createQueue({ maxDeliveries: 1 });
      for (const n of [1, 2, 3]) await queue.enqueue(n);
      for (let i = 0; i < 3; i++) await (await receive(queue)).nack({ reason: `r${i}` });
      expect((await queue.deadLetters()).map((dead) => dead.payload)).toEqual([1, 2, 3]);
      expect((await queue.deadLetters(2)).map((dead) => dead.payload)).toEqual([1, 2]);
      expect(await queue.counts()).toEqual({ waiting: 0, inFlight: 0, dead: 3 });
    }));
  });

  describe(`${name} (WorkQueue contract): delivery accounting`, () => {
    it('tells its visibility timeout as configured', withQueue(async ({ createQueue }) => {
      const queue = await createQueue({ visibilityTimeoutMs: 1_200 });
      expect(queue.visibilityTimeoutMs).toBe(1_200);
    }));

    it('handles a job that runs past the visibility timeout once when consumeWorkQueue runs it on two handles', withQueue(async (fixture) => {
      const { createQueue, advance } = fixture;
      const time = fixture.timeProvider ?? systemTimeProvider;
      const options = { visibilityTimeoutMs: 400 };
      const handles = [await createQueue(options), await createQueue(options)];
      const sink = new MemoryLogSink();
      const logger = createLoggerFactory({ sinks: [sink], minimumLevel: 'trace' }).createLogger('consumer');
      const entries = new Map<unknown, number>();
      let finished = 0;
      const controller = new AbortController();
      const handler = async (payload: unknown, _item: WorkItem<unknown>, signal: AbortSignal): Promise<void> => {
        entries.set(payload, (entries.get(payload) ?? 0) + 1);
        // Two and a half visibility timeouts: only the consumer's extensions keep the entry.
        await time.delay(1_000, signal);
        finished += 1;
      };
      const consumers = handles.map((queue) => consumeWorkQueue(queue, handler, { signal: controller.signal, timeProvider: time, logger }));
      await handles[0]?.enqueue('a');
      await handles[1]?.enqueue('b');
      for (let waited = 0; finished < 2 && waited < 4_000; waited += 100) await advance(100);
      // Time for a redelivery that should not happen.
      await advance(600);
      controller.abort();
      await Promise.all(consumers);
      expect(Object.fromEntries(entries)).toEqual({ a: 1, b: 1 });
      expect(finished).toBe(2);
      expect(sink.filter({ level: 'warn' })).toEqual([]);
      expect(await handles[0]?.counts()).toEqual({ waiting: 0, inFlight: 0, dead: 0 });
    }));

    it('gives an entry back at once without counting the delivery when released', withQueue(async ({ createQueue }) => {
      const queue = await createQueue({ maxDeliveries: 1, visibilityTimeoutMs: 5_000 });
      const id = await queue.enqueue('interrupted');
      const first = await receive(queue);
      await first.release();
      await expect(first.ack()).rejects.toThrow(WorkItemLostError);
      const again = await receive(queue);
      expect([again.id, again.payload, again.deliveryCount]).toEqual([id, 'interrupted', 1]);
      await again.ack();
      expect(await queue.counts()).toEqual({ waiting: 0, inFlight: 0, dead: 0 });
    }));

    it('hands work interrupted by a stopping consumer back without counting a delivery', withQueue(async (fixture) => {
      const { createQueue, advance } = fixture;
      const time = fixture.timeProvider ?? systemTimeProvider;
      const queue = await createQueue({ maxDeliveries: 2, visibilityTimeoutMs: 5_000 });
      await queue.enqueue('job');
      const seen: number[] = [];
      // Three rolling deploys, each stopping the consumer in the middle of the job.
      for (let deploy = 0; deploy < 3; deploy++) {
        const controller = new AbortController();
        const consuming = consumeWorkQueue(queue, async (_payload, item, signal) => {
          seen.push(item.deliveryCount);
          await time.delay(60_000, signal);
        }, { signal: controller.signal, timeProvider: time });
        for (let waited = 0; seen.length <= deploy && waited < 3_000; waited += 100) await advance(100);
        controller.abort();
        await consuming;
      }
      expect(seen).toEqual([1, 1, 1]);
      expect(await queue.counts()).toEqual({ waiting: 1, inFlight: 0, dead: 0 });
      const item = await receive(queue);
      expect(item.deliveryCount).toBe(1);
      await item.ack();
    }));

    it('loses no entry when a receive is aborted as the entry is handed over', withQueue(async ({ createQueue, advance }) => {
      const queue = await createQueue({ visibilityTimeoutMs: 400 });
      await queue.enqueue('a');
      await queue.enqueue('b');
      await (await receive(queue)).ack();
      // A networked queue may hold 'b' read ahead by now; long enough that handing it over takes a round trip.
      await advance(300);
      const controller = new AbortController();
      const aborted = queue.receive(controller.signal);
      controller.abort(new Error('stop'));
      const outcome = await aborted.then(
        (item) => ({ item, error: undefined }),
        (error: unknown) => ({ item: undefined, error }),
      );
      // Either the abort came too late and the receive got 'b', or 'b' waits for the next receive.
      expect(outcome.item !== undefined || (outcome.error as Error).message === 'stop').toBe(true);
      // Well before the visibility timeout would hand it out again.
      const next = outcome.item === undefined ? startReceive(queue) : undefined;
      await advance(100);
      expect(next?.settled() ?? true).toBe(true);
      const b = outcome.item ?? (await next?.item);
      if (b === undefined) throw new Error('Expected an item');
      expect([b.payload, b.deliveryCount]).toEqual(['b', 1]);
      await b.ack();
      expect(await queue.counts()).toEqual({ waiting: 0, inFlight: 0, dead: 0 });
    }));
  });

  describe(`${name} (WorkQueue contract): many consumers`, () => {
    it('delivers each of 200 entries exactly once to 4 consumers on 2 handles', withQueue(async ({ createQueue, advance }) => {
      const options = { visibilityTimeoutMs: 5_000 };
      const handles = [await createQueue(options), await createQueue(options)];
      const total = 200;
      const seen = new Map<unknown, number>();
      const controller = new AbortController();
      const consumer = async (queue: WorkQueue<unknown>): Promise<void> => {
        for (;;) {
          let item: WorkItem<unknown>;
          try {
            item = await queue.receive(controller.signal);
          } catch (error) {
            if (controller.signal.aborted) return;
            throw error;
          }
          seen.set(item.payload, (seen.get(item.payload) ?? 0) + 1);
          await item.ack();
          if (seen.size === total) controller.abort();
        }
      };
      const consumers = [0, 1, 2, 3].map((i) => consumer(handles[i % 2] as WorkQueue<unknown>));
      for (let n = 0; n < total; n++) await (handles[n % 2] as WorkQueue<unknown>).enqueue(n);
      for (let waited = 0; seen.size < total && waited < 5_000; waited += 100) await advance(100);
      controller.abort();
      await Promise.all(consumers);
      expect(seen.size).toBe(total);
      expect([...seen.values()].every((count) => count === 1)).toBe(true);
      expect(await handles[0]?.counts()).toEqual({ waiting: 0, inFlight: 0, dead: 0 });
    }));
  });
}
