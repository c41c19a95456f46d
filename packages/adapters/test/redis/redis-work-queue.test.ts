import { describe, expect, it } from 'vitest';
import { WorkItemLostError, WorkQueueClosedError, type WorkQueue, type WorkQueueOptions } from '@hostkit/core';
import { describeWorkQueueContract } from '../../../core/test/work-queue/work-queue-contract.ts';
import { RedisWorkQueue, type RedisConnection } from '../../src/redis/index.ts';
import {
  advanceBySleeping,
  connectTestRedis,
  deleteKeys,
  describeWithRedis,
  redisSuiteOptions,
  sleep,
  uniquePrefix,
  until,
} from './redis-test-server.ts';

/** One test's queue name and prefix; each handle gets its own connection, as another process would. */
async function queueFixture(): Promise<{
  createQueue: (options?: WorkQueueOptions) => Promise<WorkQueue<unknown>>;
  admin: RedisConnection;
  dispose: () => Promise<void>;
}> {
  const admin = await connectTestRedis('hostkit-test-admin');
  const keyPrefix = uniquePrefix();
  const handles: Array<{ queue: WorkQueue<unknown>; connection: RedisConnection }> = [];
  return {
    admin,
    createQueue: async (options) => {
      const connection = await connectTestRedis();
      const queue = new RedisWorkQueue<unknown>({ ...options, connection, name: 'jobs', keyPrefix, pollIntervalMs: 100 });
      handles.push({ queue, connection });
      return queue;
    },
    dispose: async () => {
      for (const { queue, connection } of handles) {
        await queue.close();
        await connection.close();
      }
      await deleteKeys(admin, keyPrefix);
      await admin.close();
    },
  };
}

describeWithRedis('RedisWorkQueue', redisSuiteOptions, () => {
  describeWorkQueueContract('RedisWorkQueue', async () => {
    const { createQueue, dispose } = await queueFixture();
    return { createQueue, advance: advanceBySleeping, dispose };
  });

  describe('RedisWorkQueue on Redis', () => {
    it('redelivers to another process the entries a handle received and closed without acking, after visibility', async () => {
      const { createQueue, dispose } = await queueFixture();
      try {
        const first = await createQueue({ visibilityTimeoutMs: 300 });
        const second = await createQueue({ visibilityTimeoutMs: 300 });
        await first.enqueue('a');
        await first.enqueue('b');
        const taken = await first.receive(new AbortController().signal);
        await first.close();
        // 'b' was only prefetched: given back at close, so it comes at once, still on its first delivery.
        const started = Date.now();
        const b = await second.receive(AbortSignal.timeout(3_000));
        expect([b.payload, b.deliveryCount]).toEqual(['b', 1]);
        await b.ack();
        // 'a' was handed out: it stays invisible for its visibility timeout, then comes on its second delivery.
        const a = await second.receive(AbortSignal.timeout(3_000));
        expect([a.payload, a.deliveryCount, a.id]).toEqual(['a', 2, taken.id]);
        expect(Date.now() - started).toBeGreaterThanOrEqual(150);
        await expect(taken.ack()).rejects.toThrow(WorkItemLostError);
        await a.ack();
        expect(await second.counts()).toEqual({ waiting: 0, inFlight: 0, dead: 0 });
      } finally {
        await dispose();
      }
    });

    it('rejects a waiting receive with WorkQueueClosedError when its handle closes', async () => {
      const { createQueue, dispose } = await queueFixture();
      try {
        const queue = await createQueue();
        const pending = queue.receive(new AbortController().signal);
        await sleep(50);
        const started = Date.now();
        const closing = queue.close();
        await expect(pending).rejects.toThrow(WorkQueueClosedError);
        await closing;
        // The blocking read was ended by CLIENT UNBLOCK, not waited out.
        expect(Date.now() - started).toBeLessThan(400);
        await expect(queue.enqueue(1)).rejects.toThrow(WorkQueueClosedError);
      } finally {
        await dispose();
      }
    });

    it('delivers 1,000 entries to 4 consumers on 2 connections exactly once', async () => {
      const { createQueue, dispose } = await queueFixture();
      try {
        const producer = await createQueue();
        const consumers = [await createQueue(), await createQueue()];
        const total = 1_000;
        await Promise.all(Array.from({ length: total }, (_, n) => producer.enqueue(n)));
        const seen = new Map<unknown, number>();
        const controller = new AbortController();
        const consume = async (queue: WorkQueue<unknown>): Promise<void> => {
          while (!controller.signal.aborted) {
            const item = await queue.receive(controller.signal).catch(() => undefined);
            if (item === undefined) return;
            seen.set(item.payload, (seen.get(item.payload) ?? 0) + 1);
            await item.ack();
            if (seen.size === total) controller.abort();
          }
        };
        const loops = [0, 1, 2, 3].map((i) => consume(consumers[i % 2] as WorkQueue<unknown>));
        await until(() => seen.size === total, 20_000, 'every entry to be received');
        controller.abort();
        await Promise.all(loops);
        expect([...seen.values()].every((count) => count === 1)).toBe(true);
        expect(await producer.counts()).toEqual({ waiting: 0, inFlight: 0, dead: 0 });
      } finally {
        await dispose();
      }
    });

    it('resumes reading after its reading connection is killed', async () => {
      const { createQueue, admin, dispose } = await queueFixture();
      try {
        const queue = await createQueue();
        const pending = queue.receive(AbortSignal.timeout(5_000));
        await sleep(100);
        await admin.sendCommand(['CLIENT', 'KILL', 'TYPE', 'normal', 'SKIPME', 'yes']);
        await sleep(200);
        const producer = await createQueue();
        await producer.enqueue('after the kill');
        const item = await pending;
        expect(item.payload).toBe('after the kill');
        await item.ack();
      } finally {
        await dispose();
      }
    });
  });
});
