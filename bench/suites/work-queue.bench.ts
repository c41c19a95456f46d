/**
 * Work queue on Redis: jobs per second for no-op jobs with acknowledgement, one producer and four
 * consumers on one Redis server, hostkit's `RedisWorkQueue` against BullMQ doing the same on the
 * same server in the same run, on each of BullMQ's two drivers (its default `ioredis`, and the
 * official `redis` client through `RedisConnection.clientFactory`). There is one ratio per driver,
 * each with the target, so hostkit is judged against whichever driver is faster in the run.
 *
 * Every case does the same work per sample of N jobs, timed from the first enqueue until the N-th
 * acknowledgement:
 * - one producer adds N jobs one call per job (`enqueue` / `Queue.add`), 100 calls in flight at a
 *   time (each chunk of 100 awaited before the next), payload `{ i }`;
 * - four consumers, each with its own connections, take the jobs and acknowledge them without
 *   doing anything else (hostkit: `receive` then `ack`; BullMQ: a no-op processor, the job moved to
 *   completed and removed, `removeOnComplete: true`);
 * - the sample ends when N acknowledgements were counted, and the payloads are checked (the sum
 *   of every acknowledged `i` must be that of 0..N-1), so a side that lost or repeated a job fails
 *   the run instead of looking fast.
 *
 * The consumers are started once per side, before the first round (untimed), and wait for work
 * between samples, as a deployed worker does. Each case has its own key prefix;
 * its keys are deleted before and after the suite (BullMQ's `obliterate`, then a SCAN of its own
 * prefix; never FLUSHDB). The suite runs only when a Redis answers at REDIS_URL (default
 * redis://127.0.0.1:6379); otherwise it says so in one line and reports itself skipped.
 */
import process from 'node:process';
import { Queue, RedisConnection as BullMQRedisConnection, Worker, createNodeRedisClient } from 'bullmq';
import { createClient } from 'redis';
import type { WorkItem } from '../../packages/core/src/index.ts';
// By path, as the other suites import adapters (bench/README.md): `@hostkit/adapters/redis` resolves
// to the same file under the runner's `source` condition once the package exports it.
import { type RedisConnection, RedisWorkQueue, createRedisConnection } from '../../packages/adapters/src/redis/index.ts';
import { type BenchCase, atLeast, caseNamed, formatCount, formatOps, measureInterleaved, runSuite, speedRatio } from '../lib/harness.ts';

const CONSUMERS = 4;
/** Enqueue calls in flight at a time, on both sides. */
const CHUNK = 100;
/**
 * Jobs in flight per consumer, on both sides (hostkit: that many receive-ack loops per handle;
 * BullMQ: worker concurrency). For BullMQ it is the setting that gave BullMQ its best throughput with four workers on
 * this workload, on either driver (concurrency 1 per worker: ~18k jobs/s on ioredis, ~14k on
 * node-redis; 10 to 50: ~23-24.5k on ioredis, ~17-18k on node-redis; 100 and 200 no better;
 * bench/README.md).
 */
const CONCURRENCY = 50;

/**
 * BullMQ's two drivers: `ioredis`, its default (loaded when no client factory is set), and the
 * official `redis` client (node-redis, what hostkit uses) through `RedisConnection.clientFactory`.
 * Both are measured and hostkit must beat each by the target, so it is judged against whichever
 * is faster in the run.
 */
type BullMQDriver = 'ioredis' | 'node-redis';
const BULLMQ_DRIVERS: readonly BullMQDriver[] = ['ioredis', 'node-redis'];

const HOSTKIT = `hostkit RedisWorkQueue, 1 producer + 4 consumers (concurrency ${CONCURRENCY})`;
const bullmqCase = (driver: BullMQDriver): string => `BullMQ on ${driver}, Queue.add + 4 Workers (concurrency ${CONCURRENCY})`;

const HOSTKIT_QUEUE = 'hostkit-bench-work-queue';
const HOSTKIT_PREFIX = 'hostkit-bench-wq:';
const BULLMQ_QUEUE = 'hostkit-bench-work-queue';
/** One prefix per driver, so that each side's workers see only its own jobs and cleanup touches only its keys. */
const bullmqPrefix = (driver: BullMQDriver): string => `hostkit-bench-bullmq-${driver}`;

interface Job {
  readonly i: number;
}

const redisUrl = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';

/** Undefined when a Redis answers PING at `url`, else why not. */
async function unreachable(url: string): Promise<string | undefined> {
  const client = createClient({ url, socket: { connectTimeout: 2_000, reconnectStrategy: false } });
  client.on('error', () => {});
  try {
    await client.connect();
    const pong = await client.ping();
    return pong === 'PONG' ? undefined : `PING answered ${JSON.stringify(pong)}`;
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    const message = error instanceof Error ? error.message : String(error);
    return typeof code === 'string' && !message.includes(code) ? `${code}: ${message}` : message || String(code);
  } finally {
    if (client.isOpen) await client.close();
  }
}

/** Deletes every key matching `pattern` (SCAN + UNLINK), returns how many. Never touches other keys. */
async function deleteKeys(url: string, pattern: string): Promise<number> {
  const client = createClient({ url });
  client.on('error', () => {});
  await client.connect();
  try {
    let deleted = 0;
    for await (const keys of client.scanIterator({ MATCH: pattern, COUNT: 1_000 })) {
      if (keys.length > 0) deleted += await client.unlink(keys);
    }
    return deleted;
  } finally {
    await client.close();
  }
}

/** Calls `add(i)` for i in 0..n-1, `CHUNK` calls in flight at a time. */
async function produce(n: number, add: (i: number) => Promise<unknown>): Promise<void> {
  for (let start = 0; start < n; start += CHUNK) {
    const end = Math.min(start + CHUNK, n);
    const calls: Promise<unknown>[] = [];
    for (let i = start; i < end; i++) calls.push(add(i));
    await Promise.all(calls);
  }
}

/**
 * Counts acknowledgements for one sample: `expect(n)` arms it and returns a promise that settles
 * at the n-th `acked(i)`, which also checks that the acknowledged payloads are exactly 0..n-1 by
 * their sum and count.
 */
class AckCounter {
  #target = 0;
  #count = 0;
  #sum = 0;
  #done: (() => void) | undefined;
  #fail: ((error: Error) => void) | undefined;
  readonly #name: string;

  constructor(name: string) {
    this.#name = name;
  }

  expect(n: number): Promise<void> {
    this.#target = n;
    this.#count = 0;
    this.#sum = 0;
    return new Promise<void>((resolve, reject) => {
      this.#done = resolve;
      this.#fail = reject;
    });
  }

  acked(i: number): void {
    this.#count++;
    this.#sum += i;
    if (this.#count > this.#target) {
      this.#fail?.(new Error(`${this.#name}: ${this.#count} acknowledgements for ${this.#target} jobs (job ${i} again?)`));
      return;
    }
    if (this.#count === this.#target) {
      const n = this.#target;
      const expected = (n * (n - 1)) / 2;
      if (this.#sum !== expected) {
        this.#fail?.(new Error(`${this.#name}: expected the payloads to sum to ${expected}, got ${this.#sum}`));
      } else this.#done?.();
    }
  }

  failed(error: unknown): void {
    this.#fail?.(error instanceof Error ? error : new Error(String(error)));
  }
}

interface Side {
  readonly case: BenchCase;
  /** Stops the consumers, closes every connection, deletes the side's keys. */
  close(): Promise<void>;
}

async function bullmqSide(url: string, driver: BullMQDriver): Promise<Side> {
  const name = bullmqCase(driver);
  const prefix = bullmqPrefix(driver);
  // The factory is global to BullMQ and read when a connection is created: every connection of
  // this side (the queue's, and each worker's main and blocking ones) is created before it is
  // reset, and a reconnection reuses its client. Unset, BullMQ loads `ioredis` (its default).
  if (driver === 'node-redis') BullMQRedisConnection.clientFactory = () => createNodeRedisClient(createClient({ url }));
  else delete BullMQRedisConnection.clientFactory;
  try {
    const connection = { url };
    const queue = new Queue<Job>(BULLMQ_QUEUE, { connection, prefix });
    await queue.obliterate({ force: true });
    await deleteKeys(url, `${prefix}:*`);
    const counter = new AckCounter(name);
    const workers = Array.from({ length: CONSUMERS }, () => {
      const worker = new Worker<Job>(BULLMQ_QUEUE, async () => {}, { connection, prefix, concurrency: CONCURRENCY });
      worker.on('completed', (job) => counter.acked(job.data.i));
      worker.on('failed', (_job, error) => counter.failed(error));
      worker.on('error', (error) => counter.failed(error));
      return worker;
    });
    await Promise.all(workers.map((worker) => worker.waitUntilReady()));
    await queue.waitUntilReady();
    return {
      case: {
        name,
        run: async (n) => {
          const acked = counter.expect(n);
          await produce(n, (i) => queue.add('job', { i }, { removeOnComplete: true }));
          await acked;
        },
      },
      close: async () => {
        await Promise.all(workers.map((worker) => worker.close()));
        await queue.obliterate({ force: true });
        await queue.close();
        await deleteKeys(url, `${prefix}:*`);
      },
    };
  } finally {
    delete BullMQRedisConnection.clientFactory;
  }
}

async function hostkitSide(url: string): Promise<Side> {
  await deleteKeys(url, `${HOSTKIT_PREFIX}*`);
  const connections: RedisConnection[] = [];
  /** A handle on its own connection (its blocking reads get a duplicate of it), as another process would open. */
  const open = async (role: string): Promise<RedisWorkQueue<Job>> => {
    const connection = createRedisConnection({ url, name: `hostkit-bench-${role}` });
    connections.push(connection);
    await connection.connect();
    return new RedisWorkQueue<Job>({ connection, name: HOSTKIT_QUEUE, keyPrefix: HOSTKIT_PREFIX });
  };
  const producer = await open('producer');
  const consumers = await Promise.all(Array.from({ length: CONSUMERS }, (_, k) => open(`consumer-${k + 1}`)));
  const counter = new AckCounter(HOSTKIT);
  const stop = new AbortController();
  // CONCURRENCY loops per consumer, as many jobs in flight as a BullMQ worker; a job counts once
  // its ack has resolved (BullMQ's 'completed' fires once the job is moved to completed).
  const loop = async (consumer: RedisWorkQueue<Job>): Promise<void> => {
    while (!stop.signal.aborted) {
      let item: WorkItem<Job>;
      try {
        item = await consumer.receive(stop.signal);
      } catch (error) {
        if (stop.signal.aborted) return;
        throw error;
      }
      await item.ack();
      counter.acked(item.payload.i);
    }
  };
  const consume = async (consumer: RedisWorkQueue<Job>): Promise<void> => {
    await Promise.all(Array.from({ length: CONCURRENCY }, () => loop(consumer)));
  };
  const loops = Promise.all(consumers.map(consume)).then(
    () => undefined,
    (error: unknown) => counter.failed(error),
  );
  return {
    case: {
      name: HOSTKIT,
      run: async (n) => {
        const acked = counter.expect(n);
        await produce(n, (i) => producer.enqueue({ i }));
        await acked;
      },
    },
    close: async () => {
      stop.abort();
      await loops;
      await Promise.all([producer, ...consumers].map((queue) => queue.close()));
      await Promise.all(connections.map((connection) => connection.close()));
      await deleteKeys(url, `${HOSTKIT_PREFIX}*`);
    },
  };
}

await runSuite(import.meta.url, async ({ quick }) => {
  const why = await unreachable(redisUrl);
  if (why !== undefined) {
    return { cases: [], ratios: [], skipped: `no Redis reachable at ${redisUrl} (${why}); set REDIS_URL to run it` };
  }
  const items = quick ? 5_000 : 20_000;
  const rounds = quick ? 1 : 3;
  const sides: Side[] = [];
  try {
    sides.push(await hostkitSide(redisUrl));
    for (const driver of BULLMQ_DRIVERS) sides.push(await bullmqSide(redisUrl, driver));
    const results = await measureInterleaved(
      sides.map((side) => side.case),
      // No forced GC between samples: BullMQ allocates more per job, and a forced collection
      // before each sample would take part of its normal GC work off its clock.
      { items, rounds, warmupRounds: 1, label: 'work-queue', collectGarbage: false },
    );
    // One ratio per BullMQ driver, each judged against the target: hostkit passes only if it beats
    // the faster of the two, whichever that is in this run.
    const ratios = BULLMQ_DRIVERS.map((driver) =>
      atLeast(
        `hostkit vs BullMQ on ${driver} jobs/s, ${formatCount(items)} no-op jobs, 1 producer + 4 consumers`,
        speedRatio(results, HOSTKIT, bullmqCase(driver)),
        1.5,
      ),
    );
    const fastest = BULLMQ_DRIVERS.map((driver) => caseNamed(results, bullmqCase(driver))).reduce((a, b) => (b.opsPerSec > a.opsPerSec ? b : a));
    return {
      cases: results,
      ratios,
      notes: [
        `Redis at ${redisUrl}; ${formatCount(items)} jobs per sample, added one call per job, ${CHUNK} in flight; ` +
          `${rounds} measured round(s) per side after 1 warm-up, alternating`,
        `BullMQ's faster driver in this run: ${fastest.name} (${formatOps(fastest.opsPerSec)}); ` +
          `hostkit vs it: ${speedRatio(results, HOSTKIT, fastest.name).toFixed(2)}x`,
      ],
    };
  } finally {
    for (const side of sides) await side.close();
  }
});
