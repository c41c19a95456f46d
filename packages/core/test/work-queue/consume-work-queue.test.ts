import { describe, expect, it } from 'vitest';
import { ManualTimeProvider } from '@hostkit/core/testing';
import { consumeWorkQueue, MemoryWorkQueue, WorkItemLostError } from '../../src/work-queue/index.ts';
import type { WorkItem, WorkQueue } from '../../src/work-queue/index.ts';
import { createLoggerFactory, MemoryLogSink } from '../../src/logging/index.ts';
import type { Logger } from '../../src/logging/index.ts';

function create(options?: ConstructorParameters<typeof MemoryWorkQueue>[1]): {
  queue: MemoryWorkQueue<unknown>;
  time: ManualTimeProvider;
  logger: Logger;
  sink: MemoryLogSink;
  controller: AbortController;
} {
  const time = new ManualTimeProvider();
  const sink = new MemoryLogSink();
  const logger = createLoggerFactory({ sinks: [sink], minimumLevel: 'trace' }).createLogger('consumer');
  return { queue: new MemoryWorkQueue('jobs', { ...options, timeProvider: time }), time, logger, sink, controller: new AbortController() };
}

/** `queue`, with every received item's `extend` reported to `onExtend` before it runs. */
function spyOnExtend<T>(queue: WorkQueue<T>, onExtend: (payload: T) => void): WorkQueue<T> {
  const bound = (target: object, property: string | symbol): unknown => {
    const value: unknown = Reflect.get(target, property, target);
    return typeof value === 'function' ? value.bind(target) : value;
  };
  return new Proxy(queue, {
    get(target, property) {
      if (property !== 'receive') return bound(target, property);
      return async (signal: AbortSignal): Promise<WorkItem<T>> => {
        const item = await target.receive(signal);
        return new Proxy(item, {
          get(inner, name) {
            if (name !== 'extend') return bound(inner, name);
            return (...args: Parameters<WorkItem<T>['extend']>) => {
              onExtend(inner.payload);
              return inner.extend(...args);
            };
          },
        });
      };
    },
  });
}

/** A promise and the function that resolves it. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open = (): void => undefined;
  const promise = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { promise, open };
}

describe('consumeWorkQueue', () => {
  it('hands each payload to the handler and acks it', async () => {
    const { queue, time, logger, controller } = create();
    const handled: unknown[] = [];
    const consuming = consumeWorkQueue(queue, async (payload) => {
      handled.push(payload);
    }, { signal: controller.signal, timeProvider: time, logger });
    for (const n of [1, 2, 3]) await queue.enqueue(n);
    await time.flush();
    expect(handled).toEqual([1, 2, 3]);
    expect(await queue.counts()).toEqual({ waiting: 0, inFlight: 0, dead: 0 });
    controller.abort();
    await consuming;
  });

  it('runs up to concurrency handlers at once', async () => {
    const { queue, time, controller } = create();
    const release = gate();
    let running = 0;
    let most = 0;
    const consuming = consumeWorkQueue(queue, async () => {
      running += 1;
      most = Math.max(most, running);
      await release.promise;
      running -= 1;
    }, { signal: controller.signal, concurrency: 3, timeProvider: time });
    for (let n = 0; n < 5; n++) await queue.enqueue(n);
    await time.flush();
    expect(running).toBe(3);
    expect(await queue.counts()).toEqual({ waiting: 2, inFlight: 3, dead: 0 });
    release.open();
    await time.flush();
    expect(most).toBe(3);
    expect(await queue.counts()).toEqual({ waiting: 0, inFlight: 0, dead: 0 });
    controller.abort();
    await consuming;
  });

  it('logs a failed handler at warn and nacks the item with the error, so it is retried then dead-lettered', async () => {
    const { queue, time, logger, sink, controller } = create({ maxDeliveries: 2, retryBackoff: { initialMs: 100 } });
    const deliveries: number[] = [];
    const consuming = consumeWorkQueue(queue, async (_payload, item) => {
      deliveries.push(item.deliveryCount);
      throw new Error('corrupt input');
    }, { signal: controller.signal, timeProvider: time, logger });
    await queue.enqueue('bad');
    await time.advance(100);
    expect(deliveries).toEqual([1, 2]);
    expect(sink.filter({ level: 'warn', messageIncludes: 'failed; nacking it' })).toHaveLength(2);
    expect((await queue.deadLetters())[0]?.reason).toBe('corrupt input');
    controller.abort();
    await consuming;
  });

  it('extends an item every third of the visibility timeout while its handler runs', async () => {
    const { queue, time, controller } = create({ visibilityTimeoutMs: 900 });
    const release = gate();
    const seen: number[] = [];
    const consuming = consumeWorkQueue(queue, async (_payload, item) => {
      seen.push(item.deliveryCount);
      await release.promise;
    }, { signal: controller.signal, concurrency: 2, timeProvider: time });
    await queue.enqueue('long job');
    await time.advance(3_000);
    expect(seen).toEqual([1]);
    expect(await queue.counts()).toEqual({ waiting: 0, inFlight: 1, dead: 0 });
    release.open();
    await time.flush();
    expect(await queue.counts()).toEqual({ waiting: 0, inFlight: 0, dead: 0 });
    // The loop's one extension timer may still be armed for the item's next due time: it fires
    // with nothing to extend, and then nothing is pending while the loop waits.
    await time.advance(300);
    expect(time.pendingTimerCount).toBe(0);
    controller.abort();
    await consuming;
  });

  it('extends each item from its own start, also when the item before it ended just before its extension was due', async () => {
    const { queue, time, controller } = create({ visibilityTimeoutMs: 900 });
    const extendedAt: Array<[unknown, number]> = [];
    const release = gate();
    const consuming = consumeWorkQueue(spyOnExtend(queue, (payload) => extendedAt.push([payload, time.timestamp()])), async (payload) => {
      if (payload === 'long') await release.promise;
    }, { signal: controller.signal, timeProvider: time });
    await queue.enqueue('short');
    await time.flush();
    await time.advance(200);
    await queue.enqueue('long');
    await time.flush();
    // Due at 200 + 300 and every 300 after: not at 300, when the short item's extension would have been due.
    await time.advance(1_000);
    expect(extendedAt).toEqual([['long', 500], ['long', 800], ['long', 1_100]]);
    expect(await queue.counts()).toEqual({ waiting: 0, inFlight: 1, dead: 0 });
    release.open();
    await time.flush();
    expect(await queue.counts()).toEqual({ waiting: 0, inFlight: 0, dead: 0 });
    controller.abort();
    await consuming;
    expect(time.pendingTimerCount).toBe(0);
  });

  it('aborts the handler\'s signal with WorkItemLostError when an extension finds the item lost', async () => {
    const { queue, time, logger, sink, controller } = create({ visibilityTimeoutMs: 500 });
    let reason: unknown;
    const consuming = consumeWorkQueue(queue, async (_payload, item, signal) => {
      if (item.deliveryCount > 1) return;
      await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
      reason = signal.reason;
      throw signal.reason;
    }, { signal: controller.signal, extendIntervalMs: 1_000, timeProvider: time, logger });
    const other = new AbortController();
    await queue.enqueue('job');
    await time.flush();
    // The visibility timeout passes before the first extension: another receive takes the item.
    const stolen = queue.receive(other.signal);
    await time.advance(500);
    const second: WorkItem<unknown> = await stolen;
    expect(second.deliveryCount).toBe(2);
    await second.ack();
    await time.advance(500);
    expect(reason).toBeInstanceOf(WorkItemLostError);
    expect(sink.filter({ level: 'warn', messageIncludes: 'was lost while being handled' })).toHaveLength(1);
    expect(await queue.counts()).toEqual({ waiting: 0, inFlight: 0, dead: 0 });
    controller.abort();
    await consuming;
  });

  it('stops receiving on abort, lets the running handler finish with the signal, and then resolves', async () => {
    const { queue, time, controller } = create();
    const release = gate();
    let handlerSignal: AbortSignal | undefined;
    let handled = 0;
    const consuming = consumeWorkQueue(queue, async (_payload, _item, signal) => {
      handlerSignal = signal;
      await release.promise;
      handled += 1;
    }, { signal: controller.signal, timeProvider: time });
    await queue.enqueue(1);
    await queue.enqueue(2);
    await time.flush();
    let done = false;
    void consuming.then(() => {
      done = true;
    });
    controller.abort();
    await time.flush();
    expect(handlerSignal?.aborted).toBe(true);
    expect(done).toBe(false);
    release.open();
    await consuming;
    expect(handled).toBe(1);
    expect(await queue.counts()).toEqual({ waiting: 1, inFlight: 0, dead: 0 });
  });

  it('releases, without a warning or a counted delivery, an item whose handler was cancelled by the stop', async () => {
    const { queue, time, logger, sink, controller } = create({ retryBackoff: { initialMs: 60_000 } });
    const consuming = consumeWorkQueue(queue, async (_payload, _item, signal) => {
      await new Promise<void>((_resolve, reject) => signal.addEventListener('abort', () => reject(signal.reason as Error), { once: true }));
    }, { signal: controller.signal, timeProvider: time, logger });
    await queue.enqueue('job');
    await time.flush();
    controller.abort();
    await consuming;
    expect(sink.filter({ minimumLevel: 'warn' })).toHaveLength(0);
    const next = await queue.receive(new AbortController().signal);
    expect(next.deliveryCount).toBe(1);
  });

  it('rejects with TypeError naming the value when the queue does not tell its visibility timeout', async () => {
    const { queue, controller } = create();
    const vague = { name: queue.name, receive: (signal: AbortSignal) => queue.receive(signal) } as unknown as WorkQueue<unknown>;
    await expect(consumeWorkQueue(vague, async () => undefined, { signal: controller.signal })).rejects.toThrow(
      new TypeError('Expected queue.visibilityTimeoutMs to be a finite number > 0, got undefined (undefined)'),
    );
  });

  it('logs a failed receive at warn and tries again after receiveRetryMs', async () => {
    const { queue, time, logger, sink, controller } = create();
    let failures = 1;
    const flaky: WorkQueue<unknown> = {
      name: queue.name,
      visibilityTimeoutMs: queue.visibilityTimeoutMs,
      enqueue: (payload, options, signal) => queue.enqueue(payload, options, signal),
      enqueueMany: (payloads, options, signal) => queue.enqueueMany(payloads, options, signal),
      receive: (signal) => (failures-- > 0 ? Promise.reject(new Error('connection refused')) : queue.receive(signal)),
      deadLetters: (query, signal) => queue.deadLetters(query, signal),
      requeueDeadLetters: (ids, signal) => queue.requeueDeadLetters(ids, signal),
      purgeDeadLetters: (signal) => queue.purgeDeadLetters(signal),
      counts: (signal) => queue.counts(signal),
      close: () => queue.close(),
    };
    const handled: unknown[] = [];
    const consuming = consumeWorkQueue(flaky, async (payload) => {
      handled.push(payload);
    }, { signal: controller.signal, receiveRetryMs: 500, timeProvider: time, logger });
    await queue.enqueue('job');
    await time.advance(400);
    expect(handled).toEqual([]);
    expect(sink.filter({ level: 'warn', messageIncludes: 'Could not receive' })).toHaveLength(1);
    await time.advance(100);
    expect(handled).toEqual(['job']);
    controller.abort();
    await consuming;
  });

  it('resolves when the queue handle is closed', async () => {
    const { queue, time, controller } = create();
    const consuming = consumeWorkQueue(queue, async () => undefined, { signal: controller.signal, concurrency: 2, timeProvider: time });
    await time.flush();
    await queue.close();
    await consuming;
    expect(controller.signal.aborted).toBe(false);
  });

  it('resolves at once without receiving when the signal has already aborted', async () => {
    const { queue, time, controller } = create();
    await queue.enqueue(1);
    controller.abort();
    await consumeWorkQueue(queue, async () => undefined, { signal: controller.signal, timeProvider: time });
    expect(await queue.counts()).toEqual({ waiting: 1, inFlight: 0, dead: 0 });
  });

  it('rejects bad arguments with TypeError or RangeError', async () => {
    const { queue } = create();
    const { signal } = new AbortController();
    await expect(consumeWorkQueue(queue, async () => undefined, { signal, concurrency: 0 })).rejects.toThrow(
      new RangeError('Expected concurrency to be an integer >= 1, got 0 (number)'),
    );
    await expect(consumeWorkQueue(queue, undefined as unknown as () => Promise<void>, { signal })).rejects.toThrow(TypeError);
    await expect(consumeWorkQueue(queue, async () => undefined, {} as { signal: AbortSignal })).rejects.toThrow(TypeError);
    await expect(consumeWorkQueue({} as WorkQueue<unknown>, async () => undefined, { signal })).rejects.toThrow(TypeError);
  });
});
