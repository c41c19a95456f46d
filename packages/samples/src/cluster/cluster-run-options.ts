import type { BackgroundServiceOptions, DistributedLock, Logger, TimeProvider } from '@hostkit/core';
import type { SqliteClusterRunLog } from '../database/cluster-run-log.ts';

/**
 * What a feature that runs as a cluster singleton (the cleanup, the weather refresh) needs in
 * cluster mode: the lock it campaigns on, and the shared record its runs go to.
 */
export interface ClusterRunOptions {
  /** The lock over the shared lease store. */
  readonly lock: DistributedLock;
  /** Time-to-live of the lease (LEASE_TTL_MS). */
  readonly leaseTtlMs: number;
  /** The shared record of runs: each with this replica, the lease's fencing token, start and end. */
  readonly runs: SqliteClusterRunLog;
  /** REPLICA_ID, recorded with each run. */
  readonly replicaId: string;
}

/**
 * The BackgroundService options of a feature that runs as the cluster singleton `name` in cluster
 * mode, and as a plain background service (no options) without it.
 */
export function clusterSingletonServiceOptions(
  cluster: ClusterRunOptions | undefined,
  name: string,
  time: TimeProvider,
  logger: Logger,
): BackgroundServiceOptions {
  if (cluster === undefined) return {};
  return { timeProvider: time, logger, clusterSingleton: { lock: cluster.lock, name, leaseTtlMs: cluster.leaseTtlMs } };
}
