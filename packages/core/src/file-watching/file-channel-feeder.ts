import type { ChannelWriter } from '../channels/channel-writer.ts';
import type { Timer, TimeProvider } from '../time/time-provider.ts';
import { describeValue } from '../internal/describe-value.ts';
import type { FileWatcher, FileWatchHandler } from './file-watcher.ts';
import type { FileWorkItem } from './file-work-item.ts';

/** Options for {@link createFileChannelFeeder}. */
export interface FileChannelFeederOptions {
  /**
   * The most paths the feeder keeps track of at once: queued in the feeder, buffered in the
   * channel, or being processed (read, not yet {@link FileWorkItem.done}). Reports beyond it are
   * dropped and remembered only as a flag; a rescan finds those files later. Memory stays
   * proportional to this number however fast files arrive.
   *
   * Make it at least the channel's capacity plus the number of consumers, or the channel never
   * fills up.
   * @default 1000
   */
  maxPending?: number | undefined;
  /**
   * Also rescan every `rescanInterval` ms, measured on {@link timeProvider}, overflow or not: a
   * safety net for watchers that can miss events without saying so (network filesystems; kernel
   * event queues that overflow where the runtime does not report it).
   * @default undefined: rescan only after an overflow.
   */
  rescanInterval?: number | undefined;
  /**
   * The clock for {@link rescanInterval}; required with it. Tests pass a `ManualTimeProvider`.
   * @default undefined
   */
  timeProvider?: TimeProvider | undefined;
  /**
   * Receives each error the watcher reports, and the feeder keeps going. Without it, the first
   * error stops the feeder: {@link FileChannelFeeder.run} rejects with it. An error thrown by
   * `onError` itself stops the feeder with that error. Errors from listing the directory during a
   * rescan always stop the feeder: without a listing, files could be lost silently.
   * @default undefined: watcher errors are fatal.
   */
  onError?: ((error: unknown) => void) | undefined;
  /**
   * Whether {@link FileChannelFeeder.run} completes the channel's writer when it ends: cleanly
   * when it was stopped by its signal, with the error when it failed. Consumers looping over the
   * channel then finish once they have drained it. Turn it off when several producers share the
   * channel.
   * @default true
   */
  completeWriter?: boolean | undefined;
}

/** A snapshot of a feeder's counters, for tests, health checks and metrics. */
export interface FileChannelFeederStats {
  /** Paths waiting in the feeder for room in the channel. */
  readonly queued: number;
  /** Paths written to the channel and not yet done (buffered there, or being processed). */
  readonly inFlight: number;
  /** The largest `queued + inFlight` seen; never above `maxPending`. */
  readonly peakPending: number;
  /** Items written to the channel. */
  readonly delivered: number;
  /** Reports dropped because `maxPending` was reached; a later rescan finds those files. */
  readonly dropped: number;
  /** Rescans started: after overflows, on request of the watcher, or on `rescanInterval`. */
  readonly rescans: number;
}

/** Feeds a channel with the files a {@link FileWatcher} reports. Create with {@link createFileChannelFeeder}. */
export interface FileChannelFeeder {
  /**
   * Starts the watcher and writes a {@link FileWorkItem} to the channel for each file it reports,
   * until stopped. Called once, typically from a background service's `execute`. The feeder owns
   * the watcher: it closes it when `run` ends, whatever the reason.
   *
   * Ends:
   * - when `signal` aborts: rejects with `signal.reason` (which a host treats as a clean stop);
   * - when the channel is completed by someone else (the consumer called `reader.stop()`):
   *   resolves, or rejects with the completion error if there is one. A writer cannot observe
   *   completion without writing, so the feeder notices it when it next has a file to deliver;
   *   until then it keeps watching (with nothing queued);
   * - when the watcher fails to start, reports an error and there is no `onError`, or a rescan's
   *   listing fails: rejects with that error.
   * @param signal The host's stopping signal: stops watching and feeding.
   * @throws Error (as a rejection) when `run` was already called.
   */
  run(signal?: AbortSignal): Promise<void>;

  /** The counters now. */
  readonly stats: FileChannelFeederStats;
}

/**
 * Connects a {@link FileWatcher} to a bounded channel so that every file in the watched directory
 * reaches a consumer, without losing files when the channel is full and without memory that
 * grows with the number of files.
 *
 * How, in order:
 * 1. Reports go into a queue of paths, deduplicated: a path already queued, in the channel or
 *    being processed is not queued again. A path reported removed while queued leaves the queue,
 *    so a renamed-away name is not delivered.
 * 2. The feeder writes queued paths to the channel as fast as the channel takes them, in the
 *    order they were reported; it waits (never drops) when the channel is full.
 * 3. While `queued + inFlight` is at `maxPending`, new reports are dropped and the feeder only
 *    notes that it overflowed. Once the queue is empty and at most half of `maxPending` is in
 *    flight, it rescans: it lists the directory ({@link FileWatcher.list}) and queues the files it
 *    does not already know, up to `maxPending`; if the bound is reached again it stops listing and
 *    rescans again at the next drain. Every file that is in the directory is therefore delivered.
 * 4. The consumer calls {@link FileWorkItem.done} when it has finished with a file; until then the
 *    path is not delivered again. If the file changed while it was being processed, it is queued
 *    again on `done`.
 *
 * Delivery is at least once: a file is delivered again if it is still in the directory after
 * `done` and is reported again (it changed, a rescan ran, the process restarted). So the consumer
 * removes or moves each file out of the directory before calling `done`: the directory is the
 * queue, and what is in it is work.
 *
 * A delivered path may no longer exist when the consumer opens it: it was renamed or removed after
 * the watcher checked it (during a rename storm, or by another process). The consumer treats
 * `ENOENT` as "nothing to do" and calls `done`; a renamed file is reported again under its new name.
 *
 * Use a channel in `wait` mode: a drop mode would discard items, which then stay in flight for
 * ever, and their files are lost until a restart.
 *
 * ```ts
 * const files = createBoundedChannel<FileWorkItem>(100);
 * const feeder = createFileChannelFeeder(createChokidarFileWatcher({ directory }), files.writer);
 * // producer service:  await feeder.run(stopping);
 * // consumer service:  for await (const file of files.reader.readAll(stopping)) { ...; file.done(); }
 * ```
 * @throws TypeError when `watcher` or `writer` does not look like one, when an option has the
 *   wrong type, or when `rescanInterval` is given without `timeProvider`.
 * @throws RangeError when `maxPending` is not an integer >= 1 or `rescanInterval` is not a
 *   finite number > 0.
 */
export function createFileChannelFeeder(
  watcher: FileWatcher,
  writer: ChannelWriter<FileWorkItem>,
  options?: FileChannelFeederOptions,
): FileChannelFeeder {
  return new ChannelFeeder(watcher, writer, options ?? {});
}

/** What the feeder remembers about a path it has written to the channel. */
interface InFlight {
  /** The watcher reported the file ready again while it was being processed. */
  changed: boolean;
}

const defaultMaxPending = 1000;

class ChannelFeeder implements FileChannelFeeder {
  readonly #watcher: FileWatcher;
  readonly #writer: ChannelWriter<FileWorkItem>;
  readonly #maxPending: number;
  /** Rescan only once tracked paths have fallen to this, so one rescan has room to do real work. */
  readonly #rescanBelow: number;
  readonly #rescanInterval: number | undefined;
  readonly #timeProvider: TimeProvider | undefined;
  readonly #onError: ((error: unknown) => void) | undefined;
  readonly #completeWriter: boolean;

  /** Reported, not yet in the channel; a Set keeps report order and deduplicates. */
  readonly #queue = new Set<string>();
  readonly #inFlight = new Map<string, InFlight>();
  #rescanNeeded = false;
  #state: 'new' | 'running' | 'stopped' = 'new';
  /** Aborts the current wait of {@link #pump} on stop or failure; its reason says which. */
  readonly #controller = new AbortController();
  #failure: { error: unknown } | undefined = undefined;
  /** Set while {@link #pump} is idle: resolves its wait. */
  #wake: (() => void) | undefined = undefined;

  #peakPending = 0;
  #delivered = 0;
  #dropped = 0;
  #rescans = 0;

  readonly #handler: FileWatchHandler = {
    fileReady: (path) => this.#onReady(path),
    fileRemoved: (path) => this.#onRemoved(path),
    overflowed: () => this.#requestRescan(),
    error: (error) => this.#onWatcherError(error),
  };

  constructor(watcher: FileWatcher, writer: ChannelWriter<FileWorkItem>, options: FileChannelFeederOptions) {
    if (typeof watcher !== 'object' || watcher === null || typeof watcher.start !== 'function') {
      throw new TypeError(`Expected watcher to be a FileWatcher, got ${describeValue(watcher)}`);
    }
    if (typeof writer !== 'object' || writer === null || typeof writer.tryWrite !== 'function') {
      throw new TypeError(`Expected writer to be a ChannelWriter, got ${describeValue(writer)}`);
    }
    const maxPending = options.maxPending ?? defaultMaxPending;
    if (!Number.isSafeInteger(maxPending) || maxPending < 1) {
      throw new RangeError(`Expected maxPending to be an integer >= 1, got ${describeValue(maxPending)}`);
    }
    const { rescanInterval, timeProvider, onError } = options;
    if (rescanInterval !== undefined) {
      if (typeof rescanInterval !== 'number' || !(rescanInterval > 0) || !Number.isFinite(rescanInterval)) {
        throw new RangeError(`Expected rescanInterval to be a finite number > 0, got ${describeValue(rescanInterval)}`);
      }
      if (timeProvider === undefined) {
        throw new TypeError('Expected a timeProvider with rescanInterval, got undefined (undefined)');
      }
    }
    if (onError !== undefined && typeof onError !== 'function') {
      throw new TypeError(`Expected onError to be a function, got ${describeValue(onError)}`);
    }
    this.#watcher = watcher;
    this.#writer = writer;
    this.#maxPending = maxPending;
    this.#rescanBelow = Math.floor(maxPending / 2);
    this.#rescanInterval = rescanInterval;
    this.#timeProvider = timeProvider;
    this.#onError = onError;
    this.#completeWriter = options.completeWriter ?? true;
  }

  get stats(): FileChannelFeederStats {
    return {
      queued: this.#queue.size,
      inFlight: this.#inFlight.size,
      peakPending: this.#peakPending,
      delivered: this.#delivered,
      dropped: this.#dropped,
      rescans: this.#rescans,
    };
  }

  async run(signal?: AbortSignal): Promise<void> {
    if (this.#state !== 'new') {
      throw new Error(`FileChannelFeeder.run() was already called (the feeder is ${this.#state}): a feeder runs once`);
    }
    this.#state = 'running';
    const controller = this.#controller;
    const onAbort = (): void => controller.abort(signal?.reason);
    if (signal?.aborted) onAbort();
    else signal?.addEventListener('abort', onAbort, { once: true });

    let timer: Timer | undefined;
    let outcome: { error: unknown } | undefined;
    try {
      controller.signal.throwIfAborted();
      await this.#watcher.start(this.#handler, controller.signal);
      if (this.#rescanInterval !== undefined && this.#timeProvider !== undefined) {
        timer = this.#timeProvider.createTimer(() => this.#requestRescan(), this.#rescanInterval, this.#rescanInterval);
      }
      await this.#pump(controller.signal);
    } catch (error) {
      outcome = { error };
    } finally {
      this.#state = 'stopped';
      timer?.dispose();
      signal?.removeEventListener('abort', onAbort);
      this.#wake = undefined;
      // Items still in the channel keep their done(); it finds nothing and does nothing.
      this.#queue.clear();
      this.#inFlight.clear();
    }
    // A failure reported while the pump was finishing for another reason still wins.
    if (this.#failure !== undefined) outcome = this.#failure;

    let closeError: { error: unknown } | undefined;
    try {
      await this.#watcher.close();
    } catch (error) {
      closeError = { error };
    }
    const stoppedBySignal = signal?.aborted === true && outcome?.error === signal.reason;
    if (this.#completeWriter) {
      if (outcome === undefined || stoppedBySignal) this.#writer.tryComplete();
      else this.#writer.tryComplete(outcome.error);
    }
    if (closeError !== undefined) {
      if (outcome === undefined) throw closeError.error;
      throw new AggregateError([outcome.error, closeError.error], 'FileChannelFeeder stopped, and closing the watcher failed');
    }
    if (outcome !== undefined) throw outcome.error;
  }

  get #pending(): number {
    return this.#queue.size + this.#inFlight.size;
  }

  /** The feeder's one loop: hand queued paths to the channel, rescan when due, otherwise sleep. */
  async #pump(signal: AbortSignal): Promise<void> {
    for (;;) {
      signal.throwIfAborted();
      this.#flush();
      if (this.#queue.size > 0) {
        // The channel is full: wait for room rather than drop anything.
        if (!(await this.#writer.waitToWrite(signal))) return;
        continue;
      }
      if (this.#rescanNeeded && this.#pending <= this.#rescanBelow) {
        this.#rescanNeeded = false;
        this.#rescans += 1;
        await this.#rescan(signal);
        continue;
      }
      await this.#idle(signal);
    }
  }

  /** Writes queued paths to the channel until it is full or the queue is empty. Never waits. */
  #flush(): void {
    for (const path of this.#queue) {
      const entry: InFlight = { changed: false };
      const item: FileWorkItem = { path, done: () => this.#done(path, entry) };
      if (!this.#writer.tryWrite(item)) return;
      this.#queue.delete(path);
      this.#inFlight.set(path, entry);
      this.#delivered += 1;
    }
  }

  /**
   * Lists the directory and queues what nobody knows about yet, up to the bound. The channel is
   * fed while listing, so a long listing does not starve the consumer.
   */
  async #rescan(signal: AbortSignal): Promise<void> {
    for await (const path of this.#watcher.list(signal)) {
      if (this.#state !== 'running') return;
      // Reports that arrived meanwhile, and room the consumer made, are used at once.
      this.#flush();
      if (this.#queue.has(path) || this.#inFlight.has(path)) continue;
      if (this.#pending >= this.#maxPending) {
        // Leaving the loop closes the listing: nothing more is read or held.
        this.#rescanNeeded = true;
        this.#dropped += 1;
        return;
      }
      this.#enqueue(path);
    }
  }

  #idle(signal: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const onAbort = (): void => {
        this.#wake = undefined;
        reject(signal.reason);
      };
      this.#wake = () => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      };
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  #notify(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }

  #enqueue(path: string): void {
    this.#queue.add(path);
    const pending = this.#pending;
    if (pending > this.#peakPending) this.#peakPending = pending;
  }

  #onReady(path: string): void {
    if (this.#state !== 'running') return;
    const inFlight = this.#inFlight.get(path);
    if (inFlight !== undefined) {
      inFlight.changed = true;
      return;
    }
    if (this.#queue.has(path)) return;
    if (this.#pending >= this.#maxPending) {
      this.#rescanNeeded = true;
      this.#dropped += 1;
      return;
    }
    this.#enqueue(path);
    this.#notify();
  }

  #onRemoved(path: string): void {
    if (this.#state !== 'running') return;
    this.#queue.delete(path);
    const inFlight = this.#inFlight.get(path);
    if (inFlight !== undefined) inFlight.changed = false;
  }

  #requestRescan(): void {
    if (this.#state !== 'running') return;
    this.#rescanNeeded = true;
    this.#notify();
  }

  #done(path: string, entry: InFlight): void {
    // An old item's done() must not release a later delivery of the same path.
    if (this.#inFlight.get(path) !== entry) return;
    this.#inFlight.delete(path);
    if (entry.changed && this.#state === 'running') this.#queue.add(path);
    this.#notify();
  }

  #onWatcherError(error: unknown): void {
    if (this.#state !== 'running') return;
    if (this.#onError !== undefined) {
      try {
        this.#onError(error);
        return;
      } catch (thrown) {
        error = thrown;
      }
    }
    this.#fail(error);
  }

  #fail(error: unknown): void {
    if (this.#failure !== undefined) return;
    this.#failure = { error };
    this.#controller.abort(error);
  }
}
