/**
 * A unit of work received from a {@link WorkQueue}: its payload and what to do once handled.
 *
 * Exactly one of {@link ack}, {@link nack}, {@link release} or nothing (the consumer died) ends a delivery:
 * - {@link ack}: done; the entry is gone for good.
 * - {@link nack}: failed; the entry is delivered again after a backoff, or goes to the dead-letter
 *   list once it has been delivered `maxDeliveries` times.
 * - {@link release}: not tried (the consumer is stopping); the entry is delivered again at once
 *   and this delivery does not count.
 * - neither within the visibility timeout (the process was killed, or hung): the entry is
 *   delivered again to some consumer, and this delivery's `ack` / `nack` then fail with a
 *   `WorkItemLostError`. {@link extend} keeps a long job's entry invisible.
 */
export interface WorkItem<T> {
  /** The entry's id in its queue, the same on every delivery of the entry. */
  readonly id: string;
  /** The payload as enqueued (after a JSON round trip). */
  readonly payload: T;
  /**
   * 1 on the first delivery, 2 on the first redelivery, and so on. Counts the deliveries that
   * reached a receiver and ended in a nack or an expired visibility timeout; entries only read
   * ahead by a queue (never handed to a receiver) and deliveries given back with
   * {@link release} do not count.
   */
  readonly deliveryCount: number;
  /** Epoch ms of the `enqueue`. */
  readonly enqueuedAt: number;
  /**
   * What the producer stored with the entry besides its payload: the trace context of its
   * `send {queue}` span (W3C `traceparent`, by the application's propagator) when an
   * OpenTelemetry SDK is installed. Empty or absent otherwise.
   */
  readonly headers?: Readonly<Record<string, string>> | undefined;
  /** Marks the work done: the entry is removed and never delivered again. */
  ack(signal?: AbortSignal): Promise<void>;
  /**
   * Marks this delivery failed: the entry is delivered again after `delayMs` (default: the queue's
   * backoff for this delivery count), or moved to the dead-letter list when it has reached
   * `maxDeliveries`. `reason` is kept with a dead letter.
   */
  nack(options?: { readonly delayMs?: number | undefined; readonly reason?: unknown }, signal?: AbortSignal): Promise<void>;
  /** Keeps the entry invisible to other consumers for another `visibilityTimeoutMs` (or `ms`) from now. */
  extend(ms?: number, signal?: AbortSignal): Promise<void>;
  /**
   * Gives the entry back untried: it is delivered again at once (to any consumer) and this
   * delivery is not counted toward `maxDeliveries`. Called when the work was interrupted by the
   * consumer itself (it is stopping for a deploy), not by the entry: `consumeWorkQueue` does so
   * when its signal aborts in the middle of a handler. A failing entry must be nacked instead, or
   * it would never reach the dead-letter list.
   * @throws WorkItemLostError when the delivery is over (acked, nacked, released or expired).
   */
  release(signal?: AbortSignal): Promise<void>;
}

/** An entry that was delivered `maxDeliveries` times without an ack, kept for a person to look at. */
export interface DeadLetter<T> {
  /** The entry's id, as `enqueue` returned it. */
  readonly id: string;
  /** The payload as it was enqueued. */
  readonly payload: T;
  /** How many times the entry was delivered. */
  readonly deliveryCount: number;
  /** Epoch ms when the entry was enqueued. */
  readonly enqueuedAt: number;
  /** Epoch ms when it was dead-lettered. */
  readonly deadAt: number;
  /** The last nack's reason, as text (an Error's message), or why it was dead-lettered. */
  readonly reason: string;
}

/** Which dead letters {@link WorkQueue.deadLetters} lists. */
export interface DeadLetterQuery {
  /** At most this many. @default 100 */
  readonly limit?: number | undefined;
  /** `newest` first (what an operator looks at after an incident) or `oldest` first. @default 'oldest' */
  readonly order?: 'oldest' | 'newest' | undefined;
}

/** Options every {@link WorkQueue} implementation takes. */
export interface WorkQueueOptions {
  /** How long a delivered entry stays invisible before it is delivered again, in ms. @default 30000 */
  readonly visibilityTimeoutMs?: number | undefined;
  /** Deliveries after which an entry that was not acked goes to the dead-letter list. @default 5 */
  readonly maxDeliveries?: number | undefined;
  /**
   * The most dead letters kept: past it, the oldest are dropped as new ones come (a poison batch
   * must not fill the store). @default 10000
   */
  readonly maxDeadLetters?: number | undefined;
  /** Backoff of a nack without `delayMs`: `initialMs * 2^(deliveryCount - 1)`, capped at `maxMs`. @default { initialMs: 1000, maxMs: 60000 } */
  readonly retryBackoff?: { readonly initialMs?: number | undefined; readonly maxMs?: number | undefined } | undefined;
}

/**
 * A durable queue of JSON payloads shared by many consumers (and, on a networked store, by many
 * processes): the port behind the samples' file pipeline in cluster mode. `MemoryWorkQueue` is the
 * in-process default; `RedisWorkQueue` (`@hostkit/adapters/redis`) keeps entries in a Redis
 * Stream with a consumer group, so work survives the death of any consumer.
 *
 * Delivery is AT LEAST ONCE: an entry whose consumer dies after doing the work but before its ack
 * is delivered again. Make handlers idempotent (the samples write each result under a name derived
 * from the entry, and skip an entry whose result already exists).
 *
 * Order: roughly first in, first out; redeliveries and retries come out of order.
 */
export interface WorkQueue<T> {
  /** The queue's name: entries are shared by every WorkQueue with this name on the same store. */
  readonly name: string;
  /**
   * How long a delivered entry stays invisible, in ms, as configured: `consumeWorkQueue` extends
   * items every third of it, so a queue that misstated it would see long jobs delivered twice.
   */
  readonly visibilityTimeoutMs: number;
  /** The store, for telemetry's `messaging.system` (`redis`, `hostkit.memory`). @default 'hostkit' */
  readonly messagingSystem?: string | undefined;
  /** The consumer group, for telemetry's `messaging.consumer.group.name`. @default the queue's name */
  readonly consumerGroup?: string | undefined;
  /** Deliveries after which a nack dead-letters an entry, as configured (telemetry counts those nacks as dead-lettered). */
  readonly maxDeliveries?: number | undefined;
  /**
   * Adds an entry. Implementations run it under `traceWorkQueueSend` (`@hostkit/core/adapter-kit`),
   * which records the `send {queue}` span and stores its context in the entry's headers. Resolves once the store has it (durable as far as the store is).
   * @param options.delayMs deliver no sooner than this many ms from now. @default 0
   * @returns the entry's id.
   * @throws TypeError when `payload` cannot be represented as JSON.
   */
  enqueue(payload: T, options?: { readonly delayMs?: number | undefined }, signal?: AbortSignal): Promise<string>;
  /**
   * Adds several entries in one call (one round trip on a networked store), in order (entries
   * with the same `delayMs` come due together, in no set order): the bulk form of
   * {@link enqueue} for producers that have a batch. All or none: every payload is
   * checked before any is added, and a store adds them atomically.
   * @returns the entries' ids, in the order of `payloads`.
   * @throws TypeError when `payloads` is not an array, or one payload cannot be represented as JSON
   *   (nothing is enqueued then).
   */
  enqueueMany(payloads: readonly T[], options?: { readonly delayMs?: number | undefined }, signal?: AbortSignal): Promise<string[]>;
  /**
   * Waits for the next entry and delivers it to the caller, who must ack, nack or extend it before
   * its visibility timeout. Rejects with `signal.reason` when `signal` aborts first; an entry that
   * was being handed over at that moment stays in the queue, uncounted, for the next receive (a
   * networked queue may instead resolve with it when the abort came too late).
   */
  receive(signal: AbortSignal): Promise<WorkItem<T>>;
  /**
   * The dead-letter list, with each letter's reason and delivery count: oldest first (or newest
   * first with `order: 'newest'`), at most `limit` (a number is the limit). @default { limit: 100, order: 'oldest' }
   * @throws RangeError when `limit` is not an integer >= 0.
   */
  deadLetters(query?: number | DeadLetterQuery, signal?: AbortSignal): Promise<DeadLetter<T>[]>;
  /**
   * Puts dead letters back in the queue, ready at once, with a fresh delivery count (they get
   * `maxDeliveries` new attempts): those whose `id` is in `ids`, or every one when `ids` is
   * undefined. Called by an operator once the cause is fixed.
   * @returns how many were requeued (ids not in the list are ignored).
   */
  requeueDeadLetters(ids?: readonly string[], signal?: AbortSignal): Promise<number>;
  /** Deletes every dead letter. @returns how many there were. */
  purgeDeadLetters(signal?: AbortSignal): Promise<number>;
  /** Counts, for status pages and tests: entries waiting (ready or delayed), and delivered but not yet acked. */
  counts(signal?: AbortSignal): Promise<{ readonly waiting: number; readonly inFlight: number; readonly dead: number }>;
  /** Releases what the queue holds locally (timers, prefetched entries are returned to the store's redelivery). */
  close(): Promise<void>;
}
