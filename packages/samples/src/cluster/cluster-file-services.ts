import { randomUUID } from 'node:crypto';
import { basename } from 'node:path';
import {
  BackgroundService,
  consumeWorkQueue,
  createBoundedChannel,
  createFileChannelFeeder,
  type FileChannelFeeder,
  type FileChannelFeederStats,
  type FileWatcher,
  type FileWorkItem,
  type Logger,
  type TimeProvider,
  type WorkQueue,
} from '@hostkit/core';
import type { FileStore } from '../file-processing/file-store.ts';
import { fileWorkEntryFor, handleFileWork, type FileWorkContext, type FileWorkEntry } from './file-work.ts';

/** Options of {@link InboxClaimService}. */
export interface InboxClaimServiceOptions {
  /** Watches `store.inbox`; the service owns it. */
  readonly watcher: FileWatcher;
  readonly store: FileStore;
  readonly queue: WorkQueue<FileWorkEntry>;
  readonly timeProvider: TimeProvider;
  readonly logger: Logger;
  /** Also list the inbox this often, in ms. @default 60000 */
  readonly rescanIntervalMs?: number | undefined;
  /** Backoff of a failed enqueue (the queue's store is down), doubled up to 30 s. @default 500 */
  readonly retryDelayMs?: number | undefined;
  /**
   * How long after start the stored files are enqueued again (step 1), so that files a LIVE
   * replica is enqueuing right now (it takes at most the upload's queueing deadline) are left to it.
   * @default 10000
   */
  readonly requeueDelayMs?: number | undefined;
}

/**
 * Cluster mode's side of the inbox, on every replica sharing DATA_DIR:
 *
 * 1. shortly after start, enqueues again every file that was already in `uploads/` (accepted) and
 *    `claimed/` when it started and is still there: a replica that died between storing a file and
 *    enqueuing it left it there with no entry. Many of them may HAVE an entry (the queue holds a
 *    backlog): the duplicate entries are harmless, because processing is idempotent (see
 *    `handleFileWork`);
 * 2. then watches the inbox (core's file-channel feeder, into a small local channel) and CLAIMS
 *    each new file by renaming it to `claimed/<uuid>--<name>`: a rename is atomic, so when every
 *    replica sees the same file, exactly one claim succeeds; the others find the file gone;
 * 3. enqueues the claimed file, retrying with a backoff while the queue's store is down (the
 *    file is safe in `claimed/` meanwhile, and step 1 covers a crash in between).
 */
export class InboxClaimService extends BackgroundService {
  readonly #store: FileStore;
  readonly #queue: WorkQueue<FileWorkEntry>;
  readonly #time: TimeProvider;
  readonly #logger: Logger;
  readonly #retryDelayMs: number;
  readonly #requeueDelayMs: number;
  readonly #channel = createBoundedChannel<FileWorkItem>(64);
  readonly #feeder: FileChannelFeeder;
  #claimed = 0;
  #lostRaces = 0;
  #requeued = 0;

  constructor(options: InboxClaimServiceOptions) {
    super({ timeProvider: options.timeProvider, logger: options.logger });
    this.#store = options.store;
    this.#queue = options.queue;
    this.#time = options.timeProvider;
    this.#logger = options.logger;
    this.#retryDelayMs = options.retryDelayMs ?? 500;
    this.#requeueDelayMs = options.requeueDelayMs ?? 10_000;
    const logger = options.logger;
    this.#feeder = createFileChannelFeeder(options.watcher, this.#channel.writer, {
      maxPending: 1_000,
      completeWriter: true,
      rescanInterval: options.rescanIntervalMs ?? 60_000,
      timeProvider: options.timeProvider,
      onError: (error) => logger.warn('The inbox watcher reported an error; watching goes on', { error }),
    });
  }

  /** Counters for GET /status. */
  get stats(): { readonly claimed: number; readonly lostRaces: number; readonly requeuedAtStart: number; readonly feeder: FileChannelFeederStats } {
    return { claimed: this.#claimed, lostRaces: this.#lostRaces, requeuedAtStart: this.#requeued, feeder: this.#feeder.stats };
  }

  protected override async execute(stopping: AbortSignal): Promise<void> {
    await this.#store.prepare();
    await Promise.all([this.#feeder.run(stopping), this.#claimLoop(stopping), this.#requeueStored(stopping)]);
  }

  /** Step 1: files stored before this replica started and still there a while later. */
  async #requeueStored(stopping: AbortSignal): Promise<void> {
    const startedAt = this.#time.now();
    await this.#time.delay(this.#requeueDelayMs, stopping);
    for (const path of await this.#store.pendingWork(startedAt)) {
      const source = path.startsWith(this.#store.claimed) ? 'inbox' : 'upload';
      await this.#enqueue(fileWorkEntryFor(this.#store, path, source), stopping);
      this.#requeued++;
    }
    if (this.#requeued > 0) {
      this.#logger.info(`File processing: enqueued again ${this.#requeued} file(s) stored before this replica started (duplicate entries are harmless)`);
    }
  }

  async #claimLoop(stopping: AbortSignal): Promise<void> {
    for await (const item of this.#channel.reader.readAll(stopping)) {
      try {
        const claimed = await this.#store.claimInboxFile(basename(item.path), randomUUID());
        if (claimed === undefined) {
          this.#lostRaces++;
          continue;
        }
        this.#claimed++;
        await this.#enqueue(fileWorkEntryFor(this.#store, claimed, 'inbox'), stopping);
      } catch (error) {
        if (stopping.aborted) throw error;
        this.#logger.warn(`Could not claim ${basename(item.path)} from the inbox; the next rescan tries again`, { error });
      } finally {
        item.done();
      }
    }
  }

  /** Enqueues `entry`, retrying with a capped backoff until it is in or the host stops. */
  async #enqueue(entry: FileWorkEntry, stopping: AbortSignal): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.#queue.enqueue(entry, {}, stopping);
        return;
      } catch (error) {
        if (stopping.aborted) throw error;
        const delay = Math.min(30_000, this.#retryDelayMs * 2 ** Math.min(attempt - 1, 16));
        this.#logger.warn(`Could not enqueue ${entry.file}; retrying in ${delay} ms (it is safe in DATA_DIR meanwhile)`, { error, attempt });
        await this.#time.delay(delay, stopping);
      }
    }
  }
}

/** Options of {@link FileWorkConsumerService}. */
export interface FileWorkConsumerServiceOptions {
  readonly queue: WorkQueue<FileWorkEntry>;
  readonly context: FileWorkContext;
  /** Entries processed at once (WORK_CONCURRENCY). */
  readonly concurrency: number;
}

/**
 * Cluster mode's processor, one per replica: takes entries from the shared work queue (core's
 * `consumeWorkQueue`, which extends an entry's visibility while it is handled, acks it when the
 * handler returns and nacks it when it throws) and handles each with `handleFileWork`, idempotently.
 */
export class FileWorkConsumerService extends BackgroundService {
  readonly #options: FileWorkConsumerServiceOptions;

  constructor(options: FileWorkConsumerServiceOptions) {
    super({ timeProvider: options.context.time, logger: options.context.logger });
    this.#options = options;
  }

  protected override async execute(stopping: AbortSignal): Promise<void> {
    const { queue, context, concurrency } = this.#options;
    await context.store.prepare();
    context.logger.info(`File processing: ${context.replicaId} takes up to ${concurrency} entries at once from the work queue ${queue.name}`);
    await consumeWorkQueue(
      queue,
      async (_payload, item, signal) => {
        await handleFileWork(item, signal, context);
      },
      { signal: stopping, concurrency, timeProvider: context.time, logger: context.logger },
    );
  }
}
