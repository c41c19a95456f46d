import { ChannelClosedError } from './channel-closed-error.ts';
import type { BoundedChannelFullMode } from './channel-options.ts';
import { ChannelReader } from './channel-reader.ts';
import { ChannelWriter } from './channel-writer.ts';
import type { Channel } from './channel.ts';
import { RingBuffer } from '../internal/ring-buffer.ts';
import { TRY_READ_EMPTY, type TryReadResult } from './try-read-result.ts';
import { Waiter, WaiterList } from './waiter-list.ts';
import { instruments, registerChannel, secondsBetween } from '../telemetry/instruments.ts';
import { TelemetryNames } from '../telemetry/telemetry-names.ts';
import { systemTimeProvider } from '../time/system-time-provider.ts';

/*
 * The one state machine behind every channel kind: bounded (capacity >= 1, any full mode),
 * rendezvous (capacity 0) and unbounded (capacity Infinity). One implementation keeps the three
 * kinds' behaviour identical where the reference says it is; the kind only changes the capacity
 * comparison and what "full" means.
 *
 * Invariants, true between any two calls (every method restores them before it returns or calls
 * out to user code):
 *   1. readers waiting            => buffer empty and no writer waiting
 *   2. writers waiting            => mode 'wait' and buffer full (always "full" at capacity 0)
 *   3. waitToRead callers waiting => nothing readable: buffer empty and no writer waiting
 *   4. waitToWrite callers waiting => mode 'wait', buffer full and no reader waiting
 *   5. complete                   => nothing waits: completion settles writers and waitToWrite
 *                                    callers, and readers and waitToRead callers, who by 1 and 3
 *                                    can only be waiting on an empty buffer
 *   6. completion settled        <=> complete and buffer empty
 * Hence a write first serves a waiting reader, then the buffer, then the full mode; and a read
 * first takes from the buffer (moving the longest-waiting writer's item into the freed slot),
 * then, on a rendezvous channel, straight from the longest-waiting writer.
 *
 * Hot paths (write with room, read with items) allocate no waiter and no closure; `write`,
 * `waitToRead` and `waitToWrite` return shared, already-settled promises (any number of callers
 * can await one), `read` one resolved promise, an iterator step one promise and its result.
 * A `waitToRead()` without a signal that has to wait shares one pending promise with every other
 * such call (they all get the same answer: `true` on the next item, `false` or the error at
 * completion), so the one-await-per-item drain loop allocates one promise per wait, no waiter.
 */

/** "No item": a private sentinel, since `undefined` is a legitimate item. */
const NONE: unique symbol = Symbol('NONE');
type None = typeof NONE;

const RESOLVED_VOID: Promise<void> = Promise.resolve();
const RESOLVED_TRUE: Promise<boolean> = Promise.resolve(true);
const RESOLVED_FALSE: Promise<boolean> = Promise.resolve(false);
const DONE: IteratorReturnResult<undefined> = Object.freeze({ done: true as const, value: undefined });
const RESOLVED_DONE: Promise<IteratorReturnResult<undefined>> = Promise.resolve(DONE);

function ignore(): void {}

/** A wait that is handed an item: a `read`, an iterator step or a stream pull. */
abstract class ItemWaiter<T> extends Waiter {
  /** Hands over `item`; the waiter has already been removed from the readers list. */
  abstract deliver(item: T): void;
  /** The channel completed with nothing left to read; the waiter has already been removed. */
  abstract close(core: ChannelCore<T>): void;
}

class ReadWaiter<T> extends ItemWaiter<T> {
  readonly promise: Promise<T>;
  #resolve!: (item: T) => void;
  #reject!: (reason: unknown) => void;

  constructor() {
    super();
    this.promise = new Promise<T>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
  }

  deliver(item: T): void {
    this.unlisten();
    this.#resolve(item);
  }

  close(core: ChannelCore<T>): void {
    this.unlisten();
    this.#reject(core.readClosedError());
  }

  protected abandon(reason: unknown): void {
    this.#reject(reason);
  }
}

class IteratorWaiter<T> extends ItemWaiter<T> {
  readonly promise: Promise<IteratorResult<T>>;
  /** The iterator that is waiting, so that its `return()` can withdraw this step. */
  readonly owner: ChannelIterator<T>;
  #resolve!: (result: IteratorResult<T>) => void;
  #reject!: (reason: unknown) => void;

  constructor(owner: ChannelIterator<T>) {
    super();
    this.owner = owner;
    this.promise = new Promise<IteratorResult<T>>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
  }

  deliver(item: T): void {
    this.unlisten();
    this.#resolve({ value: item, done: false });
  }

  close(core: ChannelCore<T>): void {
    this.unlisten();
    if (core.faulted) this.#reject(core.error);
    else this.#resolve(DONE);
  }

  /** Ends the step without an item: the iterator was returned while this step waited. */
  end(): void {
    this.unlisten();
    this.#resolve(DONE);
  }

  protected abandon(reason: unknown): void {
    this.#reject(reason);
  }
}

/**
 * A pending pull of a stream from {@link ChannelReaderImpl.toReadableStream}. The item is enqueued
 * into the stream synchronously, in the same step that takes it from the channel, so an item is
 * never in flight between the two where a cancel could lose it.
 */
class StreamWaiter<T> extends ItemWaiter<T> {
  readonly promise: Promise<void>;
  readonly #controller: ReadableStreamDefaultController<T>;
  #resolve!: () => void;

  constructor(controller: ReadableStreamDefaultController<T>) {
    super();
    this.#controller = controller;
    this.promise = new Promise<void>((resolve) => {
      this.#resolve = resolve;
    });
  }

  deliver(item: T): void {
    this.#controller.enqueue(item);
    this.#resolve();
  }

  close(core: ChannelCore<T>): void {
    closeStream(this.#controller, core);
    this.#resolve();
  }

  /** Settles the pull without an item: the stream was cancelled. */
  end(): void {
    this.#resolve();
  }

  protected abandon(): void {
    // A stream pull has no signal: the stream's cancel withdraws it (see `end`).
  }
}

class WriteWaiter<T> extends Waiter {
  readonly item: T;
  readonly promise: Promise<void>;
  /** When the write began to wait (`systemTimeProvider.timestamp()`), or -1 when the channel is not measured. */
  startedAt = -1;
  #resolve!: () => void;
  #reject!: (reason: unknown) => void;

  constructor(item: T) {
    super();
    this.item = item;
    this.promise = new Promise<void>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
  }

  /** The item is in the channel (or, on a rendezvous channel, in a reader's hands). */
  succeed(): void {
    this.unlisten();
    this.#resolve();
  }

  fail(error: unknown): void {
    this.unlisten();
    this.#reject(error);
  }

  protected abandon(reason: unknown): void {
    this.#reject(reason);
  }
}

/** A `waitToRead` or `waitToWrite` call. */
class BooleanWaiter extends Waiter {
  readonly promise: Promise<boolean>;
  #resolve!: (value: boolean) => void;
  #reject!: (reason: unknown) => void;

  constructor() {
    super();
    this.promise = new Promise<boolean>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
  }

  succeed(value: boolean): void {
    this.unlisten();
    this.#resolve(value);
  }

  fail(error: unknown): void {
    this.unlisten();
    this.#reject(error);
  }

  protected abandon(reason: unknown): void {
    this.#reject(reason);
  }
}

function closeStream<T>(controller: ReadableStreamDefaultController<T>, core: ChannelCore<T>): void {
  if (core.faulted) controller.error(core.error);
  else controller.close();
}

/** Settles every waiter in `list` with `value`, oldest first. */
function wakeAll(list: WaiterList<BooleanWaiter>, value: boolean): void {
  for (let waiter = list.shift(); waiter !== undefined; waiter = list.shift()) waiter.succeed(value);
}

/** Settles every waiter in `list` as the completed channel dictates: `false`, or the completion error. */
function settleAtCompletion<T>(list: WaiterList<BooleanWaiter>, core: ChannelCore<T>): void {
  for (let waiter = list.shift(); waiter !== undefined; waiter = list.shift()) {
    if (core.faulted) waiter.fail(core.error);
    else waiter.succeed(false);
  }
}

/**
 * The shared state and transitions of one channel. Not exported from the package: users see it
 * through {@link ChannelReaderImpl}, {@link ChannelWriterImpl} and {@link ChannelImpl}.
 * @internal
 */
export class ChannelCore<T> {
  /** Set once at the end of this file; see the hazard explained there. */
  static hiddenClassAnchors: readonly object[] = [];

  readonly #capacity: number;
  readonly #fullMode: BoundedChannelFullMode;
  readonly #itemDropped: ((item: T) => void) | undefined;
  readonly #buffer: RingBuffer<T>;
  readonly #readers = new WaiterList<ItemWaiter<T>>();
  readonly #writers = new WaiterList<WriteWaiter<T>>();
  readonly #waitingToRead = new WaiterList<BooleanWaiter>();
  readonly #waitingToWrite = new WaiterList<BooleanWaiter>();
  /**
   * The pending promise shared by every `waitToRead()` without a signal (they cannot be
   * cancelled one by one, so they need no waiter); counts as a waitToRead caller in invariant 3.
   */
  #sharedReadWait: PromiseWithResolvers<boolean> | undefined = undefined;
  readonly #completion: Promise<void>;
  #resolveCompletion!: () => void;
  #rejectCompletion!: (error: unknown) => void;
  #droppedCount = 0;
  #writtenCount = 0;
  #readCount = 0;
  /** The channel's name for telemetry; undefined: not measured. */
  readonly #name: string | undefined;
  #complete = false;
  #faulted = false;
  #error: unknown = undefined;
  #stoppedByReader = false;

  /**
   * @param capacity 0 (rendezvous), a positive integer, or Infinity (unbounded); validated by the
   *   factories.
   */
  constructor(capacity: number, fullMode: BoundedChannelFullMode, itemDropped: ((item: T) => void) | undefined, name?: string) {
    this.#name = name;
    this.#capacity = capacity;
    this.#fullMode = fullMode;
    this.#itemDropped = itemDropped;
    this.#buffer = new RingBuffer<T>(Math.min(capacity, 16));
    this.#completion = new Promise<void>((resolve, reject) => {
      this.#resolveCompletion = resolve;
      this.#rejectCompletion = reject;
    });
    // Fire-and-forget on purpose: it marks the promise as handled, so a channel completed with an
    // error that nobody awaits does not crash the process with an unhandled rejection. The derived
    // promise cannot reject. Awaiting `completion` itself still rejects.
    void this.#completion.catch(ignore);
    if (name !== undefined) registerChannel(this);
  }

  get droppedCount(): number {
    return this.#droppedCount;
  }

  /** Items accepted by writes (for the channel metrics). */
  get writtenCount(): number {
    return this.#writtenCount;
  }

  /** Items handed to readers (for the channel metrics). */
  get readCount(): number {
    return this.#readCount;
  }

  /** The name the channel metrics carry; '' for an unnamed (unmeasured) channel. */
  get channelName(): string {
    return this.#name ?? '';
  }

  /** Records how long a write that had to wait waited, once its item is in. */
  #waited(writer: WriteWaiter<T>): void {
    if (writer.startedAt < 0) return;
    instruments().channelWriteWait.record(secondsBetween(writer.startedAt, systemTimeProvider.timestamp()), {
      [TelemetryNames.ChannelName]: this.#name,
    });
  }

  get completion(): Promise<void> {
    return this.#completion;
  }

  get isComplete(): boolean {
    return this.#complete;
  }

  get faulted(): boolean {
    return this.#faulted;
  }

  get error(): unknown {
    return this.#error;
  }

  get count(): number {
    return this.#capacity === 0 ? this.#writers.size : this.#buffer.length;
  }

  // ---- reading -------------------------------------------------------------------------------

  /** Takes the next readable item, or returns {@link NONE}. */
  tryTake(): T | None {
    const buffer = this.#buffer;
    if (buffer.length > 0) {
      const item = buffer.shift();
      this.#readCount++;
      const writer = this.#writers.shift();
      if (writer !== undefined) {
        // The freed slot goes to the longest-waiting writer before anyone else can see it, so a
        // later tryWrite never overtakes a write that was already waiting.
        buffer.push(writer.item);
        this.#writtenCount++;
        writer.succeed();
        this.#waited(writer);
      } else if (this.#waitingToWrite.size > 0) {
        wakeAll(this.#waitingToWrite, true);
      }
      if (this.#complete && buffer.length === 0) this.#settleCompletion();
      return item;
    }
    // Only a rendezvous channel has writers waiting with an empty buffer (invariant 2).
    const writer = this.#writers.shift();
    if (writer !== undefined) {
      this.#readCount++;
      this.#writtenCount++;
      writer.succeed();
      this.#waited(writer);
      return writer.item;
    }
    return NONE;
  }

  tryRead(): TryReadResult<T> {
    const item = this.tryTake();
    return item === NONE ? TRY_READ_EMPTY : { ok: true, value: item };
  }

  tryPeek(): TryReadResult<T> {
    if (this.#buffer.length > 0) return { ok: true, value: this.#buffer.peek() };
    const writer = this.#writers.head;
    return writer === undefined ? TRY_READ_EMPTY : { ok: true, value: writer.item };
  }

  read(signal: AbortSignal | undefined): Promise<T> {
    if (signal !== undefined && signal.aborted) return Promise.reject(signal.reason);
    const item = this.tryTake();
    if (item !== NONE) return Promise.resolve(item);
    if (this.#complete) return Promise.reject(this.readClosedError());
    const waiter = new ReadWaiter<T>();
    this.addReader(waiter, signal);
    return waiter.promise;
  }

  waitToRead(signal: AbortSignal | undefined): Promise<boolean> {
    if (signal !== undefined && signal.aborted) return Promise.reject(signal.reason);
    if (this.#buffer.length > 0 || this.#writers.size > 0) return RESOLVED_TRUE;
    if (this.#complete) return this.#faulted ? Promise.reject(this.#error) : RESOLVED_FALSE;
    if (signal === undefined) {
      let shared = this.#sharedReadWait;
      if (shared === undefined) {
        shared = Promise.withResolvers<boolean>();
        this.#sharedReadWait = shared;
      }
      return shared.promise;
    }
    const waiter = new BooleanWaiter();
    this.#waitingToRead.push(waiter);
    waiter.listen(signal);
    return waiter.promise;
  }

  /** Queues a reader that found nothing to take on a channel that is not complete. */
  addReader(waiter: ItemWaiter<T>, signal: AbortSignal | undefined): void {
    this.#readers.push(waiter);
    waiter.listen(signal);
    // On a rendezvous channel a waiting reader is the only "room" there is.
    if (this.#waitingToWrite.size > 0) wakeAll(this.#waitingToWrite, true);
  }

  /** Withdraws a queued reader without settling it; `false` if it was no longer queued. */
  removeReader(waiter: ItemWaiter<T>): boolean {
    return this.#readers.remove(waiter);
  }

  /** Ends every step `iterator` is waiting on, as its `return()` asks. Rare, so a linear walk. */
  endIteratorSteps(iterator: ChannelIterator<T>): void {
    let waiter = this.#readers.head;
    while (waiter !== undefined) {
      const next = waiter.next as ItemWaiter<T> | undefined;
      if (waiter instanceof IteratorWaiter && waiter.owner === iterator) {
        this.#readers.remove(waiter);
        waiter.end();
      }
      waiter = next;
    }
  }

  readClosedError(): ChannelClosedError {
    return new ChannelClosedError(
      this.#stoppedByReader
        ? "The channel's reader stopped and no items are left to read."
        : 'The channel is complete and no items are left to read.',
      this.#causeOption(),
    );
  }

  // ---- writing -------------------------------------------------------------------------------

  /** Writes `item` if that needs no wait; the caller has checked the channel is not complete. */
  #offer(item: T): boolean {
    const reader = this.#readers.shift();
    if (reader !== undefined) {
      this.#writtenCount++;
      this.#readCount++;
      reader.deliver(item);
      return true;
    }
    const buffer = this.#buffer;
    if (buffer.length < this.#capacity) {
      this.#writtenCount++;
      buffer.push(item);
      this.#wakeWaitingToRead();
      return true;
    }
    switch (this.#fullMode) {
      case 'wait':
        return false;
      case 'dropNewest': {
        this.#writtenCount++;
        const dropped = buffer.pop();
        buffer.push(item);
        return this.#dropped(dropped);
      }
      case 'dropOldest': {
        this.#writtenCount++;
        const dropped = buffer.shift();
        buffer.push(item);
        return this.#dropped(dropped);
      }
      case 'dropWrite':
        return this.#dropped(item);
    }
  }

  /** Counts and reports a dropped item once the state is consistent again, as user code may re-enter. */
  #dropped(item: T): true {
    this.#droppedCount++;
    this.#itemDropped?.(item);
    return true;
  }

  tryWrite(item: T): boolean {
    return !this.#complete && this.#offer(item);
  }

  write(item: T, signal: AbortSignal | undefined): Promise<void> {
    if (signal !== undefined && signal.aborted) return Promise.reject(signal.reason);
    if (this.#complete) return Promise.reject(this.#writeClosedError());
    try {
      if (this.#offer(item)) return RESOLVED_VOID;
    } catch (error) {
      // Only `itemDropped` can throw here, after the write happened; its error is the caller's.
      return Promise.reject(error);
    }
    const waiter = new WriteWaiter(item);
    // Timed only for a named channel, and only when an SDK listens: without one this costs a check.
    if (this.#name !== undefined && instruments().enabled) waiter.startedAt = systemTimeProvider.timestamp();
    this.#writers.push(waiter);
    waiter.listen(signal);
    // On a rendezvous channel a waiting writer is what makes an item readable.
    this.#wakeWaitingToRead();
    return waiter.promise;
  }

  waitToWrite(signal: AbortSignal | undefined): Promise<boolean> {
    if (signal !== undefined && signal.aborted) return Promise.reject(signal.reason);
    if (this.#complete) return this.#faulted ? Promise.reject(this.#error) : RESOLVED_FALSE;
    if (this.#fullMode !== 'wait' || this.#buffer.length < this.#capacity || this.#readers.size > 0) {
      return RESOLVED_TRUE;
    }
    const waiter = new BooleanWaiter();
    this.#waitingToWrite.push(waiter);
    waiter.listen(signal);
    return waiter.promise;
  }

  #writeClosedError(): ChannelClosedError {
    return new ChannelClosedError(
      this.#stoppedByReader
        ? "The channel's reader stopped; the item was not written."
        : 'The channel is complete; the item was not written.',
      this.#causeOption(),
    );
  }

  // ---- completion ----------------------------------------------------------------------------

  complete(error: unknown): void {
    if (!this.tryComplete(error, false)) {
      throw new ChannelClosedError(
        this.#stoppedByReader ? "The channel's reader already stopped it." : 'The channel is already complete.',
        this.#causeOption(),
      );
    }
  }

  tryComplete(error: unknown, byReader: boolean): boolean {
    if (this.#complete) return false;
    this.#complete = true;
    this.#faulted = error !== undefined;
    this.#error = error;
    this.#stoppedByReader = byReader;
    // Waiting writers' items were never in the channel: they are not written.
    for (let writer = this.#writers.shift(); writer !== undefined; writer = this.#writers.shift()) {
      writer.fail(this.#writeClosedError());
    }
    settleAtCompletion(this.#waitingToWrite, this);
    // Buffered items stay readable; readers can only be waiting if there are none (invariant 1).
    if (this.#buffer.length === 0) {
      for (let reader = this.#readers.shift(); reader !== undefined; reader = this.#readers.shift()) {
        reader.close(this);
      }
      settleAtCompletion(this.#waitingToRead, this);
      const shared = this.#sharedReadWait;
      if (shared !== undefined) {
        this.#sharedReadWait = undefined;
        if (this.#faulted) shared.reject(this.#error);
        else shared.resolve(false);
      }
      this.#settleCompletion();
    }
    return true;
  }

  /** Something became readable: every waitToRead caller gets `true`, the shared wait first. */
  #wakeWaitingToRead(): void {
    const shared = this.#sharedReadWait;
    if (shared !== undefined) {
      this.#sharedReadWait = undefined;
      shared.resolve(true);
    }
    if (this.#waitingToRead.size > 0) wakeAll(this.#waitingToRead, true);
  }

  #settleCompletion(): void {
    if (this.#faulted) this.#rejectCompletion(this.#error);
    else this.#resolveCompletion();
  }

  #causeOption(): ErrorOptions | undefined {
    return this.#faulted ? { cause: this.#error } : undefined;
  }
}

/**
 * The iterator behind `readAll` and `for await`. A class rather than an async generator: a step
 * that finds an item buffered returns one already-resolved promise, with no generator frame to
 * resume and no extra promise layer.
 * @internal
 */
export class ChannelIterator<T> implements AsyncIterableIterator<T> {
  readonly #core: ChannelCore<T>;
  readonly #signal: AbortSignal | undefined;
  #done = false;

  constructor(core: ChannelCore<T>, signal: AbortSignal | undefined) {
    this.#core = core;
    this.#signal = signal;
  }

  next(): Promise<IteratorResult<T>> {
    if (this.#done) return RESOLVED_DONE;
    const signal = this.#signal;
    if (signal !== undefined && signal.aborted) return Promise.reject(signal.reason);
    const core = this.#core;
    const item = core.tryTake();
    if (item !== NONE) return Promise.resolve({ value: item, done: false });
    // Every step after completion reports it again (done, or the error), like a fresh iterator would.
    if (core.isComplete) return core.faulted ? Promise.reject(core.error) : RESOLVED_DONE;
    const waiter = new IteratorWaiter<T>(this);
    core.addReader(waiter, signal);
    return waiter.promise;
  }

  /**
   * Called by `for await` when the loop is left early. Ends this iterator only: steps still
   * waiting end as done without taking an item, and the channel stays open for other readers.
   */
  return(): Promise<IteratorResult<T>> {
    if (!this.#done) {
      this.#done = true;
      this.#core.endIteratorSteps(this);
    }
    return RESOLVED_DONE;
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}

/** @internal */
export class ChannelReaderImpl<T> extends ChannelReader<T> {
  readonly #core: ChannelCore<T>;

  constructor(core: ChannelCore<T>) {
    super();
    this.#core = core;
  }

  override get count(): number {
    return this.#core.count;
  }

  override get completion(): Promise<void> {
    return this.#core.completion;
  }

  override tryRead(): TryReadResult<T> {
    return this.#core.tryRead();
  }

  override tryPeek(): TryReadResult<T> {
    return this.#core.tryPeek();
  }

  override waitToRead(signal?: AbortSignal): Promise<boolean> {
    return this.#core.waitToRead(signal);
  }

  override read(signal?: AbortSignal): Promise<T> {
    return this.#core.read(signal);
  }

  override readAll(signal?: AbortSignal): AsyncIterableIterator<T> {
    return new ChannelIterator(this.#core, signal);
  }

  override stop(reason?: unknown): boolean {
    return this.#core.tryComplete(reason, true);
  }

  override toReadableStream(): ReadableStream<T> {
    const core = this.#core;
    let pending: StreamWaiter<T> | undefined;
    return new ReadableStream<T>(
      {
        pull(controller): Promise<void> | undefined {
          const item = core.tryTake();
          if (item !== NONE) {
            controller.enqueue(item);
            return undefined;
          }
          if (core.isComplete) {
            closeStream(controller, core);
            return undefined;
          }
          const waiter = new StreamWaiter(controller);
          pending = waiter;
          core.addReader(waiter, undefined);
          // The stream calls pull again only after this settles, so one take is pending at most.
          return waiter.promise;
        },
        cancel(): void {
          if (pending !== undefined && core.removeReader(pending)) pending.end();
          pending = undefined;
        },
      },
      // High-water mark 0: take an item only when the stream's consumer asks for one, so the
      // stream never holds items in its own queue that other readers of the channel could take.
      { highWaterMark: 0 },
    );
  }
}

/** @internal */
export class ChannelWriterImpl<T> extends ChannelWriter<T> {
  readonly #core: ChannelCore<T>;

  constructor(core: ChannelCore<T>) {
    super();
    this.#core = core;
  }

  override tryWrite(item: T): boolean {
    return this.#core.tryWrite(item);
  }

  override waitToWrite(signal?: AbortSignal): Promise<boolean> {
    return this.#core.waitToWrite(signal);
  }

  override write(item: T, signal?: AbortSignal): Promise<void> {
    return this.#core.write(item, signal);
  }

  override complete(error?: unknown): void {
    this.#core.complete(error);
  }

  override tryComplete(error?: unknown): boolean {
    return this.#core.tryComplete(error, false);
  }
}

/** @internal */
export class ChannelImpl<T> implements Channel<T> {
  readonly reader: ChannelReader<T>;
  readonly writer: ChannelWriter<T>;
  readonly #core: ChannelCore<T>;

  constructor(core: ChannelCore<T>) {
    this.#core = core;
    this.reader = new ChannelReaderImpl(core);
    this.writer = new ChannelWriterImpl(core);
  }

  get droppedCount(): number {
    return this.#core.droppedCount;
  }
}

/**
 * One dormant instance of each class on the hot path, kept alive for the life of the program.
 *
 * Hazard: V8 drops a class's hidden classes (maps) once no instance of it is alive, and throws
 * away optimized code that embeds them. A program that creates short-lived channels with full
 * garbage collections in between (a benchmark harness that collects before every sample, a
 * channel per request in a process under memory pressure) then deoptimizes every channel method
 * after each collection and, measured on Node 24 and Deno 2.9, runs 2 to 5 times slower. Keeping
 * one instance of each alive keeps the maps, and the optimized code, valid. The cost is one empty
 * channel and a few never-settled waiters per process.
 *
 * Held by a static of {@link ChannelCore} rather than a module constant: a constant nothing reads
 * lives in a register of the module's body (gone once the module is evaluated), and a bundler
 * may drop an unused export; a property write survives both.
 */
ChannelCore.hiddenClassAnchors = ((): object[] => {
  const core = new ChannelCore<unknown>(1, 'wait', undefined);
  const iterator = new ChannelIterator(core, undefined);
  return [
    new ChannelImpl(core),
    iterator,
    new ReadWaiter(),
    new IteratorWaiter(iterator),
    new WriteWaiter(undefined),
    new BooleanWaiter(),
  ];
})();
