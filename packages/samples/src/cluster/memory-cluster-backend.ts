import { MemoryDistributedCache, MemoryLeaseStore, MemoryWorkQueue, type TimeProvider, type WorkQueue } from '@hostkit/core';
import type { ClusterBackend } from './add-cluster.ts';

/**
 * A {@link ClusterBackend} in memory: what tests compose cluster mode with (several hosts in one
 * process sharing it behave as replicas sharing Redis). Queues with the same name share entries.
 */
export function createMemoryClusterBackend(time: TimeProvider): ClusterBackend {
  const queues = new Map<string, WorkQueue<unknown>>();
  const leaseStore = new MemoryLeaseStore({ timeProvider: time });
  const cache = new MemoryDistributedCache({ timeProvider: time });
  return {
    description: 'memory',
    leaseStore,
    cache,
    createWorkQueue<T>(name: string, options: ConstructorParameters<typeof MemoryWorkQueue>[1]): WorkQueue<T> {
      let queue = queues.get(name);
      if (queue === undefined) {
        queue = new MemoryWorkQueue<unknown>(name, { ...options, timeProvider: time });
        queues.set(name, queue);
      }
      return queue as WorkQueue<T>;
    },
    isConnected: true,
    connect: async () => undefined,
    close: async () => undefined,
  };
}
