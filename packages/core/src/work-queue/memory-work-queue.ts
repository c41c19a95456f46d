import { RingBuffer } from '../internal/ring-buffer.ts';
import { describeValue } from '../internal/describe-value.ts';
import { traceWorkQueueSend } from '../telemetry/work-queue-telemetry.ts';
import { systemTimeProvider } from '../time/system-time-provider.ts';
import type { Timer, TimeProvider } from '../time/time-provider.ts';
import type { DeadLetter, DeadLetterQuery, WorkItem, WorkQueue, WorkQueueOptions } from './work-queue.ts';
import { WorkItemLostError } from './work-item-lost-error.ts';
import { WorkQueueClosedError } from './work-queue-closed-error.ts';
import {
  checkDeadLetterIds,
  checkDeadLetterQuery,
  checkDelayMs,
  checkWorkQueueOptions,
  describeNackReason,
  serializeWorkPayload,
  serializeWorkPayloads,
  workQueueBackoff,
  type ResolvedWorkQueueOptions,
} from './work-queue-options.ts';

/** Options for {@link MemoryWorkQueue}. */
export interface MemoryWorkQueueOptions extends WorkQueueOptions {
  /** The clock of delays, backoffs and visibility timeouts. Tests pass a `ManualTimeProvider`. @default systemTimeProvider */
  readonly timeProvider?: TimeProvider | undefined;
}

/** One entry, from enqueue to ack or dead letter. */
interface Entry {
  readonly id: string;
  readonly json: string;
  readonly enqueuedAt: number;
  readonly headers: Readonly<Record<string, string>>;
  deliveryCount: number;
  state: 'ready' | 'delayed' | 'inFlight';
  /** The delay's timer while `delayed`, the visibility timeout's while `inFlight`. */
  timer: Timer | undefined;
}

/** A receive waiting for an entry. */
interface Waiter {
  readonly resolve: (item: WorkItem<unknown>) => void;
  readonly reject: (reason: unknown) => void;
  readonly signal: AbortSignal;
  readonly onAbort: () => void;
}

/**
 * A {@link WorkQueue} in the process's memory: for tests, development and single-process apps.
 * Entries do not survive the process, and are shared only through this object (pass it to every
 * consumer); use `RedisWorkQueue` to share work between processes.
 *
 * It behaves as a networked queue would, so code tested on it runs on one: payloads go through
 * JSON, delayed entries, nack backoffs and visibility timeouts run on the injected
 * {@link TimeProvider}, an entry whose delivery timed out is delivered again (and the late
 * `ack` fails with {@link WorkItemLostError}), and entries delivered `maxDeliveries` times without
 * an ack go to the dead letters. Waiting receives are served first come, first served.
 */
export class MemoryWorkQueue<T> implements WorkQueue<T> {
  readonly name: string;
  readonly #options: ResolvedWorkQueueOptions;
  readonly #time: TimeProvider;
  readonly #entries = new Map<string, Entry>();
  /**
   * Ids of ready entries, oldest first: a deque, because `Array.prototype.shift` is O(n) once an
   * array outgrows V8's young space (about 16,000 ids: a backlog of 50,000 took seconds to drain).
   */
  readonly #ready = new RingBuffer<string>();
  readonly #waiters: Waiter[] = [];
  readonly #dead: DeadLetter<T>[] = [];
  #sequence = 0;
  #closed = false;

  /**
   * Creates the empty queue `name` in this process.
   * @throws TypeError when `name` is not a string or `timeProvider` not a TimeProvider.
   * @throws RangeError when `name` is empty or an option is out of range (see {@link checkWorkQueueOptions}).
   */
  constructor(name: string, options?: MemoryWorkQueueOptions) {
    if (typeof name !== 'string') throw new TypeError(`Expected name to be a non-empty string, got ${describeValue(name)}`);
    if (name.length === 0) throw new RangeError(`Expected name to be a non-empty string, got ${describeValue(name)}`);
    const time = options?.timeProvider ?? systemTimeProvider;
    if (typeof time !== 'object' || time === null || typeof time.createTimer !== 'function') {
      throw new TypeError(`Expected timeProvider to be a TimeProvider, got ${describeValue(time)}`);
    }
    this.name = name;
    this.#options = checkWorkQueueOptions(options);
    this.#time = time;
  }

  /** How long a delivered entry stays invisible, in ms: consumers extend every third of it. */
  get visibilityTimeoutMs(): number {
    return this.#options.visibilityTimeoutMs;
  }

  /** `hostkit.memory`: the `messaging.system` of this queue's telemetry. */
  get messagingSystem(): string {
    return 'hostkit.memory';
  }

  /** Deliveries after which a nack dead-letters an entry. */
  get maxDeliveries(): number {
    return this.#options.maxDeliveries;
  }

  async enqueue(payload: T, options?: { readonly delayMs?: number | undefined }, signal?: AbortSignal): Promise<string> {
    signal?.throwIfAborted();
    this.#throwIfClosed('enqueue');
    const json = serializeWorkPayload(payload);
    const delayMs = options?.delayMs === undefined ? 0 : checkDelayMs('delayMs', options.delayMs);
    const [id] = await traceWorkQueueSend(this, 1, async (headers) => [this.#add(json, delayMs, headers)]);
    return id as string;
  }

  async enqueueMany(payloads: readonly T[], options?: { readonly delayMs?: number | undefined }, signal?: AbortSignal): Promise<string[]> {
    signal?.throwIfAborted();
    this.#throwIfClosed('enqueue');
    const jsons = serializeWorkPayloads(payloads);
    const delayMs = options?.delayMs === undefined ? 0 : checkDelayMs('delayMs', options.delayMs);
    return traceWorkQueueSend(this, jsons.length, async (headers) => jsons.map((json) => this.#add(json, delayMs, headers)));
  }

  #add(json: string, delayMs: number, headers: Readonly<Record<string, string>>): string {
    this.#sequence += 1;
    const id = `${this.#sequence}`;
    const entry: Entry = { id, json, enqueuedAt: this.#time.now(), headers, deliveryCount: 0, state: 'ready', timer: undefined };
    this.#entries.set(id, entry);
    this.#makeReadyAfter(entry, delayMs);
    return id;
  }

  receive(signal: AbortSignal): Promise<WorkItem<T>> {
    if (!(signal instanceof AbortSignal)) {
      return Promise.reject(new TypeError(`Expected signal to be an AbortSignal, got ${describeValue(signal)}`));
    }
    if (signal.aborted) return Promise.reject(signal.reason);
    if (this.#closed) return Promise.reject(this.#closedError('receive'));
    const entry = this.#takeReady();
    if (entry !== undefined) return Promise.resolve(this.#deliver(entry));
    return new Promise<WorkItem<T>>((resolve, reject) => {
      const waiter: Waiter = {
        resolve: resolve as (item: WorkItem<unknown>) => void,
        reject,
        signal,
        onAbort: () => {
          this.#removeWaiter(waiter);
          reject(signal.reason);
        },
      };
      signal.addEventListener('abort', waiter.onAbort, { once: true });
      this.#waiters.push(waiter);
    });
  }

  async deadLetters(query?: number | DeadLetterQuery, signal?: AbortSignal): Promise<DeadLetter<T>[]> {
    signal?.throwIfAborted();
    const { limit, order } = checkDeadLetterQuery(query);
    const listed = order === 'oldest' ? this.#dead.slice(0, limit) : this.#dead.slice(Math.max(0, this.#dead.length - limit)).reverse();
    return listed.map((dead) => ({ ...dead, payload: structuredClone(dead.payload) }));
  }

  async requeueDeadLetters(ids?: readonly string[], signal?: AbortSignal): Promise<number> {
    signal?.throwIfAborted();
    const wanted = checkDeadLetterIds(ids);
    this.#throwIfClosed('requeue dead letters');
    const chosen = wanted === undefined ? undefined : new Set(wanted);
    const requeued = this.#dead.filter((dead) => chosen === undefined || chosen.has(dead.id));
    const kept = this.#dead.filter((dead) => chosen !== undefined && !chosen.has(dead.id));
    this.#dead.splice(0, this.#dead.length, ...kept);
    for (const dead of requeued) {
      const entry: Entry = {
        id: dead.id,
        json: JSON.stringify(dead.payload),
        enqueuedAt: dead.enqueuedAt,
        headers: {},
        deliveryCount: 0,
        state: 'ready',
        timer: undefined,
      };
      this.#entries.set(entry.id, entry);
      this.#makeReadyAfter(entry, 0);
    }
    return requeued.length;
  }

  async purgeDeadLetters(signal?: AbortSignal): Promise<number> {
    signal?.throwIfAborted();
    return this.#dead.splice(0).length;
  }

  async counts(signal?: AbortSignal): Promise<{ readonly waiting: number; readonly inFlight: number; readonly dead: number }> {
    signal?.throwIfAborted();
    let inFlight = 0;
    for (const entry of this.#entries.values()) if (entry.state === 'inFlight') inFlight += 1;
    return { waiting: this.#entries.size - inFlight, inFlight, dead: this.#dead.length };
  }

  /**
   * Stops every timer and rejects waiting receives with a {@link WorkQueueClosedError}; later calls
   * reject with it too, and the `ack` / `nack` / `extend` of items delivered before fail with
   * {@link WorkItemLostError}. The entries are dropped with the queue. Idempotent.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const entry of this.#entries.values()) entry.timer?.dispose();
    for (const waiter of this.#waiters.splice(0)) {
      waiter.signal.removeEventListener('abort', waiter.onAbort);
      waiter.reject(this.#closedError('receive'));
    }
  }

  /** Makes `entry` ready now (serving a waiting receive if any), or after `delayMs`. */
  #makeReadyAfter(entry: Entry, delayMs: number): void {
    entry.timer?.dispose();
    entry.timer = undefined;
    if (delayMs > 0) {
      entry.state = 'delayed';
      entry.timer = this.#time.createTimer(() => this.#makeReadyAfter(entry, 0), delayMs);
      return;
    }
    entry.state = 'ready';
    this.#ready.push(entry.id);
    this.#serveWaiters();
  }

  #serveWaiters(): void {
    while (this.#waiters.length > 0) {
      const entry = this.#takeReady();
      if (entry === undefined) return;
      const waiter = this.#waiters.shift() as Waiter;
      waiter.signal.removeEventListener('abort', waiter.onAbort);
      waiter.resolve(this.#deliver(entry));
    }
  }

  #takeReady(): Entry | undefined {
    for (;;) {
      if (this.#ready.length === 0) return undefined;
      const id = this.#ready.shift();
      const entry = this.#entries.get(id);
      // Ids of entries that left the ready state meanwhile are skipped.
      if (entry?.state === 'ready') return entry;
    }
  }

  /** Hands `entry` out: counts the delivery and starts its visibility timeout. */
  #deliver(entry: Entry): WorkItem<T> {
    entry.deliveryCount += 1;
    entry.state = 'inFlight';
    const delivery = entry.deliveryCount;
    entry.timer = this.#time.createTimer(() => this.#onVisibilityTimeout(entry), this.#options.visibilityTimeoutMs);
    const { id, enqueuedAt, headers } = entry;
    /** The entry, if this delivery still holds it. */
    const held = (what: string): Entry => {
      const current = this.#entries.get(id);
      if (this.#closed || current !== entry || entry.state !== 'inFlight' || entry.deliveryCount !== delivery) {
        throw new WorkItemLostError(
          `Cannot ${what} work item ${id} of queue "${this.name}": delivery ${delivery} is over ` +
            `(${this.#closed ? 'the queue handle was closed' : 'it was acked or nacked, or its visibility timeout passed'}).`,
        );
      }
      return entry;
    };
    return {
      id,
      payload: JSON.parse(entry.json) as T,
      deliveryCount: delivery,
      enqueuedAt,
      headers,
      ack: async (signal?: AbortSignal): Promise<void> => {
        signal?.throwIfAborted();
        const current = held('ack');
        current.timer?.dispose();
        this.#entries.delete(id);
      },
      nack: async (options?: { readonly delayMs?: number | undefined; readonly reason?: unknown }, signal?: AbortSignal): Promise<void> => {
        signal?.throwIfAborted();
        const delayMs = options?.delayMs === undefined ? undefined : checkDelayMs('delayMs', options.delayMs);
        const current = held('nack');
        if (current.deliveryCount >= this.#options.maxDeliveries) {
          this.#deadLetter(current, describeNackReason(options?.reason));
          return;
        }
        this.#makeReadyAfter(current, delayMs ?? workQueueBackoff(this.#options, current.deliveryCount));
      },
      release: async (signal?: AbortSignal): Promise<void> => {
        signal?.throwIfAborted();
        const current = held('release');
        current.deliveryCount -= 1;
        this.#makeReadyAfter(current, 0);
      },
      extend: async (ms?: number, signal?: AbortSignal): Promise<void> => {
        signal?.throwIfAborted();
        const duration = ms ?? this.#options.visibilityTimeoutMs;
        if (typeof duration !== 'number' || !(duration > 0) || !Number.isFinite(duration)) {
          throw new RangeError(`Expected ms to be a finite number > 0, got ${describeValue(duration)}`);
        }
        held('extend').timer?.change(duration);
      },
    };
  }

  #onVisibilityTimeout(entry: Entry): void {
    if (entry.state !== 'inFlight') return;
    if (entry.deliveryCount >= this.#options.maxDeliveries) {
      this.#deadLetter(
        entry,
        `Not acked within the visibility timeout (${this.#options.visibilityTimeoutMs} ms) on delivery ` +
          `${entry.deliveryCount} of ${this.#options.maxDeliveries}`,
      );
      return;
    }
    this.#makeReadyAfter(entry, 0);
  }

  #deadLetter(entry: Entry, reason: string): void {
    entry.timer?.dispose();
    this.#entries.delete(entry.id);
    this.#dead.push({
      id: entry.id,
      payload: JSON.parse(entry.json) as T,
      deliveryCount: entry.deliveryCount,
      enqueuedAt: entry.enqueuedAt,
      deadAt: this.#time.now(),
      reason,
    });
    // The oldest go first once the list is full.
    if (this.#dead.length > this.#options.maxDeadLetters) this.#dead.splice(0, this.#dead.length - this.#options.maxDeadLetters);
  }

  #removeWaiter(waiter: Waiter): void {
    const index = this.#waiters.indexOf(waiter);
    if (index >= 0) this.#waiters.splice(index, 1);
  }

  #throwIfClosed(what: string): void {
    if (this.#closed) throw this.#closedError(what);
  }

  #closedError(what: string): WorkQueueClosedError {
    return new WorkQueueClosedError(`Cannot ${what}: the work queue "${this.name}" was closed.`);
  }
}
