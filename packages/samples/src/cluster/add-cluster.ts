import {
  DistributedLock,
  HealthCheckTags,
  type DistributedCache,
  type HostApplicationBuilder,
  type HostedService,
  type LeaseStore,
  type Logger,
  LoggerFactoryToken,
  type TimeProvider,
  TimeProviderToken,
  type WorkQueue,
  type WorkQueueOptions,
} from '@hostkit/core';
import type { AppConfig } from '../config/app-config.ts';
import { ClusterRunLogToken, SqliteClusterRunLog } from '../database/cluster-run-log.ts';
import { clusterWiring, DistributedLockToken, FileWorkQueueToken, SharedCacheToken, type ClusterWiring } from './cluster-tokens.ts';
import { FILE_WORK_QUEUE_NAME, type FileWorkEntry } from './file-work.ts';

/**
 * Where the cluster's shared state lives: Redis in the program ({@link createRedisClusterBackend}),
 * memory in tests ({@link createMemoryClusterBackend}). One per process.
 */
export interface ClusterBackend {
  /** What the log says it is, without credentials (`redis 127.0.0.1:6379`). */
  readonly description: string;
  readonly leaseStore: LeaseStore;
  readonly cache: DistributedCache;
  /** A handle on the queue `name`; the backend closes it in {@link close}. */
  createWorkQueue<T>(name: string, options: WorkQueueOptions): WorkQueue<T>;
  /** Whether commands can be sent now (false while the connection is down and reconnecting). */
  readonly isConnected: boolean;
  /** Connects; called by the host at start, before any service uses the backend. */
  connect(signal: AbortSignal): Promise<void>;
  /** Closes the queues and the connection; called at stop, after every other service has stopped. */
  close(): Promise<void>;
}

/** Makes the backend once the host's clock and loggers exist. */
export type ClusterBackendFactory = (context: { readonly time: TimeProvider; readonly logger: Logger; readonly config: AppConfig }) => ClusterBackend;

/** Deliveries of a file entry before it goes to `failed/` (then the entry is acked). */
export const FILE_MAX_ATTEMPTS = 3;

/**
 * Registers cluster mode's shared services and returns the wiring the features take:
 * - the {@link ClusterBackend} (one connection per process), connected by
 *   {@link ClusterConnectionService}, which is registered here FIRST so it starts before every
 *   feature and stops (closing the queues and the connection) after all of them;
 * - the {@link DistributedLock} of the cluster singletons over the backend's lease store;
 * - the shared cache (the weather forecast) and the file work queue;
 * - the `cluster_runs` record in DATA_DIR/app.db (shared by the replicas through DATA_DIR).
 */
export function addCluster(builder: HostApplicationBuilder, config: AppConfig, factory: ClusterBackendFactory): ClusterWiring {
  let backend: ClusterBackend | undefined;
  const getBackend = (time: TimeProvider, logger: Logger): ClusterBackend => {
    backend ??= factory({ time, logger, config });
    return backend;
  };
  builder.services.addHostedService(ClusterConnectionService, [TimeProviderToken, LoggerFactoryToken], (time, loggers) => {
    const logger = loggers.createLogger('samples.Cluster');
    return new ClusterConnectionService(getBackend(time, logger), config.replicaId, logger);
  });
  builder.services.addSingleton(DistributedLockToken, [TimeProviderToken, LoggerFactoryToken], (time, loggers) => {
    const logger = loggers.createLogger('samples.Cluster');
    return new DistributedLock(getBackend(time, logger).leaseStore, { timeProvider: time, logger: loggers.createLogger('samples.Lease') });
  });
  builder.services.addSingleton(SharedCacheToken, [TimeProviderToken, LoggerFactoryToken], (time, loggers) =>
    getBackend(time, loggers.createLogger('samples.Cluster')).cache,
  );
  builder.services.addSingleton(FileWorkQueueToken, [TimeProviderToken, LoggerFactoryToken], (time, loggers) =>
    getBackend(time, loggers.createLogger('samples.Cluster')).createWorkQueue<FileWorkEntry>(FILE_WORK_QUEUE_NAME, {
      visibilityTimeoutMs: config.workVisibilityTimeoutMs,
      // The handler moves a file to failed/ on its FILE_MAX_ATTEMPTS-th delivery and acks it; the
      // dead-letter list only gets an entry whose failure could not even be recorded.
      maxDeliveries: FILE_MAX_ATTEMPTS + 2,
      retryBackoff: { initialMs: 500, maxMs: 30_000 },
    }),
  );
  builder.services.addSingleton(ClusterRunLogToken, () => new SqliteClusterRunLog(config.dataDir));
  // Readiness only: without the shared store a replica can neither queue an upload nor lead, but
  // restarting it (liveness) would not bring the store back; it reconnects by itself.
  builder.healthChecks.add({
    name: 'cluster',
    check: () =>
      backend === undefined || backend.isConnected
        ? { status: 'healthy', description: `Replica ${config.replicaId} is connected to ${backend?.description ?? 'the shared store'}` }
        : { status: 'unhealthy', description: `Replica ${config.replicaId} has lost ${backend.description}; reconnecting` },
    tags: [HealthCheckTags.ready],
  });
  return clusterWiring(config.replicaId, config.leaseTtlMs);
}

/**
 * Connects the cluster backend at start (waiting for it: a replica that cannot reach Redis does
 * not start serving; the host's start is cancelled by a stop signal) and closes it at stop.
 */
export class ClusterConnectionService implements HostedService {
  readonly #backend: ClusterBackend;
  readonly #replicaId: string;
  readonly #logger: Logger;

  constructor(backend: ClusterBackend, replicaId: string, logger: Logger) {
    this.#backend = backend;
    this.#replicaId = replicaId;
    this.#logger = logger;
  }

  async start(signal: AbortSignal): Promise<void> {
    this.#logger.info(`Cluster mode: replica ${this.#replicaId} connecting to ${this.#backend.description}`);
    await this.#backend.connect(signal);
    this.#logger.info(`Cluster mode: replica ${this.#replicaId} connected to ${this.#backend.description}`);
  }

  async stop(_signal: AbortSignal): Promise<void> {
    await this.#backend.close();
  }
}
