import { createToken, type DistributedCache, type DistributedLock, type Token, type WorkQueue } from '@hostkit/core';
import { ClusterRunLogToken, type SqliteClusterRunLog } from '../database/cluster-run-log.ts';
import type { FileWorkEntry } from './file-work.ts';

/**
 * What the features use in cluster mode, as DI tokens: {@link addCluster} registers them (over
 * Redis), tests register in-memory ones ({@link addInMemoryCluster}). A feature given no
 * `ClusterWiring` runs exactly as in single-process mode.
 */
export interface ClusterWiring {
  /** REPLICA_ID: this replica's name in logs and run records. */
  readonly replicaId: string;
  /** LEASE_TTL_MS. */
  readonly leaseTtlMs: number;
  /** The lock of the cluster singletons (weather refresh, cleanup). */
  readonly lock: Token<DistributedLock>;
  /** The shared record of singleton runs (DATA_DIR/app.db, `cluster_runs`). */
  readonly runs: Token<SqliteClusterRunLog>;
  /** The shared weather cache. */
  readonly cache: Token<DistributedCache>;
  /** The shared queue of files to process. */
  readonly fileQueue: Token<WorkQueue<FileWorkEntry>>;
}

/** The DistributedLock of the cluster singletons. */
export const DistributedLockToken: Token<DistributedLock> = createToken<DistributedLock>('DistributedLock');
/** The shared DistributedCache (Redis in cluster mode). */
export const SharedCacheToken: Token<DistributedCache> = createToken<DistributedCache>('SharedDistributedCache');
/** The file work queue (Redis in cluster mode). */
export const FileWorkQueueToken: Token<WorkQueue<FileWorkEntry>> = createToken<WorkQueue<FileWorkEntry>>('FileWorkQueue');

/** The wiring over the tokens of this module, for `replicaId` and `leaseTtlMs`. */
export function clusterWiring(replicaId: string, leaseTtlMs: number): ClusterWiring {
  return { replicaId, leaseTtlMs, lock: DistributedLockToken, runs: ClusterRunLogToken, cache: SharedCacheToken, fileQueue: FileWorkQueueToken };
}
