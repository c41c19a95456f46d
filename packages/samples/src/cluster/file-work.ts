import { basename, join } from 'node:path';
import { type DistributedLock, type Logger, type ServiceScopeFactory, type TimeProvider, type WorkItem } from '@hostkit/core';
import type { ActivityLog } from '../database/activity-log.ts';
import { parseInputName } from '../file-processing/file-names.ts';
import type { FileProcessingCounters } from '../file-processing/file-processing-counters.ts';
import { FILES_ACTIVITY_SOURCE } from '../file-processing/file-processing-service.ts';
import type { FileStore } from '../file-processing/file-store.ts';
import { processInputFile } from '../file-processing/process-input-file.ts';
import { ResultProcessor } from '../file-processing/result-processor.ts';
import { noteResultFile } from '../telemetry/sample-spans.ts';

/**
 * The payload of a file-processing work-queue entry (cluster mode): which stored file to process.
 * The file is already durable in the shared DATA_DIR when the entry is enqueued; the entry only
 * names it, so a payload stays small whatever the file's size.
 */
export interface FileWorkEntry {
  /** The input relative to DATA_DIR: `uploads/<upload id>--<name>` or `claimed/<claim id>--<name>`. */
  readonly file: string;
  readonly source: 'upload' | 'inbox';
  /** The client's sanitised name (upload), or the name the file had in the inbox. */
  readonly originalName: string;
}

/** The name of the samples' file work queue. */
export const FILE_WORK_QUEUE_NAME = 'samples-files';

const ENTRY_FILE = /^(uploads|claimed)\/([^/\\]+)$/;

/** The entry for an input stored at `path` (inside `store.uploads` or `store.claimed`). */
export function fileWorkEntryFor(store: FileStore, path: string, source: FileWorkEntry['source']): FileWorkEntry {
  const name = basename(path);
  const directory = path.startsWith(store.claimed) ? 'claimed' : 'uploads';
  const { originalName } = parseInputName(name);
  return { file: `${directory}/${name}`, source, originalName };
}

/** How one delivery of an entry ended (the entry is acked in every case; a throw is a nack). */
export type FileWorkOutcome =
  | { readonly kind: 'processed'; readonly resultPath: string }
  /** Its result already existed: a redelivery of an entry whose work was done (at least once). */
  | { readonly kind: 'already-done' }
  /** Neither the input nor its result exists: nothing to do (e.g. an upload refused after all). */
  | { readonly kind: 'gone' }
  /** The last allowed delivery failed: the input and its report went to `failed/`. */
  | { readonly kind: 'failed'; readonly failedPath: string };

/** What {@link handleFileWork} needs. */
export interface FileWorkContext {
  readonly store: FileStore;
  readonly scopes: ServiceScopeFactory;
  readonly time: TimeProvider;
  readonly logger: Logger;
  readonly activity: ActivityLog;
  readonly counters: FileProcessingCounters;
  /** REPLICA_ID, recorded in activity rows. */
  readonly replicaId: string;
  /** Deliveries after which a failing input goes to `failed/` (and the entry is acked). */
  readonly maxAttempts: number;
  /** The per-file claims: a lease `samples:file:<name>` is held while a delivery handles the file. */
  readonly claims: DistributedLock;
  /** Time-to-live of a claim (LEASE_TTL_MS): how long a dead holder blocks the file's next delivery. */
  readonly claimTtlMs: number;
}

/** The lease name of the claim on input `name`. */
export function fileClaimName(name: string): string {
  return `samples:file:${name}`;
}

/**
 * Handles one delivery of a file work-queue entry IDEMPOTENTLY, because the queue delivers at
 * least once (a replica killed after writing a result but before its ack gets its entry
 * redelivered to another replica):
 *
 * 0. the file is CLAIMED first (a lease on its name, through the cluster's DistributedLock), so
 *    that two deliveries of the same file at the same time (a redelivery while the first is
 *    still busy, or a duplicate entry from the orphan sweep) never handle it at once: the second
 *    waits for the first to finish (then finds its result: step 1) or for its claim to expire
 *    (its holder died: it processes the file itself);
 * 1. the result's name is deterministic (the input's unique name + `.result.json`); when it already
 *    exists the work was done: the input is removed if still there, and the entry is acked
 *    without processing again;
 * 2. otherwise the input is read through a {@link ResultProcessor} from the delivery's own DI
 *    scope, the result is written atomically, and only then is the input removed;
 * 3. an input that is gone with no result is acked as `gone`;
 * 4. a failure throws (the consumer nacks: redelivery after a backoff), except on the
 *    `maxAttempts`-th delivery, where the input goes to `failed/` with its report, as in
 *    single-process mode, and the entry is acked.
 *
 * A claim lost while processing (its holder paused or cut off from the store past its
 * time-to-live) aborts the processing, which then ends as a nack. Should two deliveries still
 * overlap in that window, both write the same result to the same name: still exactly one result.
 * @throws the processing error (nack), or the signal's reason when it aborts.
 */
export async function handleFileWork(item: WorkItem<FileWorkEntry>, signal: AbortSignal, context: FileWorkContext): Promise<FileWorkOutcome> {
  const { store, activity, counters, replicaId } = context;
  const entry = item.payload;
  const match = typeof entry?.file === 'string' ? ENTRY_FILE.exec(entry.file) : null;
  if (match === null) {
    // Not ours (a hand-made entry): never follow a path outside DATA_DIR's work directories.
    throw new TypeError(`Work entry ${item.id} names no uploads/ or claimed/ file: ${JSON.stringify(entry)}`);
  }
  const name = match[2]!;
  const path = join(match[1] === 'claimed' ? store.claimed : store.uploads, name);
  const where = `${name} entry=${item.id} delivery=${item.deliveryCount} replica=${replicaId}`;
  activity.write(FILES_ACTIVITY_SOURCE, `took ${where}`);
  counters.inProgress++;
  try {
    // Waits while another delivery holds the claim; a store that cannot be reached is retried.
    const claim = await context.claims.acquire(
      fileClaimName(name),
      { ttlMs: context.claimTtlMs, retryIntervalMs: Math.min(500, context.claimTtlMs / 3) },
      signal,
    );
    try {
      // Losing the claim (its lease expired while this replica was paused or cut off from the
      // store) stops the work: another delivery may be processing the file by now.
      return await handleClaimed(item, path, name, where, AbortSignal.any([signal, claim.signal]), context);
    } finally {
      await claim.release();
    }
  } finally {
    counters.inProgress--;
  }
}

async function handleClaimed(
  item: WorkItem<FileWorkEntry>,
  path: string,
  name: string,
  where: string,
  signal: AbortSignal,
  context: FileWorkContext,
): Promise<FileWorkOutcome> {
  const { store, activity, counters } = context;
  const entry = item.payload;
  if (await store.exists(store.plainResultPath(name))) {
    await store.removeInput(path);
    counters.gone++;
    context.logger.info(`${name} already has its result (entry ${item.id}, delivery ${item.deliveryCount}): acked without processing again`);
    activity.write(FILES_ACTIVITY_SOURCE, `already done ${where}`);
    return { kind: 'already-done' };
  }
  try {
    const outcome = await processOnce(path, entry, item.deliveryCount, signal, context);
    if (outcome === undefined) {
      counters.gone++;
      context.logger.warn(`${name} was gone and has no result (entry ${item.id}); nothing to do`);
      activity.write(FILES_ACTIVITY_SOURCE, `gone ${where}`);
      return { kind: 'gone' };
    }
    counters.processed++;
    activity.write(FILES_ACTIVITY_SOURCE, `processed ${where} -> outbox/${basename(outcome)}`);
    return { kind: 'processed', resultPath: outcome };
  } catch (error) {
    // Stopped, or the claim was lost: not a failure of the file, so no attempt is judged; the
    // consumer nacks (or, on a stop, hands the entry back at once) and a later delivery retries.
    if (signal.aborted) throw error;
    if (item.deliveryCount < context.maxAttempts) {
      counters.retried++;
      context.logger.warn(`Processing ${name} failed (delivery ${item.deliveryCount} of ${context.maxAttempts}); the entry goes back to the queue`, {
        error,
        file: name,
        entry: item.id,
      });
      throw error;
    }
    const failedPath = await moveToFailed(path, name, entry, item.deliveryCount, error, context);
    activity.write(FILES_ACTIVITY_SOURCE, `failed ${where} -> failed/${basename(failedPath)}`);
    return { kind: 'failed', failedPath };
  }
}

/** Reads, computes, writes the result, removes the input; `undefined` when the input is gone. */
async function processOnce(
  path: string,
  entry: FileWorkEntry,
  delivery: number,
  signal: AbortSignal,
  context: FileWorkContext,
): Promise<string | undefined> {
  await using scope = context.scopes.createScope();
  const outcome = await processInputFile(path, scope.get(ResultProcessor), context.store, {
    signal,
    now: context.time.now(),
    attempt: delivery,
    origin: { originalName: entry.originalName, source: entry.source },
  });
  if (outcome.kind !== 'processed') return undefined;
  noteResultFile(basename(outcome.resultPath));
  return outcome.resultPath;
}

async function moveToFailed(
  path: string,
  name: string,
  entry: FileWorkEntry,
  attempts: number,
  error: unknown,
  context: FileWorkContext,
): Promise<string> {
  context.counters.failed++;
  const now = context.time.now();
  const { uploadId } = parseInputName(name);
  const failedPath = await context.store.moveToFailed(
    path,
    {
      originalName: entry.originalName,
      source: entry.source,
      ...(entry.source === 'upload' && uploadId !== undefined ? { uploadId } : {}),
      attempts,
      failedAt: new Date(now).toISOString(),
      error: error instanceof Error ? { name: error.name, message: error.message } : { name: 'Error', message: String(error) },
    },
    now,
  );
  context.logger.error(`Processing ${name} failed ${attempts} times; moved it to failed/${basename(failedPath)}`, { error, file: name });
  return failedPath;
}
