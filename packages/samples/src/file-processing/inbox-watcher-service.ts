import {
  BackgroundService,
  type ChannelWriter,
  createFileChannelFeeder,
  type FileChannelFeeder,
  type FileChannelFeederStats,
  type FileWatcher,
  type FileWorkItem,
  type Logger,
  type TimeProvider,
} from '@hostkit/core';
import type { FileStore } from './file-store.ts';

/** Options of {@link InboxWatcherService}. */
export interface InboxWatcherServiceOptions {
  /** Watches `store.inbox`; the service owns it (the feeder closes it when it ends). */
  readonly watcher: FileWatcher;
  /** The channel's writing side, shared with the upload route. */
  readonly writer: ChannelWriter<FileWorkItem>;
  readonly store: FileStore;
  readonly timeProvider: TimeProvider;
  readonly logger: Logger;
  /**
   * The most inbox paths tracked at once (see `FileChannelFeederOptions.maxPending`); at least
   * the channel's capacity plus one.
   * @default 1000
   */
  readonly maxPending?: number | undefined;
  /**
   * Also list the inbox this often, in ms, in case the watcher missed an event without saying so.
   * @default 60000
   */
  readonly rescanIntervalMs?: number | undefined;
}

/**
 * Feeds the file channel with every file in the inbox: those there at start, and those other
 * programs drop in later. A thin background service around core's `createFileChannelFeeder`, which
 * does the hard part: it waits when the channel is full instead of dropping files, and its memory
 * stays bounded however many files arrive (beyond `maxPending` it only remembers to list the
 * directory again later).
 *
 * The feeder does not complete the channel when it stops: the upload route writes to the same
 * channel, and the processing service decides when reading is over.
 */
export class InboxWatcherService extends BackgroundService {
  readonly #feeder: FileChannelFeeder;
  readonly #store: FileStore;

  constructor(options: InboxWatcherServiceOptions) {
    super({ timeProvider: options.timeProvider, logger: options.logger });
    const logger = options.logger;
    this.#store = options.store;
    this.#feeder = createFileChannelFeeder(options.watcher, options.writer, {
      maxPending: options.maxPending,
      completeWriter: false,
      rescanInterval: options.rescanIntervalMs ?? 60_000,
      timeProvider: options.timeProvider,
      // One unreadable path must not stop the inbox; the periodic rescan retries what was missed.
      onError: (error) => logger.warn('The inbox watcher reported an error; watching goes on', { error }),
    });
  }

  /** The feeder's counters, for GET /status. */
  get stats(): FileChannelFeederStats {
    return this.#feeder.stats;
  }

  /**
   * Runs the feeder until the host stops.
   * @param stopping Stops watching; the feeder rejects with its reason, which ends the service cleanly.
   */
  protected override async execute(stopping: AbortSignal): Promise<void> {
    // Start-up recovery moves accepted uploads into the inbox: watch only once it has run.
    await this.#store.prepare();
    stopping.throwIfAborted();
    await this.#feeder.run(stopping);
  }
}
