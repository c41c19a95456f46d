import process from 'node:process';
import {
  type Channel,
  createBoundedChannel,
  createToken,
  type FileWatcher,
  type FileWorkItem,
  HealthCheckTags,
  type HostApplicationBuilder,
  type HostedService,
  type Logger,
  LoggerFactoryToken,
  ServiceScopeFactory,
  type TimeProvider,
  TimeProviderToken,
  type Token,
} from '@hostkit/core';
import { createChokidarFileWatcher } from '@hostkit/adapters/chokidar';
import { addClusterFileProcessing } from '../cluster/add-cluster-file-processing.ts';
import type { ClusterWiring } from '../cluster/cluster-tokens.ts';
import type { AppConfig } from '../config/app-config.ts';
import type { ActivityLog } from '../database/activity-log.ts';
import type { FeatureRoutes, SamplesApp } from '../http/feature-routes.ts';
import { StorageMonitor } from './storage-monitor.ts';
import { FileProcessingCounters } from './file-processing-counters.ts';
import { FILES_ACTIVITY_SOURCE, FileProcessingService } from './file-processing-service.ts';
import { FileStore } from './file-store.ts';
import { InboxWatcherService } from './inbox-watcher-service.ts';
import { ResultProcessor } from './result-processor.ts';
import { addUploadRoute, StagingQuota } from './upload-route.ts';
import { UploadIdempotencyStore } from './idempotency-store.ts';

/** The environment variable of the test-only processing delay (see {@link FileProcessingOptions.processingDelayMs}). */
export const PROCESSING_DELAY_VARIABLE = 'FILE_PROCESSING_DELAY_MS';

/** Tweaks of the file-processing sample; production uses the defaults. */
export interface FileProcessingOptions {
  /**
   * TEST KNOB: wait this many ms (on the host's clock) before processing each file, so an
   * end-to-end test can fill the channel or stop the program mid-work.
   * @default the FILE_PROCESSING_DELAY_MS environment variable, else 0
   */
  readonly processingDelayMs: number;
  /** Attempts per file before it goes to `failed/`. @default 3 */
  readonly maxAttempts: number;
  /** Backoff before the second attempt, doubled before each later one, in ms. @default 500 */
  readonly retryDelayMs: number;
  /** How long an upload waits for room in the channel before 503, in ms. @default 3000 */
  readonly queueTimeoutMs: number;
  /** `Retry-After` of a 503, in seconds. @default 5 */
  readonly retryAfterSeconds: number;
  /** How long an inbox file must stay unchanged to count as complete, in ms. @default 2000 */
  readonly stabilityThresholdMs: number;
  /** Also list the inbox this often, in ms (a safety net for missed events). @default 60000 */
  readonly rescanIntervalMs: number;
  /** fsync results, reports and accepted uploads (and their directories): survive power loss too. @default true */
  readonly syncWrites: boolean;
  /** Makes the inbox watcher (tests pass a fake). @default chokidar, through `@hostkit/adapters/chokidar` */
  readonly createWatcher: (directory: string, stabilityThresholdMs: number) => FileWatcher;
}

/** What {@link addFileProcessing} needs from the rest of the application. */
export interface FileProcessingDependencies {
  /** The activity log every outcome is recorded in (rows of the `logs` table). */
  readonly activity: Token<ActivityLog>;
  /** Overrides (tests, benchmarks). */
  readonly options?: Partial<FileProcessingOptions>;
  /**
   * Cluster mode: uploads and inbox files become entries of the shared work queue, processed
   * once across the replicas that share DATA_DIR (see `addClusterFileProcessing`).
   */
  readonly cluster?: ClusterWiring | undefined;
}

/** The bounded channel between the producers (inbox watcher, upload route) and the processor. */
export const FileChannelToken: Token<Channel<FileWorkItem>> = createToken<Channel<FileWorkItem>>('FileChannel');
/** DATA_DIR's inbox/, outbox/, failed/ and uploads/, and the crash-safe operations on them. */
export const FileStoreToken: Token<FileStore> = createToken<FileStore>('FileStore');
/** The watcher of DATA_DIR/inbox (chokidar 6). */
export const InboxWatcherToken: Token<FileWatcher> = createToken<FileWatcher>('InboxWatcher');

/**
 * Registers the file-processing sample and returns POST /upload and its GET /status counters:
 * - the bounded channel (CHANNEL_CAPACITY, `wait` mode: nothing is ever dropped from it);
 * - the {@link FileStore} over DATA_DIR, and {@link FileProcessingStartup}, which prepares it
 *   (directories, crash recovery) before the other services start;
 * - the inbox watcher (chokidar) and {@link InboxWatcherService}, which feeds the channel from it;
 * - the scoped {@link ResultProcessor} and the single-reader {@link FileProcessingService};
 * - the `files` health check (readiness): degraded while the channel is full.
 */
export function addFileProcessing(builder: HostApplicationBuilder, config: AppConfig, deps: FileProcessingDependencies): FeatureRoutes {
  const options = resolveOptions(deps.options);
  if (deps.cluster !== undefined) return addClusterFileProcessing(builder, config, { activity: deps.activity, cluster: deps.cluster, options });
  const channel = createBoundedChannel<FileWorkItem>({ capacity: config.channelCapacity, name: 'files' });
  const store = new FileStore({ dataDir: config.dataDir, sync: options.syncWrites });
  const counters = new FileProcessingCounters();
  const storage = new StorageMonitor(config.dataDir);
  // Set when the container builds the services; the route and status read them per request.
  let activity: ActivityLog | undefined;
  let uploadLogger: Logger | undefined;
  let time: TimeProvider | undefined;
  let watcherService: InboxWatcherService | undefined;

  builder.services.addInstance(FileChannelToken, channel);
  builder.services.addInstance(FileStoreToken, store);
  builder.services.addSingleton(InboxWatcherToken, () => options.createWatcher(store.inbox, options.stabilityThresholdMs));
  builder.services.addScoped(ResultProcessor, [TimeProviderToken], (timeProvider) =>
    new ResultProcessor({ timeProvider, processingDelayMs: options.processingDelayMs }),
  );
  builder.services.addHostedService(
    FileProcessingStartup,
    [TimeProviderToken, LoggerFactoryToken, deps.activity],
    (timeProvider, loggers, activityLog) => {
      time = timeProvider;
      activity = activityLog;
      uploadLogger = loggers.createLogger('samples.FileUpload');
      return new FileProcessingStartup(store, counters, loggers.createLogger('samples.FileProcessingStartup'), activityLog);
    },
  );
  builder.services.addHostedService(
    InboxWatcherService,
    [InboxWatcherToken, TimeProviderToken, LoggerFactoryToken],
    (watcher, timeProvider, loggers) => {
      watcherService = new InboxWatcherService({
        watcher,
        writer: channel.writer,
        store,
        timeProvider,
        logger: loggers.createLogger('samples.InboxWatcher'),
        // The feeder must be able to fill the channel and have one more file being processed.
        maxPending: Math.max(1000, config.channelCapacity + 2),
        rescanIntervalMs: options.rescanIntervalMs,
      });
      return watcherService;
    },
  );
  builder.services.addHostedService(
    FileProcessingService,
    [ServiceScopeFactory, TimeProviderToken, LoggerFactoryToken, deps.activity],
    (scopes, timeProvider, loggers, activityLog) =>
      new FileProcessingService({
        reader: channel.reader,
        scopes,
        store,
        counters,
        timeProvider,
        logger: loggers.createLogger('samples.FileProcessing'),
        activityLog,
        maxAttempts: options.maxAttempts,
        retryDelayMs: options.retryDelayMs,
        storage,
      }),
  );
  builder.healthChecks.add({
    name: 'storage',
    // Degraded, on both probes: a full disk is worth seeing everywhere, but a restart would not
    // free space, and the uploads that fit nowhere are answered 507 with Retry-After meanwhile.
    check: () => storage.health(),
    tags: [HealthCheckTags.live, HealthCheckTags.ready],
  });

  builder.healthChecks.add({
    name: 'files',
    // Degraded at worst: a full queue is back-pressure (uploads get 503 and retry), not a fault.
    // A faulted file service is reported by the host's own `hostkit.services` check.
    check: () => {
      const depth = channel.reader.count;
      if (depth >= config.channelCapacity) {
        return { status: 'degraded', description: `The processing queue is full (${depth} of ${config.channelCapacity}): uploads may be answered 503` };
      }
      return { status: 'healthy', description: `${depth} of ${config.channelCapacity} queued; ${counters.processed} processed, ${counters.failed} failed` };
    },
    tags: [HealthCheckTags.ready],
  });

  const stagingQuota = new StagingQuota(config.uploadStagingMaxBytes);
  // When the processor last finished a file while the channel was full: to refuse before reading
  // a body when queueing it is hopeless.
  let stall: { readonly done: number; readonly since: number } | undefined;
  const mount = (app: SamplesApp): void => addUploadRoute(app, {
    store,
    writer: channel.writer,
    maxInProgress: config.uploadsMaxInProgress,
    idleTimeoutMs: config.uploadIdleTimeoutMs,
    stagingQuota,
    idempotency: new UploadIdempotencyStore(config.dataDir, () => time ?? builder.timeProvider),
    refuseEarly: () => {
      // Full, and nothing taken from it for longer than an upload may wait for room: another
      // upload would be received and stored only to be refused at the queueing deadline.
      const clock = time ?? builder.timeProvider;
      const done = counters.processed + counters.failed + counters.gone;
      if (channel.reader.count < config.channelCapacity) {
        stall = undefined;
        return undefined;
      }
      if (stall === undefined || stall.done !== done) {
        stall = { done, since: clock.timestamp() };
        return undefined;
      }
      if (clock.elapsedSince(stall.since) < options.queueTimeoutMs) return undefined;
      return `The processing queue is full (${channel.reader.count} of ${config.channelCapacity}) and has not moved for ${options.queueTimeoutMs} ms; try again later`;
    },
    counters,
    get timeProvider(): TimeProvider {
      return time ?? builder.timeProvider;
    },
    maxBytes: config.uploadMaxBytes,
    queueTimeoutMs: options.queueTimeoutMs,
    retryAfterSeconds: options.retryAfterSeconds,
    activityLog: () => activity,
    logger: () => uploadLogger,
    storage,
  });

  const status = (): Record<string, unknown> => {
    const feeder = watcherService?.stats;
    return {
      channelDepth: channel.reader.count,
      channelCapacity: config.channelCapacity,
      processed: counters.processed,
      failed: counters.failed,
      // Inbox reports the feeder let go because it was tracking its maximum; a rescan finds those
      // files again, so "dropped" never means lost.
      dropped: feeder?.dropped ?? 0,
      retried: counters.retried,
      gone: counters.gone,
      inbox: {
        queued: feeder?.queued ?? 0,
        inFlight: feeder?.inFlight ?? 0,
        delivered: feeder?.delivered ?? 0,
        rescans: feeder?.rescans ?? 0,
      },
      uploads: {
        accepted: counters.uploadsAccepted,
        tooLarge: counters.uploadsTooLarge,
        invalid: counters.uploadsInvalid,
        rejectedBusy: counters.uploadsRejectedBusy,
        rejectedNoSpace: counters.uploadsRejectedNoSpace,
        stagingBytes: stagingQuota.used,
        stagingMaxBytes: stagingQuota.limit,
      },
      storage: storage.snapshot(),
      recovery: counters.recovery ?? null,
    };
  };
  return { mount, status };
}

/**
 * Prepares DATA_DIR before the other file services start (hosted services start in registration
 * order, and this one is registered first): creates the directories and recovers what a crash
 * left behind (see `FileStore`). A failure here fails the host's start: processing on a data
 * directory that could not be checked could lose files.
 */
export class FileProcessingStartup implements HostedService {
  readonly #store: FileStore;
  readonly #counters: FileProcessingCounters;
  readonly #logger: Logger;
  readonly #activity: ActivityLog;

  constructor(store: FileStore, counters: FileProcessingCounters, logger: Logger, activity: ActivityLog) {
    this.#store = store;
    this.#counters = counters;
    this.#logger = logger;
    this.#activity = activity;
  }

  /** Called by the host at start, before the inbox watcher and the processor start. */
  async start(signal: AbortSignal): Promise<void> {
    signal.throwIfAborted();
    const report = await this.#store.prepare();
    this.#counters.recovery = report;
    const { stagingRemoved, uploadsRequeued, temporaryRemoved, orphanReportsRemoved } = report;
    if (stagingRemoved + uploadsRequeued + temporaryRemoved + orphanReportsRemoved > 0) {
      const summary =
        `recovered after an unclean stop: ${uploadsRequeued} accepted upload(s) requeued, ${stagingRemoved} partial upload(s) removed, ` +
        `${temporaryRemoved} temporary file(s) removed, ${orphanReportsRemoved} orphaned failure report(s) removed`;
      this.#logger.warn(`File processing ${summary}`, { ...report });
      this.#activity.write(FILES_ACTIVITY_SOURCE, summary);
    }
    this.#logger.info(`File processing: watching ${this.#store.inbox}, results in ${this.#store.outbox}`);
  }

  /** Nothing to stop: the other services own the work. */
  async stop(_signal: AbortSignal): Promise<void> {}
}

/** The options with their defaults applied. */
export function resolveOptions(overrides: Partial<FileProcessingOptions> | undefined): FileProcessingOptions {
  return {
    processingDelayMs: overrides?.processingDelayMs ?? readDelayVariable(),
    maxAttempts: overrides?.maxAttempts ?? 3,
    retryDelayMs: overrides?.retryDelayMs ?? 500,
    queueTimeoutMs: overrides?.queueTimeoutMs ?? 3_000,
    retryAfterSeconds: overrides?.retryAfterSeconds ?? 5,
    stabilityThresholdMs: overrides?.stabilityThresholdMs ?? 2_000,
    rescanIntervalMs: overrides?.rescanIntervalMs ?? 60_000,
    syncWrites: overrides?.syncWrites ?? true,
    createWatcher:
      overrides?.createWatcher ??
      ((directory, stabilityThreshold) => createChokidarFileWatcher({ directory, stabilityThreshold })),
  };
}

/** Reads FILE_PROCESSING_DELAY_MS: unset or empty is 0; anything but an integer from 0 to 600000 is an error. */
function readDelayVariable(): number {
  const text = process.env[PROCESSING_DELAY_VARIABLE];
  if (text === undefined || text === '') return 0;
  const value = Number(text);
  if (!/^\d+$/.test(text) || value > 600_000) {
    throw new RangeError(`Expected ${PROCESSING_DELAY_VARIABLE} to be an integer from 0 to 600000 (ms), got ${JSON.stringify(text)} (string)`);
  }
  return value;
}
