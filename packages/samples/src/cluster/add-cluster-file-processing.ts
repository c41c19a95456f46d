import {
  HealthCheckTags,
  type HostApplicationBuilder,
  type Logger,
  LoggerFactoryToken,
  ServiceScopeFactory,
  type TimeProvider,
  TimeProviderToken,
  type Token,
  type WorkQueue,
} from '@hostkit/core';
import type { AppConfig } from '../config/app-config.ts';
import type { ActivityLog } from '../database/activity-log.ts';
import type { FileProcessingOptions } from '../file-processing/add-file-processing.ts';
import { FileProcessingCounters } from '../file-processing/file-processing-counters.ts';
import { FileStore } from '../file-processing/file-store.ts';
import { ResultProcessor } from '../file-processing/result-processor.ts';
import { addUploadRoute, StagingQuota } from '../file-processing/upload-route.ts';
import { UploadIdempotencyStore } from '../file-processing/idempotency-store.ts';
import type { FeatureRoutes, SamplesApp } from '../http/feature-routes.ts';
import { FileWorkConsumerService, InboxClaimService, OrphanSweepService } from './cluster-file-services.ts';
import type { ClusterWiring } from './cluster-tokens.ts';
import { fileWorkEntryFor, type FileWorkEntry } from './file-work.ts';

/** What {@link addClusterFileProcessing} needs. */
export interface ClusterFileProcessingDependencies {
  readonly activity: Token<ActivityLog>;
  readonly cluster: ClusterWiring;
  readonly options: FileProcessingOptions;
}

/**
 * Staging files, temporary files and orphaned failure reports older than this are leftovers of a
 * replica that died; younger ones may be another live replica's work in progress.
 */
const STALE_AFTER_MS = 10 * 60_000;

/**
 * The file-processing sample in cluster mode (REDIS_URL set; every replica shares DATA_DIR):
 * - POST /upload stores the upload durably in `uploads/` exactly as in single-process mode, then
 *   ENQUEUES a work-queue entry naming it (instead of writing the in-process channel); when the
 *   queue cannot take it within the queueing deadline, the file is removed and 503 is answered;
 * - {@link InboxClaimService} claims inbox files (atomic rename into `claimed/`) and enqueues them;
 * - {@link OrphanSweepService}, a cluster singleton, enqueues again every ORPHAN_SWEEP_INTERVAL_MS
 *   what a dead replica left stored but maybe not enqueued (files older than twice
 *   WORK_VISIBILITY_TIMEOUT_MS);
 * - {@link FileWorkConsumerService} processes entries (WORK_CONCURRENCY at once) through the
 *   scoped {@link ResultProcessor}, idempotently (one delivery per file at a time, by a per-file claim);
 * - GET /queue answers the shared queue's counts and its dead letters, newest first (with the
 *   reason and delivery count of each); GET /status includes the same, as of at most a second ago;
 * - POST /queue/dead-letters/requeue puts every dead letter back in the queue (or only those named
 *   by `?id=` parameters, repeatable), each with `maxDeliveries` new attempts.
 */
export function addClusterFileProcessing(builder: HostApplicationBuilder, config: AppConfig, deps: ClusterFileProcessingDependencies): FeatureRoutes {
  const { cluster, options } = deps;
  const store = new FileStore({ dataDir: config.dataDir, sync: options.syncWrites, shared: { staleAfterMs: STALE_AFTER_MS } });
  const counters = new FileProcessingCounters();
  let activity: ActivityLog | undefined;
  let uploadLogger: Logger | undefined;
  let time: TimeProvider | undefined;
  let queue: WorkQueue<FileWorkEntry> | undefined;
  let claimer: InboxClaimService | undefined;
  let sweeper: OrphanSweepService | undefined;

  builder.services.addScoped(ResultProcessor, [TimeProviderToken], (timeProvider) =>
    new ResultProcessor({ timeProvider, processingDelayMs: options.processingDelayMs }),
  );
  builder.services.addHostedService(
    InboxClaimService,
    [cluster.fileQueue, TimeProviderToken, LoggerFactoryToken, deps.activity],
    (fileQueue, timeProvider, loggers, activityLog) => {
      time = timeProvider;
      activity = activityLog;
      queue = fileQueue;
      uploadLogger = loggers.createLogger('samples.FileUpload');
      claimer = new InboxClaimService({
        watcher: options.createWatcher(store.inbox, options.stabilityThresholdMs),
        store,
        queue: fileQueue,
        timeProvider,
        logger: loggers.createLogger('samples.InboxClaim'),
        rescanIntervalMs: options.rescanIntervalMs,
        retryDelayMs: options.retryDelayMs,
        activity: activityLog,
        replicaId: cluster.replicaId,
      });
      return claimer;
    },
  );
  builder.services.addHostedService(
    OrphanSweepService,
    [cluster.fileQueue, cluster.lock, TimeProviderToken, LoggerFactoryToken, deps.activity],
    (fileQueue, lock, timeProvider, loggers, activityLog) => {
      sweeper = new OrphanSweepService({
        store,
        queue: fileQueue,
        lock,
        leaseTtlMs: cluster.leaseTtlMs,
        intervalMs: config.orphanSweepIntervalMs,
        minAgeMs: 2 * config.workVisibilityTimeoutMs,
        timeProvider,
        logger: loggers.createLogger('samples.OrphanSweep'),
        retryDelayMs: options.retryDelayMs,
        activity: activityLog,
        replicaId: cluster.replicaId,
      });
      return sweeper;
    },
  );
  builder.services.addHostedService(
    FileWorkConsumerService,
    [cluster.fileQueue, cluster.lock, ServiceScopeFactory, TimeProviderToken, LoggerFactoryToken, deps.activity],
    (fileQueue, lock, scopes, timeProvider, loggers, activityLog) =>
      new FileWorkConsumerService({
        queue: fileQueue,
        concurrency: config.workConcurrency,
        context: {
          store,
          scopes,
          time: timeProvider,
          logger: loggers.createLogger('samples.FileWork'),
          activity: activityLog,
          counters,
          replicaId: cluster.replicaId,
          maxAttempts: options.maxAttempts,
          claims: lock,
          claimTtlMs: cluster.leaseTtlMs,
        },
      }),
  );
  builder.healthChecks.add({
    name: 'files',
    check: () => ({ status: 'healthy', description: `${counters.processed} processed, ${counters.failed} failed on this replica` }),
    tags: [HealthCheckTags.ready],
  });

  const stagingQuota = new StagingQuota(config.uploadStagingMaxBytes);
  const json = (status: number, body: unknown, headers: Record<string, string> = {}): Response =>
    new Response(`${JSON.stringify(body, null, 2)}\n`, {
      status,
      headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', ...headers },
    });
  const unavailable = (error: unknown): Response => {
    // The queue's error stays in the log: it can name hosts and keys.
    uploadLogger?.warn('The work queue cannot be read', { error });
    return json(503, { error: 'unavailable', message: 'The work queue cannot be read; try again later' }, { 'retry-after': '1' });
  };
  const notReady = (): Response => json(503, { error: 'not_ready', message: 'The work queue is not ready yet' }, { 'retry-after': '1' });
  const readQueue = async (fileQueue: WorkQueue<FileWorkEntry>, signal?: AbortSignal): Promise<Record<string, unknown>> => {
    const counts = await fileQueue.counts(signal);
    const dead = counts.dead > 0 ? await fileQueue.deadLetters({ order: 'newest', limit: 20 }, signal) : [];
    return { name: fileQueue.name, ...counts, deadLetters: dead.map((letter) => ({ ...letter, deadAt: new Date(letter.deadAt).toISOString() })) };
  };
  const mount = (app: SamplesApp): void => {
    addUploadRoute(app, {
      store,
      enqueue: async (path, signal, release) => {
        if (queue === undefined) throw new Error('The work queue is not ready yet');
        await queue.enqueue(fileWorkEntryFor(store, path, 'upload'), {}, signal);
        // Queued in Redis: any replica may take it; this replica's quota is free again.
        release();
      },
      counters,
      get timeProvider(): TimeProvider {
        return time ?? builder.timeProvider;
      },
      maxBytes: config.uploadMaxBytes,
      maxInProgress: config.uploadsMaxInProgress,
      idleTimeoutMs: config.uploadIdleTimeoutMs,
      stagingQuota,
      // In app.db, which the replicas share: a retry to another replica finds the first answer.
      idempotency: new UploadIdempotencyStore(config.dataDir, () => time ?? builder.timeProvider),
      queueTimeoutMs: options.queueTimeoutMs,
      retryAfterSeconds: options.retryAfterSeconds,
      activityLog: () => activity,
      logger: () => uploadLogger,
    });
    app.get('/queue', async (c) => {
      if (queue === undefined) return notReady();
      try {
        return json(200, await readQueue(queue, c.env.signal));
      } catch (error) {
        return unavailable(error);
      }
    });
    app.post('/queue/dead-letters/requeue', async (c) => {
      if (queue === undefined) return notReady();
      const ids = c.req.queries('id') ?? [];
      try {
        const requeued = await queue.requeueDeadLetters(ids.length === 0 ? undefined : ids, c.env.signal);
        queueSnapshot = undefined;
        activity?.write('files', `requeued ${requeued} dead letter${requeued === 1 ? '' : 's'}`);
        return json(200, { requeued });
      } catch (error) {
        return unavailable(error);
      }
    });
  };

  // GET /status must answer at once: it shows the queue as last read, and reads it again (once at
  // a time) when that is more than a second old.
  let queueSnapshot: { readonly at: number; readonly value: Record<string, unknown> } | undefined;
  let refreshing = false;
  const queueStatus = (): Record<string, unknown> | null => {
    const clock = time ?? builder.timeProvider;
    if (queue !== undefined && !refreshing && (queueSnapshot === undefined || clock.now() - queueSnapshot.at > 1_000)) {
      refreshing = true;
      const reading = queue;
      // Never rejects: a failure is kept in the snapshot, for /status to show.
      void readQueue(reading)
        .then(
          (value) => ({ at: clock.now(), value }),
          (error: unknown) => ({ at: clock.now(), value: { error: error instanceof Error ? error.message : String(error) } }),
        )
        .then((snapshot) => {
          queueSnapshot = snapshot;
          refreshing = false;
        });
    }
    return queueSnapshot === undefined ? null : { ...queueSnapshot.value, asOf: new Date(queueSnapshot.at).toISOString() };
  };

  const status = (): Record<string, unknown> => ({
    mode: 'cluster',
    replica: cluster.replicaId,
    processed: counters.processed,
    failed: counters.failed,
    retried: counters.retried,
    gone: counters.gone,
    inProgress: counters.inProgress,
    queue: queueStatus(),
    inbox: claimer?.stats ?? null,
    orphanSweep: sweeper?.stats ?? null,
    uploads: {
      accepted: counters.uploadsAccepted,
      tooLarge: counters.uploadsTooLarge,
      invalid: counters.uploadsInvalid,
      rejectedBusy: counters.uploadsRejectedBusy,
    },
  });
  return { mount, status };
}
