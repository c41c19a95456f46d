import { clearImmediate, setImmediate } from 'node:timers';
import {
  throwIfAborted,
  WorkItemLostError,
  WorkQueueClosedError,
  type DeadLetter,
  type DeadLetterQuery,
  type Logger,
  type WorkItem,
  type WorkQueue,
  type WorkQueueOptions,
} from '@hostkit/core';
import {
  checkDeadLetterIds,
  checkDeadLetterQuery,
  checkDelayMs,
  checkWorkQueueOptions,
  describeNackReason,
  describeValue,
  serializeWorkPayload,
  serializeWorkPayloads,
  traceWorkQueueSend,
  workQueueBackoff,
  type ResolvedWorkQueueOptions,
} from '@hostkit/core/adapter-kit';
import type { RedisConnection } from './redis-connection.ts';
import { checkKeyPrefix, checkName } from './redis-keys.ts';
import { RedisLogEvents } from './redis-log-events.ts';
import {
  ackManyScript,
  ackScript,
  countsScript,
  enqueueDelayedScript,
  enqueueManyScript,
  extendScript,
  handoverScript,
  maintainScript,
  nackScript,
  purgeDeadScript,
  releaseScript,
  requeueDeadScript,
  sweepScript,
} from './work-queue-scripts.ts';

/** Options of {@link RedisWorkQueue}: the port's {@link WorkQueueOptions} and where the queue lives. */
export interface RedisWorkQueueOptions extends WorkQueueOptions {
  /** The connection for every command but the blocking reads (which get a duplicate of it). Its owner connects and closes it. */
  readonly connection: RedisConnection;
  /** The queue's name: handles with the same name (and prefix) on the same server share entries. */
  readonly name: string;
  /**
   * Prepended to every key: the stream is `<prefix>{<name>}:stream`, the delayed set
   * `...:delayed`, the dead letters `...:dead`, extended deadlines `...:deadlines`.
   * @default 'hostkit:queue:'
   */
  readonly keyPrefix?: string | undefined;
  /** The stream's consumer group. Handles in different groups each get every entry. @default 'hostkit' */
  readonly group?: string | undefined;
  /**
   * Entries read from Redis at once into a local buffer that `receive` serves from: fewer round
   * trips, much higher throughput; also the most entries of crashed consumers claimed at once.
   * Buffered entries are reserved for this handle but not yet delivered: no delivery is counted
   * until a `receive` hands one over (with a fresh visibility timeout), entries left unserved for
   * a third of the visibility timeout are given back to the queue for other handles (so they
   * never expire unseen), and `close` gives back the rest.
   * @default 16
   */
  readonly prefetch?: number | undefined;
  /**
   * The longest a waiting `receive` goes without moving due delayed entries (of any handle) into
   * the stream. Entries enqueued or nacked with a delay through THIS handle are moved on time.
   * @default 500
   */
  readonly pollIntervalMs?: number | undefined;
  /**
   * How long a consumer of the group (a handle, usually in a process that is gone) may go without
   * reading before a handle removes it from the group, when nothing is pending for it: crashed
   * processes otherwise stay in the group forever. The same sweep trims the stream below the
   * oldest entry the group still needs. It runs at most every minute (or half this), on handles
   * that are reading. @default 3600000
   */
  readonly idleConsumerTimeoutMs?: number | undefined;
  /** Receives a `warn` when the background reader fails (Redis unreachable), once per outage. @default undefined */
  readonly logger?: Logger | undefined;
}

/** One entry reserved for this handle (read from the stream or claimed) and not yet handed out or finished. */
interface Delivery {
  readonly streamId: string;
  readonly id: string;
  readonly payload: string;
  readonly enqueuedAt: number;
  readonly priorDeliveries: number;
  /** The entry's delivery counter in the group when it was reserved: identifies this reservation. */
  readonly counter: number;
  /** Local ms (Date.now) when it was reserved. */
  readonly readAt: number;
  /** Deliveries of this stream entry that reached a receiver before this reservation (0 for a fresh read). */
  readonly handedBefore: number;
}

interface Waiter {
  readonly resolve: (delivery: Delivery) => void;
  readonly reject: (error: unknown) => void;
  /** The receive's signal: once aborted, the waiter takes no delivery (its caller is gone). */
  readonly signal: AbortSignal;
  readonly onAbort: () => void;
}

/**
 * A handover waiting for the next handover script, and how to mark its item lost. `queued` until
 * the script is sent; `dropped` when the item was acked first (the ack finishes the entry, so
 * there is nothing left to count).
 */
interface PendingHandover {
  readonly delivery: Delivery;
  readonly lose: () => void;
  state: 'queued' | 'sent' | 'dropped';
}

/** An ack waiting for the next batched ack script. */
interface PendingAck {
  readonly delivery: Delivery;
  readonly resolve: (result: number) => void;
  readonly reject: (error: unknown) => void;
}

/**
 * A {@link WorkQueue} on a Redis Stream with a consumer group (Redis >= 6.2).
 *
 * - `enqueue` is one `XADD` (fields: id, payload JSON, enqueuedAt, priorDeliveries); with
 *   `delayMs`, a sorted set scored by the due time on the server's clock.
 * - `receive` serves from a local buffer filled by one background reader per handle:
 *   `XREADGROUP ... COUNT prefetch BLOCK` on a dedicated connection (a blocking read holds its
 *   connection), with short blocks so that closing is prompt. Before reading it runs one script
 *   that moves due delayed entries into the stream and, every visibilityTimeout/4, claims up to
 *   `prefetch` entries whose reservation expired (a consumer that died or hung): delivery is AT
 *   LEAST ONCE. A receive takes an entry from the buffer synchronously (an abort cannot drop it);
 *   a script batched per tick and pipelined ahead of the acks then records the handover: it
 *   counts the delivery and restarts the visibility timeout.
 * - `ack` / `nack` / `extend` are one script each, atomic on the server; acks issued in the same
 *   tick go out as one pipeline. They check that the delivery is still this handle's (same
 *   consumer, same delivery counter), else reject with `WorkItemLostError`.
 * - Entries delivered `maxDeliveries` times go to a dead-letter list (JSON, with the reason) in
 *   the same script that removes them from the stream.
 *
 * Durability: entries survive a Redis restart only if Redis persists them: AOF (`appendonly yes`,
 * `appendfsync everysec` loses at most about a second of enqueues, `always` none). After a
 * restart the connections reconnect by themselves and readers resume (the consumer group is
 * re-created if it was lost); an entry in flight during the restart is redelivered after its
 * visibility timeout, and an ack that failed during the outage rejects with the connection error.
 *
 * Counts: `inFlight` includes entries other handles have prefetched but not yet handed out.
 */
export class RedisWorkQueue<T> implements WorkQueue<T> {
  readonly name: string;
  readonly #connection: RedisConnection;
  readonly #keys: readonly string[];
  readonly #group: string;
  readonly #consumer: string;
  readonly #options: ResolvedWorkQueueOptions;
  readonly #visibilityMs: number;
  readonly #maxDeliveries: number;
  readonly #prefetch: number;
  readonly #pollMs: number;
  readonly #claimIntervalMs: number;
  readonly #logger: Logger | undefined;
  /** Age (ms) after which an unserved buffered entry is given back to the queue. */
  readonly #bufferAgeMs: number;
  readonly #idleConsumerMs: number;
  readonly #sweepIntervalMs: number;
  #nextSweepAt = 0;

  #reader: RedisConnection | undefined;
  #readerClientId: number | undefined;
  #groupReady = false;
  readonly #buffer: Delivery[] = [];
  readonly #waiters: Waiter[] = [];
  /** A receive took the buffer down to half of `prefetch`: the reader tops it up without waiting for it to run dry. */
  #readAheadWanted = false;
  /** The last read got fewer entries than it asked for: the stream had no more, so reading ahead would find nothing. */
  #streamDrained = false;
  #loop: Promise<void> | undefined;
  #nextMaintainAt = 0;
  #nextClaimAt = 0;
  #readFailing = false;
  #closed = false;
  #closing: Promise<void> | undefined;
  #wakeSleep: (() => void) | undefined;
  #handoverBatch: PendingHandover[] = [];
  #handoverTimer: ReturnType<typeof setImmediate> | undefined;
  #ackBatch: PendingAck[] = [];
  /** Handover scripts under way: `close` waits for them before giving the buffer back. */
  readonly #handovers = new Set<Promise<unknown>>();
  #agingTimer: ReturnType<typeof setTimeout> | undefined;

  /** Creates the queue `options.name` over `options.connection`; the stream and its consumer group are created when first needed. */
  constructor(options: RedisWorkQueueOptions) {
    if (typeof options !== 'object' || options === null || options.connection === undefined) {
      throw new TypeError(`Expected options to be an object with a connection and a name, got ${describeValue(options)}`);
    }
    this.name = checkName('name', options.name);
    this.#connection = options.connection;
    const prefix = checkKeyPrefix(options.keyPrefix, 'hostkit:queue:');
    const base = `${prefix}{${this.name}}`;
    this.#keys = [`${base}:stream`, `${base}:delayed`, `${base}:dead`, `${base}:deadlines`, `${base}:handed`];
    this.#group = options.group === undefined ? 'hostkit' : checkName('group', options.group);
    this.#consumer = `consumer-${crypto.randomUUID()}`;
    this.#options = checkWorkQueueOptions(options);
    // XPENDING's IDLE and XCLAIM's IDLE take whole ms.
    this.#visibilityMs = Math.ceil(this.#options.visibilityTimeoutMs);
    this.#maxDeliveries = this.#options.maxDeliveries;
    this.#prefetch = positiveInteger('prefetch', options.prefetch, 16);
    this.#pollMs = positive('pollIntervalMs', options.pollIntervalMs, 500);
    this.#claimIntervalMs = Math.max(25, this.#visibilityMs / 4);
    this.#bufferAgeMs = Math.max(1, this.#visibilityMs / 3);
    this.#idleConsumerMs = Math.ceil(positive('idleConsumerTimeoutMs', options.idleConsumerTimeoutMs, 3_600_000));
    this.#sweepIntervalMs = Math.min(60_000, this.#idleConsumerMs / 2);
    this.#logger = options.logger;
  }

  /** How long a delivered entry stays invisible, in ms, as configured: consumers extend every third of it. */
  get visibilityTimeoutMs(): number {
    return this.#options.visibilityTimeoutMs;
  }

  /** `redis`: the `messaging.system` of this queue's telemetry. */
  get messagingSystem(): string {
    return 'redis';
  }

  /** The stream's consumer group (`messaging.consumer.group.name`). */
  get consumerGroup(): string {
    return this.#group;
  }

  /** Deliveries after which a nack dead-letters an entry. */
  get maxDeliveries(): number {
    return this.#maxDeliveries;
  }

  async enqueue(payload: T, options?: { readonly delayMs?: number | undefined }, signal?: AbortSignal): Promise<string> {
    throwIfAborted(signal);
    this.#throwIfClosed('enqueue');
    const json = serializeWorkPayload(payload);
    const delayMs = options?.delayMs === undefined ? 0 : checkDelayMs('delayMs', options.delayMs);
    const [sent] = await traceWorkQueueSend(this, 1, async (headers) => {
      const stored = encodeStoredPayload(json, headers);
      const id = crypto.randomUUID();
      const enqueuedAt = String(Date.now());
      const [stream] = this.#keys as [string];
      if (delayMs > 0) {
        const member = JSON.stringify([id, enqueuedAt, '0', stored]);
        await this.#connection.runScript(enqueueDelayedScript, this.#keys, [String(Math.ceil(delayMs)), member], signal);
        this.#maintainBy(Date.now() + delayMs);
      } else {
        const fields = ['id', id, 'payload', stored, 'enqueuedAt', enqueuedAt, 'priorDeliveries', '0'];
        await this.#connection.sendCommand(['XADD', stream, '*', ...fields], signal);
      }
      return [id];
    });
    return sent as string;
  }

  async enqueueMany(payloads: readonly T[], options?: { readonly delayMs?: number | undefined }, signal?: AbortSignal): Promise<string[]> {
    throwIfAborted(signal);
    this.#throwIfClosed('enqueue');
    const jsons = serializeWorkPayloads(payloads);
    const delayMs = options?.delayMs === undefined ? 0 : checkDelayMs('delayMs', options.delayMs);
    if (jsons.length === 0) return [];
    return traceWorkQueueSend(this, jsons.length, async (headers) => {
      const ids = jsons.map(() => crypto.randomUUID());
      const args = [String(Math.ceil(delayMs)), String(Date.now()), ...jsons.flatMap((json, i) => [ids[i] as string, encodeStoredPayload(json, headers)])];
      await this.#connection.runScript(enqueueManyScript, this.#keys, args, signal);
      if (delayMs > 0) this.#maintainBy(Date.now() + delayMs);
      return ids;
    });
  }

  receive(signal: AbortSignal): Promise<WorkItem<T>> {
    try {
      throwIfAborted(signal);
      this.#throwIfClosed('receive');
    } catch (error) {
      return Promise.reject(error);
    }
    return this.#receive(signal);
  }

  async deadLetters(query?: number | DeadLetterQuery, signal?: AbortSignal): Promise<DeadLetter<T>[]> {
    throwIfAborted(signal);
    const { limit, order } = checkDeadLetterQuery(query);
    if (limit === 0) return [];
    const key = this.#keys[2] as string;
    const range = order === 'oldest' ? ['0', String(limit - 1)] : [String(-limit), '-1'];
    const raw = await this.#connection.sendCommand<string[]>(['LRANGE', key, ...range], signal);
    if (order === 'newest') raw.reverse();
    return raw.map((text) => {
      const dead = JSON.parse(text) as { id: string; payload: string; deliveryCount: number; enqueuedAt: number; deadAt: number; reason: string };
      return { ...dead, payload: JSON.parse(decodeStoredPayload(dead.payload).json) as T };
    });
  }

  async requeueDeadLetters(ids?: readonly string[], signal?: AbortSignal): Promise<number> {
    throwIfAborted(signal);
    const wanted = checkDeadLetterIds(ids);
    this.#throwIfClosed('requeue dead letters');
    if (wanted !== undefined && wanted.length === 0) return 0;
    const args = wanted === undefined ? ['all'] : ['ids', ...wanted];
    return await this.#connection.runScript<number>(requeueDeadScript, this.#keys, args, signal);
  }

  async purgeDeadLetters(signal?: AbortSignal): Promise<number> {
    throwIfAborted(signal);
    return await this.#connection.runScript<number>(purgeDeadScript, this.#keys, [], signal);
  }

  async counts(signal?: AbortSignal): Promise<{ readonly waiting: number; readonly inFlight: number; readonly dead: number }> {
    throwIfAborted(signal);
    const [waiting, inFlight, dead] = await this.#connection.runScript<[number, number, number]>(
      countsScript,
      this.#keys,
      [this.#group],
      signal,
    );
    // Entries in this handle's buffer are pending on the server but not handed out yet.
    const buffered = this.#buffer.length;
    return { waiting: waiting + buffered, inFlight: Math.max(0, inFlight - buffered), dead };
  }

  /**
   * Stops reading, rejects waiting `receive`s with `WorkQueueClosedError`, gives prefetched
   * entries back to the queue (delivered next to any handle, their delivery count unchanged) and
   * closes the reading connection. Entries handed out and not yet acked stay pending: their
   * `ack` now rejects with `WorkItemLostError`, and they are redelivered to another handle after
   * their visibility timeout. Idempotent; does not close the shared connection.
   */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    this.#closed = true;
    const error = new WorkQueueClosedError(`The work queue "${this.name}" is closed`);
    for (const waiter of this.#waiters.splice(0)) {
      waiter.signal.removeEventListener('abort', waiter.onAbort);
      waiter.reject(error);
    }
    this.#wakeSleep?.();
    clearTimeout(this.#agingTimer);
    this.#agingTimer = undefined;
    // Ends a blocking read at once instead of after its block time.
    if (this.#readerClientId !== undefined && this.#connection.isReady) {
      await this.#connection.sendCommand(['CLIENT', 'UNBLOCK', String(this.#readerClientId)]).catch(() => undefined);
    }
    await this.#loop;
    // Recorded before anything is given back, so that what was handed over is not given back uncounted.
    this.#flushHandovers();
    await Promise.allSettled(this.#handovers);
    const unserved = this.#buffer.splice(0);
    if (this.#groupReady && this.#connection.isReady) {
      const args = [this.#group, this.#consumer, '1', ...unserved.flatMap((d) => [d.streamId, String(d.counter)])];
      // Not given back when Redis is unreachable: the entries are then redelivered after their visibility timeout.
      await this.#connection.runScript(releaseScript, this.#keys, args).catch(() => undefined);
    }
    await this.#reader?.close();
  }

  async #receive(signal: AbortSignal): Promise<WorkItem<T>> {
    const delivery = this.#buffer.shift() ?? (await this.#wait(signal));
    this.#readAheadIfLow();
    if (signal.aborted) {
      // Taken for a receive that is gone: not handed over, nothing counted.
      this.#returnToBuffer(delivery);
      throw signal.reason;
    }
    // Handed over now, synchronously: no await between here and the caller, so no abort can drop it.
    const handover: PendingHandover = { delivery, lose: () => undefined, state: 'queued' };
    const { item, lose } = this.#toItem(delivery, delivery.handedBefore + 1, handover);
    this.#recordHandover(Object.assign(handover, { lose }));
    return item;
  }

  /**
   * Records on the server that a delivery reached a receiver (counting the delivery, and starting
   * a full visibility timeout), without making the receive wait: the handovers of one turn of the
   * event loop go out as one script, sent at the next macrotask (setImmediate), or at once before
   * the item's nack, release or extend, so that those always see it recorded. An item acked
   * before then needs no record (the ack finishes the entry, counted or not), so a short handler
   * costs one script per job, not two. When the reservation turned out to be over (it expired
   * during a Redis stall and another handle claimed it), the item is marked lost, so its ack and
   * extend fail with WorkItemLostError.
   */
  #recordHandover(handover: PendingHandover): void {
    this.#handoverBatch.push(handover);
    this.#handoverTimer ??= setImmediate(() => {
      this.#handoverTimer = undefined;
      this.#flushHandovers();
    });
  }

  /** Sends the queued handovers (those not dropped by an ack) as one script. */
  #flushHandovers(): void {
    if (this.#handoverTimer !== undefined) {
      clearImmediate(this.#handoverTimer);
      this.#handoverTimer = undefined;
    }
    const batch = this.#handoverBatch.filter((pending) => pending.state === 'queued');
    this.#handoverBatch = [];
    if (batch.length === 0) return;
    for (const pending of batch) pending.state = 'sent';
    const args = [this.#group, this.#consumer, ...batch.flatMap(({ delivery }) => [delivery.streamId, String(delivery.counter)])];
    const recorded = this.#connection.runScript<number[]>(handoverScript, this.#keys, args).then(
      (results) => {
        batch.forEach((pending, i) => {
          if (Number(results[i] ?? 0) === 0) pending.lose();
        });
      },
      (error: unknown) => {
        if (isNoGroup(error)) {
          // The stream or its group is gone (Redis lost its data), and every reservation read
          // from it with it: read again, into a re-created group.
          this.#groupReady = false;
          this.#buffer.splice(0);
          for (const pending of batch) pending.lose();
          return;
        }
        // Redis unreachable: the item's ack will tell; the delivery is not counted.
        this.#logger?.debug(`Work queue "${this.name}" could not record ${batch.length} handovers`, { queue: this.name, error });
      },
    );
    this.#handovers.add(recorded);
    void recorded.finally(() => this.#handovers.delete(recorded));
  }

  /** Puts a reservation that no receive took back at the front of the buffer (or gives it to a waiting receive). */
  #returnToBuffer(delivery: Delivery): void {
    this.#buffer.unshift(delivery);
    this.#dispatch();
  }

  #wait(signal: AbortSignal): Promise<Delivery> {
    return new Promise<Delivery>((resolve, reject) => {
      const waiter: Waiter = {
        resolve,
        reject,
        signal,
        onAbort: () => {
          // Still waiting: no delivery was given to it, and none will be.
          const index = this.#waiters.indexOf(waiter);
          if (index >= 0) this.#waiters.splice(index, 1);
          reject(signal.reason);
        },
      };
      signal.addEventListener('abort', waiter.onAbort, { once: true });
      this.#waiters.push(waiter);
      this.#ensureLoop();
    });
  }

  /**
   * Gives back to the queue the buffered entries no receive took within a third of the
   * visibility timeout (every handler of this handle is busy): another handle can take them, and
   * they never expire unseen, which would cost a claim.
   */
  #scheduleAging(): void {
    if (this.#agingTimer !== undefined || this.#closed || this.#buffer.length === 0) return;
    const oldest = Math.min(...this.#buffer.map((d) => d.readAt));
    const wait = Math.max(1, oldest + this.#bufferAgeMs - Date.now());
    this.#agingTimer = setTimeout(() => {
      this.#agingTimer = undefined;
      if (this.#closed) return;
      const cutoff = Date.now() - this.#bufferAgeMs;
      const stale = this.#buffer.filter((d) => d.readAt <= cutoff);
      if (stale.length > 0) {
        const kept = this.#buffer.filter((d) => d.readAt > cutoff);
        this.#buffer.splice(0, this.#buffer.length, ...kept);
        const args = [this.#group, this.#consumer, '0', ...stale.flatMap((d) => [d.streamId, String(d.counter)])];
        // When Redis is unreachable they expire instead, and are claimed without counting a delivery.
        void this.#connection.runScript(releaseScript, this.#keys, args).catch((error: unknown) => {
          this.#logger?.debug(`Work queue "${this.name}" could not give back ${stale.length} unserved entries`, { queue: this.name, error });
        });
      }
      this.#scheduleAging();
    }, wait);
  }

  #toItem(delivery: Delivery, deliveries: number, handover: PendingHandover): { item: WorkItem<T>; lose: () => void } {
    let over = false;
    const deliveryCount = delivery.priorDeliveries + deliveries;
    const lost = (what: string): WorkItemLostError =>
      new WorkItemLostError(
        `Cannot ${what} entry ${delivery.id} of work queue "${this.name}": its delivery ${deliveryCount} is over ` +
          `(acked, nacked or released already, redelivered after its visibility timeout, or the handle was closed)`,
      );
    const run = async (what: string, script: typeof ackScript, args: string[], signal: AbortSignal | undefined): Promise<number> => {
      throwIfAborted(signal);
      if (over || this.#closed) throw lost(what);
      let result: number;
      try {
        if (script === ackScript && handover.state === 'queued') handover.state = 'dropped';
        // The handover is recorded before whatever else the handler does with the item.
        if (handover.state === 'queued') this.#flushHandovers();
        result = script === ackScript && signal === undefined
          ? await this.#queueAck(delivery)
          : await this.#runDeliveryScript(script, delivery, args, signal);
      } catch (error) {
        // The stream or its group is gone (Redis lost its data): so is this delivery.
        if (!isNoGroup(error)) throw error;
        over = true;
        throw Object.assign(lost(what), { cause: error });
      }
      if (result === 0) {
        over = true;
        throw lost(what);
      }
      return result;
    };
    const stored = decodeStoredPayload(delivery.payload);
    const item: WorkItem<T> = {
      id: delivery.id,
      payload: JSON.parse(stored.json) as T,
      headers: stored.headers,
      deliveryCount,
      enqueuedAt: delivery.enqueuedAt,
      ack: async (signal?: AbortSignal): Promise<void> => {
        await run('ack', ackScript, [], signal);
        over = true;
      },
      nack: async (options?: { readonly delayMs?: number | undefined; readonly reason?: unknown }, signal?: AbortSignal): Promise<void> => {
        const delayMs =
          options?.delayMs === undefined ? workQueueBackoff(this.#options, deliveryCount) : checkDelayMs('delayMs', options.delayMs);
        const reason = describeNackReason(options?.reason);
        await run('nack', nackScript, [String(Math.ceil(delayMs)), String(this.#maxDeliveries), reason, String(this.#options.maxDeadLetters)], signal);
        over = true;
        if (delayMs > 0) this.#maintainBy(Date.now() + delayMs);
      },
      release: async (signal?: AbortSignal): Promise<void> => {
        throwIfAborted(signal);
        if (over || this.#closed) throw lost('release');
        if (handover.state === 'queued') this.#flushHandovers();
        const args = [this.#group, this.#consumer, '0', delivery.streamId, String(delivery.counter)];
        const released = await this.#connection.runScript<number>(releaseScript, this.#keys, args, signal);
        over = true;
        if (released === 0) throw lost('release');
      },
      extend: async (ms?: number, signal?: AbortSignal): Promise<void> => {
        const extension = ms === undefined ? this.#visibilityMs : positive('ms', ms, 0);
        await run('extend', extendScript, [String(Math.ceil(extension)), String(this.#visibilityMs)], signal);
      },
    };
    return {
      item,
      lose: () => {
        over = true;
      },
    };
  }

  /**
   * Acks `delivery` in one script with the other acks of this tick (acks without a signal: one
   * that can abort is sent alone, so that its abort cannot touch the others).
   */
  #queueAck(delivery: Delivery): Promise<number> {
    return new Promise<number>((resolve, reject) => {
      this.#ackBatch.push({ delivery, resolve, reject });
      if (this.#ackBatch.length === 1) queueMicrotask(() => this.#flushAcks());
    });
  }

  #flushAcks(): void {
    const batch = this.#ackBatch;
    this.#ackBatch = [];
    const args = [this.#group, this.#consumer, ...batch.flatMap(({ delivery }) => [delivery.streamId, String(delivery.counter)])];
    void this.#connection.runScript<number[]>(ackManyScript, this.#keys, args).then(
      (results) => batch.forEach((pending, i) => pending.resolve(Number(results[i] ?? 0))),
      (error: unknown) => batch.forEach((pending) => pending.reject(error)),
    );
  }

  #runDeliveryScript(script: typeof ackScript, delivery: Delivery, args: string[], signal?: AbortSignal): Promise<number> {
    const head = [this.#group, this.#consumer, delivery.streamId, String(delivery.counter)];
    return this.#connection.runScript<number>(script, this.#keys, [...head, ...args], signal);
  }

  /** Makes the reader run its maintenance (moving due delayed entries) no later than `at` (local ms). */
  #maintainBy(at: number): void {
    this.#nextMaintainAt = Math.min(this.#nextMaintainAt, at);
  }

  #throwIfClosed(what: string): void {
    if (this.#closed) throw new WorkQueueClosedError(`Cannot ${what}: the work queue "${this.name}" is closed`);
  }

  /**
   * Starts a non-blocking read for the rest of `prefetch` once the buffer is down to half of it,
   * so that a steady consumer never stalls on a read round trip when the buffer runs dry. The
   * buffer still never holds more than `prefetch` entries.
   */
  #readAheadIfLow(): void {
    if (this.#closed || this.#streamDrained || this.#buffer.length > this.#prefetch / 2) return;
    this.#readAheadWanted = true;
    this.#ensureLoop();
  }

  #ensureLoop(): void {
    if (this.#loop !== undefined || this.#closed) return;
    this.#loop = this.#read().finally(() => {
      this.#loop = undefined;
      // A receive (or a read ahead) that arrived as the loop was ending.
      if (this.#waiters.length > 0 || this.#readAheadWanted) this.#ensureLoop();
    });
  }

  /** The background reader: runs while someone waits, fills the buffer, hands entries to waiters. */
  async #read(): Promise<void> {
    let failures = 0;
    while (!this.#closed && (this.#waiters.length > 0 || this.#readAheadWanted)) {
      try {
        await this.#ensureGroup();
        const now = Date.now();
        if (now >= this.#nextMaintainAt || now >= this.#nextClaimAt) {
          await this.#maintain(now >= this.#nextClaimAt);
        }
        if (this.#buffer.length === 0 && this.#waiters.length > 0) {
          const blockMs = Math.floor(Math.min(this.#nextMaintainAt, this.#nextClaimAt) - Date.now());
          if (blockMs >= 1) await this.#readStream(blockMs);
        } else if (this.#readAheadWanted) {
          // One read ahead per request: an empty stream ends it here instead of polling.
          this.#readAheadWanted = false;
          if (this.#buffer.length <= this.#prefetch / 2) await this.#readStream(0);
        }
        if (this.#readFailing) {
          this.#readFailing = false;
          this.#logger?.info(`Work queue "${this.name}" reads from Redis again`, { queue: this.name });
        }
        failures = 0;
      } catch (error) {
        if (this.#closed) break;
        if (isNoGroup(error)) this.#groupReady = false;
        if (!this.#readFailing) {
          this.#readFailing = true;
          this.#logger?.warn(`Work queue "${this.name}" cannot read from Redis; retrying`, {
            queue: this.name,
            error,
            event: RedisLogEvents.QueueReadFailed,
          });
        }
        failures++;
        await this.#sleep(Math.min(5_000, 100 * 2 ** Math.min(failures, 6)));
      }
      this.#dispatch();
    }
  }

  #dispatch(): void {
    while (this.#waiters.length > 0 && this.#buffer.length > 0) {
      const waiter = this.#waiters.shift() as Waiter;
      // Aborted, but its clean-up has not run yet: a delivery given to it would sit pending until
      // its visibility timeout.
      if (waiter.signal.aborted) continue;
      waiter.signal.removeEventListener('abort', waiter.onAbort);
      waiter.resolve(this.#buffer.shift() as Delivery);
    }
    this.#scheduleAging();
  }

  async #ensureGroup(): Promise<void> {
    if (this.#groupReady) return;
    try {
      // From 0, not $: entries enqueued before the first consumer started are delivered too.
      await this.#connection.sendCommand(['XGROUP', 'CREATE', this.#keys[0] as string, this.#group, '0', 'MKSTREAM']);
    } catch (error) {
      if (!(error instanceof Error && error.message.startsWith('BUSYGROUP'))) throw error;
    }
    this.#groupReady = true;
  }

  async #maintain(claim: boolean): Promise<void> {
    const now = Date.now();
    const [claimed, waitMs] = await this.#connection.runScript<[Array<[string, string, string, string, string, number, number]>, number]>(
      maintainScript,
      this.#keys,
      [
        this.#group, this.#consumer, claim ? '1' : '0', String(this.#visibilityMs), String(this.#maxDeliveries),
        // Claimed entries wait in the buffer like read ones: no more than it holds.
        String(Math.max(1, this.#prefetch - this.#buffer.length)), '1000', String(this.#options.maxDeadLetters),
      ],
    );
    if (claim && now >= this.#nextSweepAt) {
      this.#nextSweepAt = now + this.#sweepIntervalMs;
      await this.#connection.runScript(sweepScript, this.#keys, [this.#group, this.#consumer, String(this.#idleConsumerMs)]);
    }
    if (claim) this.#nextClaimAt = now + this.#claimIntervalMs;
    this.#nextMaintainAt = now + (waitMs >= 0 ? Math.min(waitMs, this.#pollMs) : this.#pollMs);
    const readAt = Date.now();
    for (const [streamId, id, payload, enqueuedAt, prior, counter, handed] of claimed) {
      this.#buffer.push({
        streamId, id, payload, enqueuedAt: Number(enqueuedAt), priorDeliveries: Number(prior),
        counter: Number(counter), readAt, handedBefore: Number(handed),
      });
    }
  }

  /** Reads new entries into the buffer, blocking up to `blockMs` when it is above 0 (0: a read ahead, which returns at once). */
  async #readStream(blockMs: number): Promise<void> {
    const reader = await this.#readerConnection();
    const [stream] = this.#keys as [string];
    // As many as receives wait, else up to `prefetch` in the buffer: a consumer with 100 handlers
    // idle takes 100 at once, and reserves no more than it can hand over soon.
    const count = Math.max(this.#prefetch - this.#buffer.length, this.#waiters.length, 1);
    const reply = await reader.sendCommand<unknown>([
      'XREADGROUP', 'GROUP', this.#group, this.#consumer, 'COUNT', String(count),
      ...(blockMs > 0 ? ['BLOCK', String(blockMs)] : []), 'STREAMS', stream, '>',
    ]);
    const readAt = Date.now();
    const entries = streamEntries(reply);
    this.#streamDrained = entries.length < count;
    for (const [streamId, fields] of entries) {
      const record = new Map<string, string>();
      for (let i = 0; i + 1 < fields.length; i += 2) record.set(fields[i] as string, fields[i + 1] as string);
      this.#buffer.push({
        streamId,
        id: record.get('id') ?? streamId,
        payload: record.get('payload') ?? 'null',
        enqueuedAt: Number(record.get('enqueuedAt')),
        priorDeliveries: Number(record.get('priorDeliveries') ?? 0),
        counter: 1,
        readAt,
        handedBefore: 0,
      });
    }
  }

  async #readerConnection(): Promise<RedisConnection> {
    if (this.#reader === undefined) {
      this.#reader = this.#connection.duplicate();
      const reader = this.#reader;
      reader.client.on('ready', () => {
        // The id changes with every reconnection; CLIENT UNBLOCK needs the current one.
        reader.sendCommand<number>(['CLIENT', 'ID']).then(
          (id) => {
            this.#readerClientId = id;
          },
          () => undefined,
        );
      });
    }
    await this.#reader.connect();
    if (this.#readerClientId === undefined) this.#readerClientId = await this.#reader.sendCommand<number>(['CLIENT', 'ID']);
    return this.#reader;
  }

  /** Waits `ms`, or less when the queue closes. */
  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.#wakeSleep = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.#wakeSleep = done;
    });
  }
}

/** Whether `error` is Redis's reply to a command on a stream or group that does not exist (any more). */
function isNoGroup(error: unknown): boolean {
  return error instanceof Error && error.message.includes('NOGROUP');
}

/** The entries of an XREADGROUP reply on one stream, RESP2 (array) or RESP3 (map) shaped. */
function streamEntries(reply: unknown): Array<[string, string[]]> {
  if (reply === null || reply === undefined) return [];
  let streams: unknown[];
  if (Array.isArray(reply)) streams = reply.map((pair) => (pair as unknown[])[1]);
  else if (reply instanceof Map) streams = [...reply.values()];
  else streams = Object.values(reply as Record<string, unknown>);
  return (streams[0] ?? []) as Array<[string, string[]]>;
}



function positive(name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number') throw new TypeError(`Expected ${name} to be a number > 0, got ${describeValue(value)}`);
  if (!(value > 0) || !Number.isFinite(value)) throw new RangeError(`Expected ${name} to be a finite number > 0, got ${describeValue(value)}`);
  return value;
}


function positiveInteger(name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number') throw new TypeError(`Expected ${name} to be an integer >= 1, got ${describeValue(value)}`);
  if (!Number.isSafeInteger(value) || value < 1) throw new RangeError(`Expected ${name} to be an integer >= 1, got ${describeValue(value)}`);
  return value;
}

/**
 * Marks a stored payload that carries headers (the producer's trace context): no JSON text starts
 * with this control character, so an entry without headers is stored as its bare JSON, as before.
 */
const headersMark = '\u0001';

/** The `payload` field of a stream entry: the JSON, preceded by the headers when there are any. */
function encodeStoredPayload(json: string, headers: Readonly<Record<string, string>>): string {
  return Object.keys(headers).length === 0 ? json : `${headersMark}${JSON.stringify(headers)}\n${json}`;
}

/** Splits a stored payload into its JSON and its headers (empty for an entry stored without). */
function decodeStoredPayload(stored: string): { readonly json: string; readonly headers: Readonly<Record<string, string>> } {
  if (!stored.startsWith(headersMark)) return { json: stored, headers: {} };
  const end = stored.indexOf('\n');
  return { json: stored.slice(end + 1), headers: JSON.parse(stored.slice(1, end)) as Record<string, string> };
}
