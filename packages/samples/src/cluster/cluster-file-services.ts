import { randomUUID } from 'node:crypto';
import { basename } from 'node:path';
import {
  BackgroundService,
  consumeWorkQueue,
  createBoundedChannel,
  createFileChannelFeeder,
  type DistributedLock,
  type FileChannelFeeder,
  type FileChannelFeederStats,
  type FileWatcher,
  type FileWorkItem,
  type Logger,
  type TimeProvider,
  type WorkQueue,
} from '@hostkit/core';
import type { ActivityLog } from '../database/activity-log.ts';
import { FILES_ACTIVITY_SOURCE } from '../file-processing/file-processing-service.ts';
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
   * Gets a row when a file is claimed and when its entry is queued, so that a file whose replica
   * died in between (an orphan until the sweep finds it) can be told from a lost one. @default none
   */
  readonly activity?: ActivityLog | undefined;
  /** REPLICA_ID, in the activity rows. @default '' */
  readonly replicaId?: string | undefined;
}

/**
 * Cluster mode's side of the inbox, on every replica sharing DATA_DIR:
 *
 * 1. watches the inbox (core's file-channel feeder, into a small local channel) and CLAIMS each
 *    new file by renaming it to `claimed/<uuid>--<name>`: a rename is atomic, so when every
 *    replica sees the same file, exactly one claim succeeds; the others find the file gone;
 * 2. enqueues the claimed file, retrying with a backoff while the queue's store is down (the
 *    file is safe in `claimed/` meanwhile, and {@link OrphanSweepService} covers a crash in
 *    between).
 */
export class InboxClaimService extends BackgroundService {
  readonly #store: FileStore;
  readonly #queue: WorkQueue<FileWorkEntry>;
  readonly #time: TimeProvider;
  readonly #logger: Logger;
  readonly #retryDelayMs: number;
  readonly #activity: ActivityLog | undefined;
  readonly #replicaId: string;
  readonly #channel = createBoundedChannel<FileWorkItem>({ capacity: 64, name: 'inbox-claims' });
  readonly #feeder: FileChannelFeeder;
  #claimed = 0;
  #lostRaces = 0;

  constructor(options: InboxClaimServiceOptions) {
    super({ timeProvider: options.timeProvider, logger: options.logger });
    this.#store = options.store;
    this.#queue = options.queue;
    this.#time = options.timeProvider;
    this.#logger = options.logger;
    this.#retryDelayMs = options.retryDelayMs ?? 500;
    this.#activity = options.activity;
    this.#replicaId = options.replicaId ?? '';
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
  get stats(): { readonly claimed: number; readonly lostRaces: number; readonly feeder: FileChannelFeederStats } {
    return { claimed: this.#claimed, lostRaces: this.#lostRaces, feeder: this.#feeder.stats };
  }

  protected override async execute(stopping: AbortSignal): Promise<void> {
    await this.#store.prepare();
    await Promise.all([this.#feeder.run(stopping), this.#claimLoop(stopping)]);
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
        const entry = fileWorkEntryFor(this.#store, claimed, 'inbox');
        this.#activity?.write(FILES_ACTIVITY_SOURCE, `claimed ${basename(item.path)} as ${entry.file} replica=${this.#replicaId}`);
        const id = await enqueueWithRetry(this.#queue, entry, this.#retryDelayMs, this.#time, this.#logger, stopping);
        this.#activity?.write(FILES_ACTIVITY_SOURCE, `queued ${entry.file} entry=${id} replica=${this.#replicaId}`);
      } catch (error) {
        if (stopping.aborted) throw error;
        this.#logger.warn(`Could not claim ${basename(item.path)} from the inbox; the next rescan tries again`, { error });
      } finally {
        item.done();
      }
    }
  }
}

/** Enqueues `entry`, retrying with a capped backoff until it is in or `stopping` aborts; returns the entry's id. */
async function enqueueWithRetry(
  queue: WorkQueue<FileWorkEntry>,
  entry: FileWorkEntry,
  retryDelayMs: number,
  time: TimeProvider,
  logger: Logger,
  stopping: AbortSignal,
): Promise<string> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await queue.enqueue(entry, {}, stopping);
    } catch (error) {
      if (stopping.aborted) throw error;
      const delay = Math.min(30_000, retryDelayMs * 2 ** Math.min(attempt - 1, 16));
      logger.warn(`Could not enqueue ${entry.file}; retrying in ${delay} ms (it is safe in DATA_DIR meanwhile)`, { error, attempt });
      await time.delay(delay, stopping);
    }
  }
}

/** The lease name of the orphan sweep. */
export const ORPHAN_SWEEP_SINGLETON = 'samples:file-orphan-sweep';

/** Options of {@link OrphanSweepService}. */
export interface OrphanSweepServiceOptions {
  readonly store: FileStore;
  readonly queue: WorkQueue<FileWorkEntry>;
  /** The lock of the cluster singletons. */
  readonly lock: DistributedLock;
  /** LEASE_TTL_MS. */
  readonly leaseTtlMs: number;
  /** ORPHAN_SWEEP_INTERVAL_MS: ms between two sweeps. */
  readonly intervalMs: number;
  /**
   * Files stored (mtime) less than this long ago are left alone: a live replica may be enqueuing
   * them right now. Twice the work visibility timeout in the program.
   */
  readonly minAgeMs: number;
  readonly timeProvider: TimeProvider;
  readonly logger: Logger;
  /** Backoff of a failed enqueue, doubled up to 30 s. @default 500 */
  readonly retryDelayMs?: number | undefined;
  /** Gets a row for each file enqueued again, naming its new entry. @default none */
  readonly activity?: ActivityLog | undefined;
  /** REPLICA_ID, in the activity rows. @default '' */
  readonly replicaId?: string | undefined;
}

/**
 * Cluster mode's safety net for files with no work-queue entry, as a CLUSTER SINGLETON (one
 * replica sweeps at a time): a replica that died between storing a file (an accepted upload in
 * `uploads/`, a claimed inbox file in `claimed/`) and enqueuing its entry left it there with no
 * entry. As soon as it leads, and then every `intervalMs`, the leader lists both directories and
 * enqueues again every file stored more than `minAgeMs` ago that is still there (a file leaves them
 * once it has its result, or goes to `failed/`).
 *
 * It cannot tell such an orphan from a file whose entry is still waiting in a backlog or being
 * processed: those get a DUPLICATE entry, which is harmless (`handleFileWork` claims the file
 * before processing and acks an entry whose result exists). So that a long backlog does not make
 * every sweep add one more entry per waiting file, a file this leader enqueued again is not
 * enqueued again before `10 * minAgeMs`.
 */
export class OrphanSweepService extends BackgroundService {
  readonly #options: OrphanSweepServiceOptions;
  readonly #retryDelayMs: number;
  /** Path -> when this leader last enqueued it again. */
  readonly #requeuedAt = new Map<string, number>();
  #sweeps = 0;
  #requeued = 0;
  #lastSweepAt: number | undefined;

  constructor(options: OrphanSweepServiceOptions) {
    super({
      timeProvider: options.timeProvider,
      logger: options.logger,
      clusterSingleton: { lock: options.lock, name: ORPHAN_SWEEP_SINGLETON, leaseTtlMs: options.leaseTtlMs },
    });
    this.#options = options;
    this.#retryDelayMs = options.retryDelayMs ?? 500;
  }

  /** Counters for GET /status. */
  get stats(): { readonly leader: boolean; readonly sweeps: number; readonly requeued: number; readonly lastSweepAt: string | null; readonly intervalMs: number } {
    return {
      leader: this.clusterLease !== undefined,
      sweeps: this.#sweeps,
      requeued: this.#requeued,
      lastSweepAt: this.#lastSweepAt === undefined ? null : new Date(this.#lastSweepAt).toISOString(),
      intervalMs: this.#options.intervalMs,
    };
  }

  protected override async execute(stopping: AbortSignal): Promise<void> {
    const { store, timeProvider: time, logger, intervalMs, minAgeMs } = this.#options;
    await store.prepare();
    this.#requeuedAt.clear();
    logger.info(`File processing: this replica sweeps for files with no work entry now and every ${intervalMs} ms (files older than ${minAgeMs} ms)`);
    for (;;) {
      stopping.throwIfAborted();
      try {
        await this.#sweep(stopping);
      } catch (error) {
        if (stopping.aborted) throw error;
        logger.warn('File processing: the orphan sweep failed; the next one tries again', { error });
      }
      await time.delay(intervalMs, stopping);
    }
  }

  async #sweep(stopping: AbortSignal): Promise<void> {
    const { store, queue, timeProvider: time, logger, minAgeMs } = this.#options;
    const now = time.now();
    this.#lastSweepAt = now;
    const paths = await store.pendingWork(now - minAgeMs);
    const present = new Set(paths);
    for (const path of this.#requeuedAt.keys()) if (!present.has(path)) this.#requeuedAt.delete(path);
    let count = 0;
    for (const path of paths) {
      const last = this.#requeuedAt.get(path);
      if (last !== undefined && now - last < 10 * minAgeMs) continue;
      const source = path.startsWith(store.claimed) ? 'inbox' : 'upload';
      const entry = fileWorkEntryFor(store, path, source);
      const id = await enqueueWithRetry(queue, entry, this.#retryDelayMs, time, logger, stopping);
      this.#options.activity?.write(FILES_ACTIVITY_SOURCE, `requeued ${entry.file} entry=${id} replica=${this.#options.replicaId ?? ''}`);
      this.#requeuedAt.set(path, now);
      count++;
    }
    this.#sweeps++;
    this.#requeued += count;
    if (count > 0) {
      logger.info(`File processing: enqueued again ${count} stored file(s) older than ${minAgeMs} ms (orphans of a dead replica, or duplicates, which are harmless)`);
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
