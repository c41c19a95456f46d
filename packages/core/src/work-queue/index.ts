/**
 * Work queues: the {@link WorkQueue} port (durable JSON entries, at-least-once delivery with
 * visibility timeouts, nack backoff and dead letters), {@link MemoryWorkQueue} (in-process), and
 * {@link consumeWorkQueue}, the consumer loop. The option checks and backoff every implementation
 * shares are in `@hostkit/core/adapter-kit`.
 * @module
 */
export type { DeadLetter, DeadLetterQuery, WorkItem, WorkQueue, WorkQueueOptions } from './work-queue.ts';
export { MemoryWorkQueue, type MemoryWorkQueueOptions } from './memory-work-queue.ts';
export { consumeWorkQueue, type ConsumeWorkQueueOptions, type WorkItemHandler } from './consume-work-queue.ts';
export { WorkItemLostError } from './work-item-lost-error.ts';
export { WorkQueueClosedError } from './work-queue-closed-error.ts';
