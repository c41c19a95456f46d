import { isCancellation } from '../cancellation/is-cancellation.ts';
import { describeValue } from '../internal/describe-value.ts';
import type { Logger } from '../logging/logger.ts';
import { nullLogger } from '../logging/null-logger.ts';
import { startProcessTelemetry, type ProcessTelemetry } from '../telemetry/work-queue-telemetry.ts';
import { systemTimeProvider } from '../time/system-time-provider.ts';
import type { Timer, TimeProvider } from '../time/time-provider.ts';
import type { WorkItem, WorkQueue } from './work-queue.ts';
import { WorkItemLostError } from './work-item-lost-error.ts';
import { WorkQueueClosedError } from './work-queue-closed-error.ts';

/** Handles one payload. Resolve when done (the item is then acked); throw to nack it. */
export type WorkItemHandler<T> = (payload: T, item: WorkItem<T>, signal: AbortSignal) => Promise<void>;

/** Options of {@link consumeWorkQueue}. */
export interface ConsumeWorkQueueOptions {
  /** Aborted to stop consuming: no new item is received, in-flight handlers see it and are awaited. */
  readonly signal: AbortSignal;
  /** How many items are handled at once (one receive loop each). @default 1 */
  readonly concurrency?: number | undefined;
  /**
   * How often an item being handled is extended, in ms.
   * @default a third of `queue.visibilityTimeoutMs`
   */
  readonly extendIntervalMs?: number | undefined;
  /** How long to wait before receiving again after `receive` failed (the store is down), in ms. @default 1000 */
  readonly receiveRetryMs?: number | undefined;
  /** The clock of extensions and retries. @default systemTimeProvider */
  readonly timeProvider?: TimeProvider | undefined;
  /** Where failed handlers, lost items and store errors are logged. @default nullLogger */
  readonly logger?: Logger | undefined;
}

/**
 * Consumes `queue` until `options.signal` aborts: `concurrency` loops, each receiving an item,
 * running `handler` on it while extending it every third of the visibility timeout, then acking
 * it. The usual body of a background service's `execute`:
 *
 * ```ts
 * protected override execute(stopping: AbortSignal): Promise<void> {
 *   return consumeWorkQueue(this.#queue, (job, _item, signal) => convert(job, signal), { signal: stopping, concurrency: 4, logger });
 * }
 * ```
 *
 * - A handler that throws is logged at warn and its item nacked with the error as the reason (so
 *   it is retried after the queue's backoff, and dead-lettered after `maxDeliveries`).
 * - The handler's signal aborts when `options.signal` does, and also when the item is lost (an
 *   extension failed with {@link WorkItemLostError}: another consumer may have it now).
 * - A handler that ends with the cancellation of a stop has its item released: another consumer
 *   takes it at once, and the interrupted delivery does not count toward `maxDeliveries` (rolling
 *   deploys must not dead-letter a healthy job).
 * - Store errors (receive, ack, nack, extend) are logged at warn, never thrown: a consumer
 *   outlives an outage of the store. `receive` is retried after `receiveRetryMs`.
 * - Resolves once every loop has stopped and every in-flight handler has settled; resolves at
 *   once when the signal has already aborted. Stops too when the queue handle is closed.
 * @throws TypeError or RangeError (as a rejection) for bad arguments.
 */
export async function consumeWorkQueue<T>(
  queue: WorkQueue<T>,
  handler: WorkItemHandler<T>,
  options: ConsumeWorkQueueOptions,
): Promise<void> {
  if (typeof queue !== 'object' || queue === null || typeof queue.receive !== 'function') {
    throw new TypeError(`Expected queue to be a WorkQueue, got ${describeValue(queue)}`);
  }
  if (typeof handler !== 'function') throw new TypeError(`Expected handler to be a function, got ${describeValue(handler)}`);
  if (typeof options !== 'object' || options === null || !(options.signal instanceof AbortSignal)) {
    throw new TypeError(`Expected options.signal to be an AbortSignal, got ${describeValue(options?.signal)}`);
  }
  const concurrency = options.concurrency ?? 1;
  if (typeof concurrency !== 'number' || !Number.isSafeInteger(concurrency) || concurrency < 1) {
    throw new RangeError(`Expected concurrency to be an integer >= 1, got ${describeValue(concurrency)}`);
  }
  const visibilityTimeoutMs = queue.visibilityTimeoutMs;
  if (typeof visibilityTimeoutMs !== 'number' || !(visibilityTimeoutMs > 0) || !Number.isFinite(visibilityTimeoutMs)) {
    throw new TypeError(`Expected queue.visibilityTimeoutMs to be a finite number > 0, got ${describeValue(visibilityTimeoutMs)}`);
  }
  const extendIntervalMs = options.extendIntervalMs ?? visibilityTimeoutMs / 3;
  checkPositive('extendIntervalMs', extendIntervalMs);
  const receiveRetryMs = options.receiveRetryMs ?? 1_000;
  checkPositive('receiveRetryMs', receiveRetryMs);
  const context: ConsumerContext<T> = {
    queue,
    handler,
    signal: options.signal,
    extendIntervalMs,
    receiveRetryMs,
    time: options.timeProvider ?? systemTimeProvider,
    logger: options.logger ?? nullLogger,
  };
  const loops: Promise<void>[] = [];
  for (let i = 0; i < concurrency; i++) loops.push(receiveLoop(context));
  await Promise.all(loops);
}

interface ConsumerContext<T> {
  readonly queue: WorkQueue<T>;
  readonly handler: WorkItemHandler<T>;
  readonly signal: AbortSignal;
  readonly extendIntervalMs: number;
  readonly receiveRetryMs: number;
  readonly time: TimeProvider;
  readonly logger: Logger;
}

async function receiveLoop<T>(context: ConsumerContext<T>): Promise<void> {
  const { queue, signal, logger } = context;
  // One schedule and one stop listener per loop, not per item: a short job pays for neither.
  using items = new ItemsInProgress(context);
  while (!signal.aborted) {
    let item: WorkItem<T>;
    try {
      item = await queue.receive(signal);
    } catch (error) {
      if (signal.aborted) return;
      if (error instanceof WorkQueueClosedError) return;
      logger.warn(`Could not receive from work queue "${queue.name}"; retrying in ${context.receiveRetryMs} ms`, { error, queue: queue.name });
      try {
        await context.time.delay(context.receiveRetryMs, signal);
      } catch {
        return;
      }
      continue;
    }
    await handleItem(context, items.begin(item));
  }
}

/** Runs the handler on one item, keeping it invisible meanwhile, then acks or nacks it. Never throws. */
async function handleItem<T>(context: ConsumerContext<T>, progress: InProgress<T>): Promise<void> {
  const { queue, logger, signal } = context;
  const { item, controller } = progress;
  const telemetry = startProcessTelemetry(queue, item, () => context.time.timestamp());
  try {
    try {
      await telemetry.run(() => context.handler(item.payload, item, controller.signal));
    } catch (error) {
      progress.end();
      telemetry.handled({ error });
      if (progress.lost !== undefined) {
        logger.warn(`Work item ${item.id} of queue "${queue.name}" was lost while being handled; another consumer may have it`, { queue: queue.name, item: item.id, deliveryCount: item.deliveryCount, error });
        return;
      }
      const stopped = signal.aborted && isCancellation(error, signal);
      if (!stopped) logger.warn(`Handling work item ${item.id} of queue "${queue.name}" failed; nacking it`, { queue: queue.name, item: item.id, deliveryCount: item.deliveryCount, error });
      if (stopped) await settle(context, item, telemetry, 'release', () => item.release());
      else await settle(context, item, telemetry, 'nack', () => item.nack({ reason: error }));
      return;
    }
    progress.end();
    telemetry.handled();
    await settle(context, item, telemetry, 'ack', () => item.ack());
  } finally {
    progress.end();
    telemetry.end();
  }
}

/** Acks or nacks, logging a failure (the item is then redelivered after its visibility timeout). */
async function settle<T>(
  context: ConsumerContext<T>,
  item: WorkItem<T>,
  telemetry: ProcessTelemetry,
  what: 'ack' | 'nack' | 'release',
  action: () => Promise<void>,
): Promise<void> {
  try {
    await telemetry.settle(what, action);
  } catch (error) {
    context.logger.warn(`Could not ${what} work item ${item.id} of queue "${context.queue.name}"; it will be delivered again`, {
      queue: context.queue.name,
      item: item.id,
      error,
    });
  }
}

/** The item a receive loop is handling: its handler's signal, and its extensions. */
class InProgress<T> {
  readonly item: WorkItem<T>;
  /** Aborts the handler's signal: at stop (with the stop's reason), or when the item is lost. */
  readonly controller = new AbortController();
  /** Set when an extension found the item lost. */
  lost: WorkItemLostError | undefined = undefined;
  /** When its next extension is due, on the TimeProvider's timestamp clock. */
  due: number;
  readonly #items: ItemsInProgress<T>;

  constructor(items: ItemsInProgress<T>, item: WorkItem<T>, due: number) {
    this.#items = items;
    this.item = item;
    this.due = due;
  }

  /** The handler is done: no more extensions. Idempotent. */
  end(): void {
    this.#items.end(this);
  }
}

/**
 * What one receive loop keeps for the item it is handling: a stop listener that aborts the
 * item's signal, and `extend()` every `extendIntervalMs` from when the item began. Both are per
 * loop, not per item: most items end long before their first extension, and a platform timer and
 * a stop listener per item would cost four timer and listener operations per item for nothing
 * (10 to 15 % of a short job's throughput at concurrency 1, on Node and on Deno). The timer is
 * armed when an item begins and none is pending; when it fires for an item that has already
 * ended, it re-arms for the current item's own due time (never earlier), or stays idle while the
 * loop waits for the next item.
 */
class ItemsInProgress<T> implements Disposable {
  readonly #context: ConsumerContext<T>;
  #timer: Timer | undefined = undefined;
  /** When the pending timer fires, or undefined when none is pending. */
  #armedFor: number | undefined = undefined;
  #current: InProgress<T> | undefined = undefined;
  readonly #onStop = (): void => {
    this.#current?.controller.abort(this.#context.signal.reason);
  };

  constructor(context: ConsumerContext<T>) {
    this.#context = context;
    context.signal.addEventListener('abort', this.#onStop, { once: true });
  }

  /** Starts handling `item`: its signal, and its extensions from now on. */
  begin(item: WorkItem<T>): InProgress<T> {
    const { time, extendIntervalMs, signal } = this.#context;
    const current = new InProgress(this, item, time.timestamp() + extendIntervalMs);
    if (signal.aborted) current.controller.abort(signal.reason);
    this.#current = current;
    if (this.#armedFor === undefined) this.#arm(current.due);
    return current;
  }

  end(progress: InProgress<T>): void {
    if (this.#current === progress) this.#current = undefined;
  }

  [Symbol.dispose](): void {
    this.#context.signal.removeEventListener('abort', this.#onStop);
    this.#current = undefined;
    this.#armedFor = undefined;
    this.#timer?.dispose();
    this.#timer = undefined;
  }

  #arm(at: number): void {
    const { time } = this.#context;
    this.#armedFor = at;
    const delay = Math.max(0, at - time.timestamp());
    if (this.#timer === undefined) this.#timer = time.createTimer(() => this.#fire(), delay);
    else this.#timer.change(delay);
  }

  #fire(): void {
    const firedFor = this.#armedFor;
    this.#armedFor = undefined;
    const current = this.#current;
    if (current === undefined || firedFor === undefined) return;
    if (current.due <= firedFor) {
      this.#extend(current);
      current.due += this.#context.extendIntervalMs;
    }
    this.#arm(current.due);
  }

  #extend(current: InProgress<T>): void {
    const { queue, logger } = this.#context;
    const { item } = current;
    // Every outcome is handled here: a lost item cancels the handler, anything else is logged and retried next time.
    void item.extend().catch((error: unknown) => {
      if (error instanceof WorkItemLostError) {
        if (current.lost !== undefined) return;
        current.lost = error;
        current.controller.abort(error);
      } else {
        logger.warn(`Could not extend work item ${item.id} of queue "${queue.name}"`, { queue: queue.name, item: item.id, deliveryCount: item.deliveryCount, error });
      }
    });
  }
}

function checkPositive(what: string, value: unknown): void {
  if (typeof value !== 'number' || !(value > 0) || !Number.isFinite(value)) {
    throw new RangeError(`Expected ${what} to be a finite number > 0, got ${describeValue(value)}`);
  }
}
