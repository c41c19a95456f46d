import { basename } from 'node:path';
import {
  BackgroundService,
  type ChannelReader,
  type FileWorkItem,
  isCancellation,
  type Logger,
  type ServiceScopeFactory,
  type TimeProvider,
} from '@hostkit/core';
import type { ActivityLog } from '../database/activity-log.ts';
import { isOutOfSpace, type StorageMonitor } from './storage-monitor.ts';
import { parseInputName } from './file-names.ts';
import type { FileProcessingCounters } from './file-processing-counters.ts';
import type { FileStore } from './file-store.ts';
import { processInputFile, type ProcessInputOutcome } from './process-input-file.ts';
import { ResultProcessor } from './result-processor.ts';
import { noteResultFile, traceChannelItem } from '../telemetry/sample-spans.ts';

/** Options of {@link FileProcessingService}. */
export interface FileProcessingServiceOptions {
  /** The channel's reading side; this service is its only reader. */
  readonly reader: ChannelReader<FileWorkItem>;
  /** Creates the DI scope of each file, from which the scoped {@link ResultProcessor} is resolved. */
  readonly scopes: ServiceScopeFactory;
  readonly store: FileStore;
  readonly counters: FileProcessingCounters;
  /** The clock of the retry backoff and of the times written in results. */
  readonly timeProvider: TimeProvider;
  readonly logger: Logger;
  /** Where each outcome is recorded as a row of the `logs` table. @default nothing is recorded */
  readonly activityLog?: ActivityLog | undefined;
  /**
   * Attempts per file before it is moved to `failed/`.
   * @default 3
   */
  readonly maxAttempts?: number | undefined;
  /**
   * The backoff before the second attempt, in ms; it doubles before each later one.
   * @default 500
   */
  readonly retryDelayMs?: number | undefined;
  /**
   * DATA_DIR's space: a file whose attempt failed for lack of space (ENOSPC, EDQUOT) is not a
   * failed file; the processor waits, probing every `spaceProbeIntervalMs`, and tries it again
   * once there is room. @default none: such an attempt counts like any failure
   */
  readonly storage?: StorageMonitor | undefined;
  /** How often to probe for space while DATA_DIR is full, in ms. @default 1000 */
  readonly spaceProbeIntervalMs?: number | undefined;
}

/** The source name of this feature's rows in the activity log. */
export const FILES_ACTIVITY_SOURCE = 'files';

/**
 * The single reader of the file channel: takes each file (dropped into the inbox, or uploaded),
 * computes its figures with a {@link ResultProcessor} resolved from the file's own DI scope,
 * writes the result atomically and only then removes the input (see `FileStore` for why that
 * order makes a crash at any instant safe).
 *
 * A failed attempt is retried after a backoff measured on the host's TimeProvider; after
 * `maxAttempts` the input is moved to `failed/` with a `.error.json` beside it. The input is NEVER
 * removed because processing failed: the seed's `finally { File.Delete(fileName) }` lost every
 * file whose processing threw.
 *
 * The loop reads with the host's stopping signal (the seed's `ReadAllAsync()` had no token, so a
 * stop waited for a next file that might never come). A stop during a file or a backoff leaves
 * that file where it is, to be processed at the next start; files still in the channel are in
 * the inbox or `uploads/` too, and are found again at the next start. When the loop ends it stops
 * the channel, so an upload still waiting for room is answered 503 at once instead of at its
 * deadline.
 */
export class FileProcessingService extends BackgroundService {
  readonly #reader: ChannelReader<FileWorkItem>;
  readonly #scopes: ServiceScopeFactory;
  readonly #store: FileStore;
  readonly #counters: FileProcessingCounters;
  readonly #time: TimeProvider;
  readonly #logger: Logger;
  readonly #activity: ActivityLog | undefined;
  readonly #maxAttempts: number;
  readonly #retryDelayMs: number;
  readonly #storage: StorageMonitor | undefined;
  readonly #spaceProbeIntervalMs: number;

  constructor(options: FileProcessingServiceOptions) {
    super({ timeProvider: options.timeProvider, logger: options.logger });
    const maxAttempts = options.maxAttempts ?? 3;
    if (!Number.isSafeInteger(maxAttempts) || maxAttempts < 1) {
      throw new RangeError(`Expected maxAttempts to be an integer >= 1, got ${String(maxAttempts)} (${typeof maxAttempts})`);
    }
    const retryDelayMs = options.retryDelayMs ?? 500;
    if (typeof retryDelayMs !== 'number' || !(retryDelayMs >= 0) || !Number.isFinite(retryDelayMs)) {
      throw new RangeError(`Expected retryDelayMs to be a finite number >= 0, got ${String(retryDelayMs)} (${typeof retryDelayMs})`);
    }
    this.#reader = options.reader;
    this.#scopes = options.scopes;
    this.#store = options.store;
    this.#counters = options.counters;
    this.#time = options.timeProvider;
    this.#logger = options.logger;
    this.#activity = options.activityLog;
    this.#maxAttempts = maxAttempts;
    this.#retryDelayMs = retryDelayMs;
    this.#storage = options.storage;
    this.#spaceProbeIntervalMs = options.spaceProbeIntervalMs ?? 1_000;
  }

  /**
   * Processes files until the host stops.
   * @param stopping Passed to the channel read (so an idle reader notices the stop at once), to
   *   every file's processing and to every backoff.
   */
  protected override async execute(stopping: AbortSignal): Promise<void> {
    try {
      await this.#store.prepare();
      for await (const item of this.#reader.readAll(stopping)) {
        try {
          await traceChannelItem(item, 'files', basename(item.path), () => this.#processFile(item.path, stopping));
        } finally {
          // After the input was removed or moved (or left for the next start, when stopping).
          item.done();
        }
      }
    } finally {
      // Producers waiting for room learn at once that nobody will read (uploads get 503).
      this.#reader.stop();
      const { processed, failed } = this.#counters;
      this.#logger.info(`File processing: stopped after ${processed} file${processed === 1 ? '' : 's'} processed (${failed} failed)`);
    }
  }

  /** Every attempt at one file, then its outcome. Rejects only with the stop signal's reason. */
  async #processFile(path: string, stopping: AbortSignal): Promise<void> {
    const name = basename(path);
    for (let attempt = 1; ; attempt++) {
      let outcome: ProcessInputOutcome;
      try {
        outcome = await this.#attempt(path, attempt, stopping);
      } catch (error) {
        // A stop mid-file is not a failure: the input stays where it is for the next start.
        if (stopping.aborted && isCancellation(error, stopping)) throw error;
        if (this.#storage !== undefined && isOutOfSpace(error)) {
          // Not this file's fault: it stays where it is, uncounted, until there is room.
          await this.#waitForSpace(this.#storage, name, error, stopping);
          attempt--;
          continue;
        }
        if (attempt >= this.#maxAttempts) {
          await this.#fail(path, name, attempt, error);
          return;
        }
        const delay = this.#retryDelayMs * 2 ** (attempt - 1);
        this.#counters.retried++;
        this.#logger.warn(`Processing ${name} failed (attempt ${attempt} of ${this.#maxAttempts}); retrying in ${delay} ms`, {
          error,
          file: name,
          attempt,
          delay,
        });
        await this.#time.delay(delay, stopping);
        continue;
      }
      if (outcome.kind === 'gone') {
        this.#counters.gone++;
        this.#logger.debug(`${name} was gone when its turn came; nothing to do`, { file: name });
        return;
      }
      this.#counters.processed++;
      noteResultFile(basename(outcome.resultPath));
      this.#logger.debug(`Processed ${name} into ${basename(outcome.resultPath)}`, { file: name, attempt });
      this.#activity?.write(FILES_ACTIVITY_SOURCE, `processed ${name} -> outbox/${basename(outcome.resultPath)}`);
      return;
    }
  }

  /**
   * Waits until DATA_DIR has room again, probing every `spaceProbeIntervalMs` on the host's clock.
   * Rejects only with the stop signal's reason.
   */
  async #waitForSpace(storage: StorageMonitor, name: string, error: unknown, stopping: AbortSignal): Promise<void> {
    const started = this.#time.timestamp();
    storage.reportFull(error, this.#time.now());
    this.#logger.warn(`DATA_DIR's disk is full: ${name} stays where it is and processing waits until there is room (probing every ${this.#spaceProbeIntervalMs} ms)`, {
      error,
      file: name,
    });
    do {
      await this.#time.delay(this.#spaceProbeIntervalMs, stopping);
    } while (!storage.probe());
    this.#logger.info(`DATA_DIR has room again after ${Math.round(this.#time.elapsedSince(started))} ms: processing resumes with ${name}`, { file: name });
  }

  /** One attempt, in its own DI scope: read and compute (4), write the result (5), remove the input (6). */
  async #attempt(path: string, attempt: number, stopping: AbortSignal): Promise<ProcessInputOutcome> {
    await using scope = this.#scopes.createScope();
    const processor = scope.get(ResultProcessor);
    return processInputFile(path, processor, this.#store, { signal: stopping, now: this.#time.now(), attempt });
  }

  /** Step 7 of `FileStore`: the input and its report go to `failed/`. Never deletes the input. */
  async #fail(path: string, name: string, attempts: number, error: unknown): Promise<void> {
    this.#counters.failed++;
    const { uploadId, originalName } = parseInputName(name);
    const now = this.#time.now();
    try {
      const failedPath = await this.#store.moveToFailed(
        path,
        {
          originalName,
          source: uploadId === undefined ? 'inbox' : 'upload',
          ...(uploadId === undefined ? {} : { uploadId }),
          attempts,
          failedAt: new Date(now).toISOString(),
          error: describeError(error),
        },
        now,
      );
      this.#logger.error(`Processing ${name} failed ${attempts} times; moved it to failed/${basename(failedPath)}`, {
        error,
        file: name,
        attempts,
      });
      this.#activity?.write(FILES_ACTIVITY_SOURCE, `failed ${name} after ${attempts} attempts -> failed/${basename(failedPath)}`);
    } catch (moveError) {
      // The input stays where it is (in the inbox it is retried at the next start or rescan).
      this.#logger.critical(`Processing ${name} failed ${attempts} times, and moving it to failed/ failed too; it was left in place`, {
        error: new AggregateError([error, moveError], `Processing ${name} failed, then moving it to failed/ failed`),
        file: name,
      });
    }
  }
}

function describeError(error: unknown): { name: string; message: string; code?: string } {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return { name: error.name, message: error.message, ...(typeof code === 'string' ? { code } : {}) };
  }
  return { name: 'Error', message: String(error) };
}
