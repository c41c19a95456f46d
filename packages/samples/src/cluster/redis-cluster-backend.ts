import { createRedisConnection, RedisDistributedCache, RedisLeaseStore, RedisWorkQueue } from '@hostkit/adapters/redis';
import type { WorkQueue, WorkQueueOptions } from '@hostkit/core';
import type { ClusterBackend, ClusterBackendFactory } from './add-cluster.ts';

/**
 * The program's {@link ClusterBackend}: ONE Redis connection per process (its outages and
 * reconnections are logged by the adapter, once each), shared by the lease store, the cache and
 * the work queues (each queue duplicates it for its blocking reads).
 */
export const createRedisClusterBackend: ClusterBackendFactory = ({ logger, config }) => {
  const url = config.redisUrl;
  if (url === undefined) throw new Error('Cluster mode needs REDIS_URL');
  const connection = createRedisConnection({ url, logger, name: `hostkit-samples-${config.replicaId}` });
  const queues: WorkQueue<unknown>[] = [];
  const backend: ClusterBackend = {
    description: `Redis at ${connection.endpoint}`,
    leaseStore: new RedisLeaseStore({ connection, keyPrefix: 'hostkit-samples:lease:' }),
    cache: new RedisDistributedCache({ connection, keyPrefix: 'hostkit-samples:cache:' }),
    createWorkQueue<T>(name: string, options: WorkQueueOptions): WorkQueue<T> {
      const queue = new RedisWorkQueue<T>({
        ...options,
        connection,
        name,
        keyPrefix: 'hostkit-samples:queue:',
        // Entries buffered by a replica wait behind its own work (and are redelivered only after
        // the visibility timeout if it dies): keep the buffer about one round of work.
        prefetch: Math.max(1, config.workConcurrency),
        logger,
      });
      queues.push(queue as WorkQueue<unknown>);
      return queue;
    },
    get isConnected(): boolean {
      return connection.isReady;
    },
    connect: (signal) => connection.connect(signal),
    close: async () => {
      await Promise.allSettled(queues.map((queue) => queue.close()));
      await connection.close();
    },
  };
  return backend;
};
