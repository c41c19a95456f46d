/**
 * Cluster mode of the samples (REDIS_URL set): several replicas of the program share one Redis
 * and one DATA_DIR.
 *
 * - The weather refresh and the cleanup are CLUSTER SINGLETONS (core's
 *   `BackgroundServiceOptions.clusterSingleton` over a `DistributedLock`): only the replica holding
 *   the lease runs them. Each run is recorded in DATA_DIR/app.db's `cluster_runs` with the replica,
 *   the lease's fencing token, its start and its end; that record refuses a stale token, and is
 *   the cleanup's schedule (last recorded start + interval), so a new leader never runs early.
 * - Every replica serves GET /weather from the shared (Redis) cache.
 * - Uploads and inbox files become entries of a shared work queue, processed once across the
 *   replicas, idempotently (delivery is at least once): see `handleFileWork`.
 * @module
 */
export {
  addCluster,
  ClusterConnectionService,
  FILE_MAX_ATTEMPTS,
  type ClusterBackend,
  type ClusterBackendFactory,
} from './add-cluster.ts';
export { addClusterFileProcessing, type ClusterFileProcessingDependencies } from './add-cluster-file-processing.ts';
export { FileWorkConsumerService, InboxClaimService, type FileWorkConsumerServiceOptions, type InboxClaimServiceOptions } from './cluster-file-services.ts';
export { clusterWiring, DistributedLockToken, FileWorkQueueToken, SharedCacheToken, type ClusterWiring } from './cluster-tokens.ts';
export {
  FILE_WORK_QUEUE_NAME,
  fileWorkEntryFor,
  handleFileWork,
  type FileWorkContext,
  type FileWorkEntry,
  type FileWorkOutcome,
} from './file-work.ts';
export { createMemoryClusterBackend } from './memory-cluster-backend.ts';
