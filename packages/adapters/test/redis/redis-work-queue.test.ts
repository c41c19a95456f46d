import { describe, expect, it } from 'vitest';
import { WorkItemLostError, WorkQueueClosedError, type WorkItem, type WorkQueue, type WorkQueueOptions } from '@hostkit/core';
import { describeWorkQueueContract } from '../../../core/test/work-queue/work-queue-contract.ts';
import { RedisWorkQueue, type RedisConnection } from '../../src/redis/index.ts';
import type { LuaScript } from '../../src/redis/lua-script.ts';
import { ackManyScript, handoverScript } from '../../src/redis/work-queue-scripts.ts';
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

/**
 * A handle on a connection whose script calls and reader commands are recorded, for tests of how
 * many round trips the queue makes.
 */
async function recordedQueue(
  keyPrefix: string,
  options: WorkQueueOptions & { readonly prefetch?: number } = {},
): Promise<{ queue: RedisWorkQueue<unknown>; scripts: LuaScript[]; readerCommands: string[][]; close: () => Promise<void> }> {
  const connection = await connectTestRedis();
  const scripts: LuaScript[] = [];
  const readerCommands: string[][] = [];
  const runScript = connection.runScript.bind(connection);
  connection.runScript = ((script: LuaScript, ...rest: Parameters<typeof runScript> extends [unknown, ...infer R] ? R : never) => {
    scripts.push(script);
    return runScript(script, ...rest);
  }) as typeof connection.runScript;
  const duplicate = connection.duplicate.bind(connection);
  connection.duplicate = ((...args: Parameters<typeof duplicate>) => {
    const reader = duplicate(...args);
    const sendCommand = reader.sendCommand.bind(reader);
    reader.sendCommand = ((command: readonly string[], ...rest: unknown[]) => {
      readerCommands.push([...command]);
      return (sendCommand as (...a: unknown[]) => Promise<unknown>)(command, ...rest);
    }) as typeof reader.sendCommand;
    return reader;
  }) as typeof connection.duplicate;
  const queue = new RedisWorkQueue<unknown>({ ...options, connection, name: 'jobs', keyPrefix, pollIntervalMs: 100 });
  return {
    queue,
    scripts,
    readerCommands,
    close: async () => {
      await queue.close();
      await connection.close();
    },
  };
}

/** One test's queue name and prefix; each handle gets its own connection, as another process would. */
async function queueFixture(): Promise<{
  createQueue: (options?: WorkQueueOptions & { readonly prefetch?: number; readonly idleConsumerTimeoutMs?: number }) => Promise<WorkQueue<unknown>>;
  admin: RedisConnection;
  keyPrefix: string;
  dispose: () => Promise<void>;
}> {
  const admin = await connectTestRedis('hostkit-test-admin');
  const keyPrefix = uniquePrefix();
  const handles: Array<{ queue: WorkQueue<unknown>; connection: RedisConnection }> = [];
  return {
    admin,
    keyPrefix,
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

    it('hands read-ahead entries waiting behind a long job to another handle without counting a delivery', async () => {
      const { createQueue, dispose } = await queueFixture();
      try {
        const options = { visibilityTimeoutMs: 300, maxDeliveries: 1 };
        const busy = await createQueue(options);
        const idle = await createQueue(options);
        for (const n of [1, 2, 3]) await busy.enqueue(n);
        // 2 and 3 are read ahead into busy's buffer with 1; its handler holds 1 for 4 visibility timeouts.
        const long = await busy.receive(AbortSignal.timeout(3_000));
        expect(long.payload).toBe(1);
        const got: Array<[unknown, number]> = [];
        for (let i = 0; i < 2; i++) {
          const extending = setInterval(() => void long.extend().catch(() => undefined), 100);
          try {
            const item = await idle.receive(AbortSignal.timeout(3_000));
            got.push([item.payload, item.deliveryCount]);
            await item.ack();
          } finally {
            clearInterval(extending);
          }
        }
        await long.ack();
        expect(got.sort(([x], [y]) => Number(x) - Number(y))).toEqual([[2, 1], [3, 1]]);
        expect(await idle.deadLetters()).toEqual([]);
        expect(await idle.counts()).toEqual({ waiting: 0, inFlight: 0, dead: 0 });
      } finally {
        await dispose();
      }
    });

    it('delivers the read-ahead entries of a crashed consumer without counting a delivery, claiming at most prefetch at once', async () => {
      const { createQueue, admin, keyPrefix, dispose } = await queueFixture();
      try {
        const options = { visibilityTimeoutMs: 300, maxDeliveries: 1 };
        const producer = await createQueue(options);
        for (const n of [1, 2, 3, 4, 5]) await producer.enqueue(n);
        // What a consumer killed right after a read ahead leaves: 5 entries pending for it, never handed to a handler.
        const stream = `${keyPrefix}{jobs}:stream`;
        await admin.sendCommand(['XGROUP', 'CREATE', stream, 'hostkit', '0', 'MKSTREAM']);
        await admin.sendCommand(['XREADGROUP', 'GROUP', 'hostkit', 'crashed', 'COUNT', '5', 'STREAMS', stream, '>']);
        const survivor = await createQueue({ ...options, prefetch: 2 });
        const first = await survivor.receive(AbortSignal.timeout(3_000));
        const [, , , perConsumer] = await admin.sendCommand<[number, string, string, Array<[string, string]>]>(['XPENDING', stream, 'hostkit']);
        const claimed = perConsumer.filter(([consumer]) => consumer !== 'crashed').reduce((sum, [, count]) => sum + Number(count), 0);
        expect(claimed).toBeLessThanOrEqual(2);
        const got: Array<[unknown, number]> = [[first.payload, first.deliveryCount]];
        await first.ack();
        for (let i = 0; i < 4; i++) {
          const item = await survivor.receive(AbortSignal.timeout(3_000));
          got.push([item.payload, item.deliveryCount]);
          await item.ack();
        }
        expect(got.sort(([x], [y]) => Number(x) - Number(y))).toEqual([[1, 1], [2, 1], [3, 1], [4, 1], [5, 1]]);
        expect(await survivor.counts()).toEqual({ waiting: 0, inFlight: 0, dead: 0 });
      } finally {
        await dispose();
      }
    });

    it('finds an expired delivery behind more than a page of long-extended ones', async () => {
      const { createQueue, dispose } = await queueFixture();
      try {
        const options = { visibilityTimeoutMs: 1_000, prefetch: 200 };
        const holder = await createQueue(options);
        await Promise.all(Array.from({ length: 150 }, (_, n) => holder.enqueue(n)));
        const held: WorkItem<unknown>[] = [];
        for (let n = 0; n < 150; n++) {
          const item = await holder.receive(AbortSignal.timeout(3_000));
          await item.extend(60_000);
          held.push(item);
        }
        await holder.enqueue('forgotten');
        const forgotten = await holder.receive(AbortSignal.timeout(3_000));
        expect(forgotten.payload).toBe('forgotten');
        // Its consumer hangs: the delivery expires behind 150 entries that are extended for a minute.
        const rescuer = await createQueue(options);
        const again = await rescuer.receive(AbortSignal.timeout(4_000));
        expect([again.payload, again.deliveryCount]).toEqual(['forgotten', 2]);
        await again.ack();
        for (const item of held) await item.ack();
      } finally {
        await dispose();
      }
    });

    it('removes consumers that crashed with nothing pending, and trims entries nobody needs from the stream', async () => {
      const { createQueue, admin, keyPrefix, dispose } = await queueFixture();
      try {
        const stream = `${keyPrefix}{jobs}:stream`;
        await admin.sendCommand(['XGROUP', 'CREATE', stream, 'hostkit', '0', 'MKSTREAM']);
        // A consumer whose process died, leaving only its name in the group.
        await admin.sendCommand(['XGROUP', 'CREATECONSUMER', stream, 'hostkit', 'crashed']);
        // An entry read and acked without being deleted (by an older version, or by hand): it would stay forever.
        const staleId = await admin.sendCommand<string>(['XADD', stream, '*', 'id', 'x', 'payload', '1', 'enqueuedAt', '0', 'priorDeliveries', '0']);
        await admin.sendCommand(['XREADGROUP', 'GROUP', 'hostkit', 'crashed', 'STREAMS', stream, '>']);
        await admin.sendCommand(['XACK', stream, 'hostkit', staleId]);
        await sleep(300);
        const queue = await createQueue({ idleConsumerTimeoutMs: 200 });
        await queue.enqueue('live');
        const item = await queue.receive(AbortSignal.timeout(3_000));
        const consumers = async (): Promise<string[]> =>
          (await admin.sendCommand<Array<Array<string | number>>>(['XINFO', 'CONSUMERS', stream, 'hostkit'])).map((fields) => String(fields[1]));
        await until(async () => !(await consumers()).includes('crashed'), 3_000, 'the crashed consumer to be removed');
        // The live handle's own consumer stays, and so does the entry it is handling.
        expect(await consumers()).toHaveLength(1);
        const left = await admin.sendCommand<Array<[string, string[]]>>(['XRANGE', stream, '-', '+']);
        expect(left.map(([, fields]) => fields[1])).not.toContain('x');
        await item.ack();
      } finally {
        await dispose();
      }
    });

    it('fails the read-ahead entries Redis lost with the stream as lost, and delivers what is enqueued afterwards', async () => {
      const { createQueue, admin, keyPrefix, dispose } = await queueFixture();
      try {
        const queue = await createQueue({ visibilityTimeoutMs: 5_000 });
        await queue.enqueue('a');
        await queue.enqueue('b');
        await (await queue.receive(AbortSignal.timeout(3_000))).ack();
        // 'b' is read ahead; then Redis loses its data (a restart without persistence, a FLUSHALL).
        await deleteKeys(admin, keyPrefix);
        await queue.enqueue('after the loss');
        // 'b' may still be handed out from the buffer; it is lost with the stream, and says so.
        const received = [await queue.receive(AbortSignal.timeout(3_000))];
        if (received[0]?.payload === 'b') received.push(await queue.receive(AbortSignal.timeout(3_000)));
        const acks = await Promise.allSettled(received.map((item) => item.ack()));
        expect(received.map((item) => item.payload).at(-1)).toBe('after the loss');
        expect(acks.at(-1)?.status).toBe('fulfilled');
        // A phantom 'b', if any, failed as lost.
        expect(acks.slice(0, -1).every((ack) => ack.status === 'rejected' && ack.reason instanceof WorkItemLostError)).toBe(true);
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

    it('acks the items of one tick in one script call, and records no handover for items acked before it was sent', async () => {
      const { createQueue, keyPrefix, dispose } = await queueFixture();
      const recorded = await recordedQueue(keyPrefix, { prefetch: 20 });
      try {
        const producer = await createQueue();
        await producer.enqueueMany(Array.from({ length: 20 }, (_, i) => i));
        const items = await Promise.all(Array.from({ length: 20 }, () => recorded.queue.receive(AbortSignal.timeout(5_000))));
        const before = recorded.scripts.length;
        await Promise.all(items.map((item) => item.ack()));
        expect(recorded.scripts.slice(before)).toEqual([ackManyScript]);
        await sleep(50);
        expect(recorded.scripts.filter((script) => script === handoverScript)).toEqual([]);
        expect(await producer.counts()).toEqual({ waiting: 0, inFlight: 0, dead: 0 });
      } finally {
        await recorded.close();
        await dispose();
      }
    });

    it('counts the delivery of an item nacked or extended in the tick it was received, recording its handover first', async () => {
      const { createQueue, keyPrefix, dispose } = await queueFixture();
      const recorded = await recordedQueue(keyPrefix, { maxDeliveries: 1 });
      try {
        const producer = await createQueue();
        await producer.enqueueMany(['nacked', 'extended']);
        const nacked = await recorded.queue.receive(AbortSignal.timeout(5_000));
        await nacked.nack({ reason: 'failed at once' });
        expect(await producer.deadLetters()).toMatchObject([{ id: nacked.id, deliveryCount: 1, reason: 'failed at once' }]);
        const extended = await recorded.queue.receive(AbortSignal.timeout(5_000));
        const handoversBefore = recorded.scripts.filter((script) => script === handoverScript).length;
        await extended.extend();
        expect(recorded.scripts.filter((script) => script === handoverScript).length).toBe(handoversBefore + 1);
        await extended.ack();
      } finally {
        await recorded.close();
        await dispose();
      }
    });

    it('reads as many entries at once as receives wait, beyond prefetch', async () => {
      const { createQueue, keyPrefix, dispose } = await queueFixture();
      const recorded = await recordedQueue(keyPrefix, { prefetch: 2 });
      try {
        const producer = await createQueue();
        const receives = Array.from({ length: 50 }, () => recorded.queue.receive(AbortSignal.timeout(5_000)));
        await until(() => recorded.readerCommands.some((command) => command[0] === 'XREADGROUP'), 5_000, 'the reader to block');
        await producer.enqueueMany(Array.from({ length: 50 }, (_, i) => i));
        const items = await Promise.all(receives);
        expect(new Set(items.map((item) => item.payload)).size).toBe(50);
        const counts = recorded.readerCommands
          .filter((command) => command[0] === 'XREADGROUP')
          .map((command) => Number(command[command.indexOf('COUNT') + 1]));
        expect(Math.max(...counts)).toBe(50);
        await Promise.all(items.map((item) => item.ack()));
      } finally {
        await recorded.close();
        await dispose();
      }
    });

    it('tops its buffer up without blocking once half of prefetch is handed out, never holding more than prefetch', async () => {
      const { createQueue, keyPrefix, dispose } = await queueFixture();
      const recorded = await recordedQueue(keyPrefix, { prefetch: 4 });
      try {
        const producer = await createQueue();
        await producer.enqueueMany(Array.from({ length: 20 }, (_, i) => i));
        const reads = (): string[][] => recorded.readerCommands.filter((command) => command[0] === 'XREADGROUP');
        const received = [await recorded.queue.receive(AbortSignal.timeout(5_000))];
        expect(reads()).toHaveLength(1);
        // 3 buffered: above half of prefetch, nothing more is read.
        received.push(await recorded.queue.receive(AbortSignal.timeout(5_000)));
        // 2 buffered: the reader reads 2 more at once, without BLOCK, before the buffer runs dry.
        await until(() => reads().length === 2, 5_000, 'the read ahead');
        const readAhead = reads()[1]!;
        expect(readAhead).not.toContain('BLOCK');
        expect(Number(readAhead[readAhead.indexOf('COUNT') + 1])).toBe(2);
        for (let i = 0; i < 2; i++) received.push(await recorded.queue.receive(AbortSignal.timeout(5_000)));
        // Handed out + buffered, as Redis sees it: 4 handed, at most 4 buffered.
        const { inFlight } = await producer.counts();
        expect(inFlight).toBeLessThanOrEqual(received.length + 4);
        await Promise.all(received.map((item) => item.ack()));
        // The rest still arrives exactly once each.
        const rest = await Promise.all(Array.from({ length: 16 }, () => recorded.queue.receive(AbortSignal.timeout(5_000))));
        expect(new Set([...received, ...rest].map((item) => item.payload)).size).toBe(20);
        await Promise.all(rest.map((item) => item.ack()));
        expect(await producer.counts()).toEqual({ waiting: 0, inFlight: 0, dead: 0 });
      } finally {
        await recorded.close();
        await dispose();
      }
    });

    it('does not read ahead from a stream its last read found empty', async () => {
      const { createQueue, keyPrefix, dispose } = await queueFixture();
      const recorded = await recordedQueue(keyPrefix, { prefetch: 4 });
      try {
        const producer = await createQueue();
        await producer.enqueueMany([1, 2]);
        const first = await recorded.queue.receive(AbortSignal.timeout(5_000));
        const second = await recorded.queue.receive(AbortSignal.timeout(5_000));
        await sleep(100);
        // The first read asked for 4 and got 2: the stream was empty, so no read ahead followed.
        expect(recorded.readerCommands.filter((command) => command[0] === 'XREADGROUP')).toHaveLength(1);
        await Promise.all([first.ack(), second.ack()]);
      } finally {
        await recorded.close();
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
