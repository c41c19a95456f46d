/**
 * Work queue on Redis, in three parts, each on a small (`{ i }`) and a 4 KB payload: hostkit's
 * `RedisWorkQueue` against BullMQ (on its default driver, ioredis) and against bare Redis commands
 * on the same client hostkit uses (node-redis, through a hostkit `RedisConnection`): the physical
 * limit of a stream with a consumer group.
 *
 * - **Enqueue** (not judged, reported): one call awaited at a time; pipelined (100 calls in flight
 *   at a time); bulk (`enqueueMany` / `Queue.addBulk`, 100 jobs a call). Bare Redis: `XADD`, the
 *   same fields hostkit writes.
 * - **Processing a filled queue** (judged): the queue is filled untimed before each sample, then one
 *   consumer drains it with 1, 10 or 100 jobs in flight, timed until the last acknowledgement.
 *   hostkit: `consumeWorkQueue(queue, handler, { concurrency })`, what a service runs; BullMQ: a
 *   `Worker` with that concurrency, the queue paused while it is filled and resumed to start the
 *   clock; bare Redis: `XREADGROUP COUNT 100` into a local buffer, that many loops each taking an
 *   entry, parsing its payload and acknowledging it with `XACK` + `XDEL` (one pipelined round trip).
 * - **End to end** (not judged, reported): one producer (pipelined, 100 in flight) and one consumer
 *   (100 in flight) at once, timed from the first enqueue to the last acknowledgement.
 *
 * Every sample checks exactly-once with a bitmap (each job id seen by a handler exactly once; a
 * second sighting fails at once) and, after the sample, that the queue is empty (hostkit: `counts()`
 * all 0; bare: `XLEN` and `XPENDING` 0; BullMQ: no job in any state); enqueue samples check that
 * exactly N entries arrived. A side that lost, repeated or left a job fails the run.
 *
 * Ratios are paired per round (both cases measured in the same round of one `measureInterleaved`),
 * reported as the median with min and max. Keys: each case its own queue under `hostkit-bench-wq:`
 * or `hostkit-bench-bullmq:`, deleted before and after (SCAN of the prefix; never FLUSHDB). The
 * suite runs only when a Redis answers at REDIS_URL (default redis://127.0.0.1:6379).
 *
 * `BENCH_WQ_BASELINE=<path to a redis-work-queue.ts>` adds that module's `RedisWorkQueue` to the
 * processing parts as one more case (before/after comparisons in one interleaved run; bench/README.md).
 */
import process from 'node:process';
import { pathToFileURL } from 'node:url';
import { Queue, Worker } from 'bullmq';
import { createClient } from 'redis';
import { consumeWorkQueue } from '../../packages/core/src/index.ts';
// By path, as the other suites import adapters (bench/README.md).
import { type RedisConnection, RedisWorkQueue, createRedisConnection } from '../../packages/adapters/src/redis/index.ts';
import {
  type BenchCase,
  type CaseResult,
  type Ratio,
  atLeastPaired,
  formatCount,
  measureInterleaved,
  pairedRatio,
  runSuite,
} from '../lib/harness.ts';

interface Job {
  readonly i: number;
  readonly pad?: string;
}

interface Payload {
  readonly label: string;
  readonly make: (i: number) => Job;
}

const SMALL: Payload = { label: 'small payload', make: (i) => ({ i }) };
const PAD = 'x'.repeat(4_096 - 20);
const LARGE: Payload = { label: '4 KB payload', make: (i) => ({ i, pad: PAD }) };

/** Calls in flight at a time when pipelining, and jobs per bulk call. */
const CHUNK = 100;
/** Jobs per call when filling a queue (untimed). */
const FILL_CHUNK = 1_000;
const CONCURRENCIES = [1, 10, 100] as const;
const E2E_CONCURRENCY = 100;
const BARE_READ_COUNT = 100;

const HOSTKIT_PREFIX = 'hostkit-bench-wq:';
const BULLMQ_PREFIX = 'hostkit-bench-bullmq';
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
async function deleteKeys(connection: RedisConnection, pattern: string): Promise<number> {
  let deleted = 0;
  let cursor = '0';
  do {
    const [next, keys] = await connection.sendCommand<[string, string[]]>(['SCAN', cursor, 'MATCH', pattern, 'COUNT', '1000']);
    cursor = String(next);
    if (keys.length > 0) deleted += await connection.sendCommand<number>(['UNLINK', ...keys]);
  } while (cursor !== '0');
  return deleted;
}

/** Calls `add(i)` for i in 0..n-1, `CHUNK` calls in flight at a time. */
async function pipelined(n: number, add: (i: number) => Promise<unknown>): Promise<void> {
  for (let start = 0; start < n; start += CHUNK) {
    const end = Math.min(start + CHUNK, n);
    const calls: Promise<unknown>[] = [];
    for (let i = start; i < end; i++) calls.push(add(i));
    await Promise.all(calls);
  }
}

/** Calls `add(jobs)` with consecutive batches of `size` jobs. */
async function inBatches(n: number, size: number, payload: Payload, add: (jobs: Job[]) => Promise<unknown>): Promise<void> {
  for (let start = 0; start < n; start += size) {
    const jobs: Job[] = [];
    for (let i = start; i < Math.min(start + size, n); i++) jobs.push(payload.make(i));
    await add(jobs);
  }
}

/**
 * Exactly-once bookkeeping for one sample: a bitmap of the job ids a handler saw (a second
 * sighting fails the sample at once), and how many were acknowledged.
 */
class Tally {
  readonly #name: string;
  #seen = new Uint8Array(0);
  #seenCount = 0;
  #finished = 0;
  #target = 0;
  #allSeen: (() => void) | undefined;
  #allFinished: (() => void) | undefined;
  #fail: ((error: Error) => void) | undefined;
  /** Settles when every job was seen (or rejects on the first job seen twice). */
  seenAll: Promise<void> = Promise.resolve();
  /** Settles when every job was acknowledged (or rejects on the first job seen twice). */
  finishedAll: Promise<void> = Promise.resolve();

  constructor(name: string) {
    this.#name = name;
  }

  arm(n: number): void {
    this.#seen = new Uint8Array(n);
    this.#seenCount = 0;
    this.#finished = 0;
    this.#target = n;
    const failures: Array<(error: Error) => void> = [];
    this.seenAll = new Promise<void>((resolve, reject) => {
      this.#allSeen = resolve;
      failures.push(reject);
    });
    this.finishedAll = new Promise<void>((resolve, reject) => {
      this.#allFinished = resolve;
      failures.push(reject);
    });
    // Either may be awaited alone; the other must not become an unhandled rejection.
    this.seenAll.catch(() => undefined);
    this.finishedAll.catch(() => undefined);
    this.#fail = (error) => failures.forEach((reject) => reject(error));
  }

  see(i: number): void {
    if (!Number.isInteger(i) || i < 0 || i >= this.#target) {
      this.fail(new Error(`${this.#name}: a handler saw job ${i}, expected ids 0..${this.#target - 1}`));
      return;
    }
    if (this.#seen[i] === 1) {
      this.fail(new Error(`${this.#name}: a handler saw job ${i} twice`));
      return;
    }
    this.#seen[i] = 1;
    if (++this.#seenCount === this.#target) this.#allSeen?.();
  }

  finished(): void {
    if (++this.#finished === this.#target) this.#allFinished?.();
  }

  fail(error: unknown): void {
    this.#fail?.(error instanceof Error ? error : new Error(String(error)));
  }

  /** Throws unless every job 0..n-1 was seen exactly once. */
  check(): void {
    const missing = this.#seen.indexOf(0);
    if (this.#seenCount !== this.#target || missing >= 0) {
      throw new Error(`${this.#name}: ${this.#seenCount} of ${this.#target} jobs seen; job ${missing} never was`);
    }
  }
}

function expectEmpty(name: string, what: Record<string, number>): void {
  if (Object.values(what).some((count) => count !== 0)) {
    throw new Error(`${name}: expected an empty queue after the sample, got ${JSON.stringify(what)}`);
  }
}

type QueueClass = typeof RedisWorkQueue;

/** What every side offers: cases for each part, and clean-up. */
interface Side {
  readonly enqueueSingle: (payload: Payload) => BenchCase;
  readonly enqueuePipelined: (payload: Payload) => BenchCase;
  readonly enqueueBulk: ((payload: Payload) => BenchCase) | undefined;
  readonly processing: (payload: Payload, concurrency: number) => BenchCase;
  readonly endToEnd: (payload: Payload) => BenchCase;
  close(): Promise<void>;
}

const names = {
  enqueueSingle: (side: string, p: Payload) => `${side} enqueue, one awaited at a time, ${p.label}`,
  enqueuePipelined: (side: string, p: Payload) => `${side} enqueue, ${CHUNK} in flight, ${p.label}`,
  enqueueBulk: (side: string, p: Payload) => `${side} enqueue, bulk of ${CHUNK}, ${p.label}`,
  processing: (side: string, p: Payload, c: number) => `${side} processing, concurrency ${c}, ${p.label}`,
  endToEnd: (side: string, p: Payload) => `${side} end to end, ${p.label}`,
};

let caseCounter = 0;
const uniqueName = (part: string): string => `${part}-${++caseCounter}`;

/** hostkit's RedisWorkQueue (or the same class from another module, for before/after comparisons). */
function hostkitSide(label: string, Queue: QueueClass, open: (name: string) => Promise<RedisConnection>, prefetch?: number): Side {
  const closers: Array<() => Promise<void>> = [];
  const queueOn = async (role: string, name: string): Promise<RedisWorkQueue<Job>> => {
    const queue = new Queue<Job>({ connection: await open(role), name, keyPrefix: HOSTKIT_PREFIX, prefetch });
    closers.push(() => queue.close());
    return queue;
  };
  /** An enqueue case: `add` fills a fresh queue; afterwards it must hold exactly n entries, which are then deleted. */
  const enqueueCase = (name: string, add: (producer: RedisWorkQueue<Job>, n: number) => Promise<unknown>): BenchCase => {
    let producer: RedisWorkQueue<Job> | undefined;
    const queueName = uniqueName('enqueue');
    return {
      name,
      before: async () => {
        producer ??= await queueOn('producer', queueName);
      },
      run: (n) => add(producer!, n),
      after: async (n) => {
        const { waiting, inFlight, dead } = await producer!.counts();
        if (waiting !== n || inFlight !== 0 || dead !== 0) {
          throw new Error(`${name}: expected ${n} waiting entries, got ${JSON.stringify({ waiting, inFlight, dead })}`);
        }
        await deleteKeys(await open('cleanup'), `${HOSTKIT_PREFIX}{${queueName}}:*`);
      },
    };
  };
  /** Runs `consumeWorkQueue` until every job was seen, then stops it (its in-flight acks awaited). */
  const consume = async (consumer: RedisWorkQueue<Job>, tally: Tally, concurrency: number, produce?: Promise<unknown>): Promise<void> => {
    const stop = new AbortController();
    const consuming = consumeWorkQueue(consumer, async (job) => tally.see(job.i), { signal: stop.signal, concurrency });
    try {
      await Promise.all([tally.seenAll, produce]);
    } finally {
      stop.abort();
      await consuming;
    }
  };
  const processingCase = (name: string, concurrency: number, payload: Payload, prefill: boolean): BenchCase => {
    const queueName = uniqueName('processing');
    const tally = new Tally(name);
    let producer: RedisWorkQueue<Job> | undefined;
    let consumer: RedisWorkQueue<Job> | undefined;
    return {
      name,
      before: async (n) => {
        producer ??= await queueOn('producer', queueName);
        consumer ??= await queueOn('consumer', queueName);
        tally.arm(n);
        if (prefill) await inBatches(n, FILL_CHUNK, payload, (jobs) => producer!.enqueueMany(jobs));
      },
      run: async (n) => {
        const produce = prefill ? undefined : pipelined(n, (i) => producer!.enqueue(payload.make(i)));
        await consume(consumer!, tally, concurrency, produce);
      },
      after: async () => {
        tally.check();
        const { waiting, inFlight, dead } = await producer!.counts();
        expectEmpty(name, { waiting, inFlight, dead });
      },
    };
  };
  return {
    enqueueSingle: (payload) =>
      enqueueCase(names.enqueueSingle(label, payload), async (producer, n) => {
        for (let i = 0; i < n; i++) await producer.enqueue(payload.make(i));
      }),
    enqueuePipelined: (payload) =>
      enqueueCase(names.enqueuePipelined(label, payload), (producer, n) => pipelined(n, (i) => producer.enqueue(payload.make(i)))),
    enqueueBulk: (payload) =>
      enqueueCase(names.enqueueBulk(label, payload), (producer, n) => inBatches(n, CHUNK, payload, (jobs) => producer.enqueueMany(jobs))),
    processing: (payload, concurrency) => processingCase(names.processing(label, payload, concurrency), concurrency, payload, true),
    endToEnd: (payload) => processingCase(names.endToEnd(label, payload), E2E_CONCURRENCY, payload, false),
    close: async () => {
      for (const close of closers) await close();
    },
  };
}

/**
 * Bare Redis on hostkit's client: the least a stream with a consumer group can do. `XADD` with
 * the fields hostkit writes; a consumer reads `COUNT 100` into a local buffer whenever it is empty
 * and someone waits, and each of `concurrency` loops takes an entry, parses its payload and
 * acknowledges it with `XACK` + `XDEL` sent together (node-redis pipelines commands of one tick).
 */
function bareSide(open: (name: string) => Promise<RedisConnection>): Side {
  const label = 'bare Redis';
  const group = 'bench';
  /** The blocking-read connections of the processing cases, duplicated from `open`'s and closed by `close`. */
  const readers: RedisConnection[] = [];
  const xadd = (connection: RedisConnection, stream: string, job: Job): Promise<unknown> =>
    connection.sendCommand(['XADD', stream, '*', 'id', crypto.randomUUID(), 'payload', JSON.stringify(job), 'enqueuedAt', String(Date.now()), 'priorDeliveries', '0']);
  const enqueueCase = (name: string, add: (connection: RedisConnection, stream: string, n: number) => Promise<unknown>): BenchCase => {
    const stream = `${HOSTKIT_PREFIX}{${uniqueName('bare-enqueue')}}:stream`;
    let connection: RedisConnection | undefined;
    return {
      name,
      before: async () => {
        connection ??= await open('bare-producer');
      },
      run: (n) => add(connection!, stream, n),
      after: async (n) => {
        const length = await connection!.sendCommand<number>(['XLEN', stream]);
        if (length !== n) throw new Error(`${name}: expected ${n} entries, got ${length}`);
        await connection!.sendCommand(['UNLINK', stream]);
      },
    };
  };
  const processingCase = (name: string, concurrency: number, payload: Payload, prefill: boolean): BenchCase => {
    const stream = `${HOSTKIT_PREFIX}{${uniqueName('bare-processing')}}:stream`;
    const tally = new Tally(name);
    let connection: RedisConnection | undefined;
    let reader: RedisConnection | undefined;
    return {
      name,
      before: async (n) => {
        if (connection === undefined) {
          connection = await open('bare-consumer');
          reader = connection.duplicate();
          readers.push(reader);
          await reader.connect();
          await connection.sendCommand(['XGROUP', 'CREATE', stream, group, '0', 'MKSTREAM']);
        }
        tally.arm(n);
        if (prefill) {
          for (let start = 0; start < n; start += FILL_CHUNK) {
            const calls: Promise<unknown>[] = [];
            for (let i = start; i < Math.min(start + FILL_CHUNK, n); i++) calls.push(xadd(connection, stream, payload.make(i)));
            await Promise.all(calls);
          }
        }
      },
      run: async (n) => {
        const client = connection!;
        const buffer: Array<[string, string]> = [];
        const waiters: Array<(entry: [string, string]) => void> = [];
        let reading: Promise<void> | undefined;
        const read = async (): Promise<void> => {
          while (waiters.length > 0) {
            const reply = await reader!.sendCommand<unknown>([
              'XREADGROUP', 'GROUP', group, 'c', 'COUNT', String(BARE_READ_COUNT), 'BLOCK', '100', 'STREAMS', stream, '>',
            ]);
            for (const [sid, fields] of streamEntries(reply)) buffer.push([sid, fields[fields.indexOf('payload') + 1]!]);
            while (waiters.length > 0 && buffer.length > 0) waiters.shift()!(buffer.shift()!);
          }
        };
        const take = (): Promise<[string, string]> => {
          const entry = buffer.shift();
          if (entry !== undefined) return Promise.resolve(entry);
          return new Promise((resolve) => {
            waiters.push(resolve);
            reading ??= read().finally(() => {
              reading = undefined;
            });
          });
        };
        let taken = 0;
        const loop = async (): Promise<void> => {
          while (taken < n) {
            taken++;
            const [sid, json] = await take();
            tally.see((JSON.parse(json) as Job).i);
            await Promise.all([client.sendCommand(['XACK', stream, group, sid]), client.sendCommand(['XDEL', stream, sid])]);
            tally.finished();
          }
        };
        const produce = prefill ? undefined : pipelined(n, (i) => xadd(client, stream, payload.make(i)));
        await Promise.all([...Array.from({ length: concurrency }, loop), produce]);
        await reading;
      },
      after: async () => {
        tally.check();
        const length = await connection!.sendCommand<number>(['XLEN', stream]);
        const [pending] = await connection!.sendCommand<[number]>(['XPENDING', stream, group]);
        expectEmpty(name, { length, pending });
      },
    };
  };
  return {
    enqueueSingle: (payload) =>
      enqueueCase(names.enqueueSingle(label, payload), async (connection, stream, n) => {
        for (let i = 0; i < n; i++) await xadd(connection, stream, payload.make(i));
      }),
    enqueuePipelined: (payload) =>
      enqueueCase(names.enqueuePipelined(label, payload), (connection, stream, n) => pipelined(n, (i) => xadd(connection, stream, payload.make(i)))),
    enqueueBulk: undefined,
    processing: (payload, concurrency) => processingCase(names.processing(label, payload, concurrency), concurrency, payload, true),
    endToEnd: (payload) => processingCase(names.endToEnd(label, payload), E2E_CONCURRENCY, payload, false),
    close: async () => {
      for (const reader of readers.splice(0)) await reader.close();
    },
  };
}

/** BullMQ 6 on its default driver (ioredis): `Queue.add` / `addBulk`, `Worker` with a no-op-but-counting processor, `removeOnComplete`. */
function bullmqSide(url: string): Side {
  const label = 'BullMQ';
  const connection = { url };
  const closers: Array<() => Promise<void>> = [];
  const queueNamed = (name: string): Queue<Job> => {
    const queue = new Queue<Job>(name, { connection, prefix: BULLMQ_PREFIX });
    closers.push(async () => {
      await queue.obliterate({ force: true });
      await queue.close();
    });
    return queue;
  };
  const jobs = (queue: Queue<Job>): Promise<Record<string, number>> =>
    queue.getJobCounts('wait', 'active', 'delayed', 'prioritized', 'waiting-children', 'completed', 'failed');
  const enqueueCase = (name: string, add: (queue: Queue<Job>, n: number) => Promise<unknown>): BenchCase => {
    let queue: Queue<Job> | undefined;
    return {
      name,
      before: async () => {
        if (queue === undefined) {
          queue = queueNamed(uniqueName('bullmq-enqueue'));
          await queue.waitUntilReady();
        }
      },
      run: (n) => add(queue!, n),
      after: async (n) => {
        const counts = await jobs(queue!);
        if (counts['wait'] !== n) throw new Error(`${name}: expected ${n} waiting jobs, got ${JSON.stringify(counts)}`);
        await queue!.obliterate({ force: true });
      },
    };
  };
  const processingCase = (name: string, concurrency: number, payload: Payload, prefill: boolean): BenchCase => {
    const tally = new Tally(name);
    let queue: Queue<Job> | undefined;
    return {
      name,
      before: async (n) => {
        if (queue === undefined) {
          const queueName = uniqueName('bullmq-processing');
          queue = queueNamed(queueName);
          await queue.waitUntilReady();
          const worker = new Worker<Job>(queueName, async (job) => tally.see(job.data.i), { connection, prefix: BULLMQ_PREFIX, concurrency });
          worker.on('completed', () => tally.finished());
          worker.on('failed', (_job, error) => tally.fail(error));
          worker.on('error', (error) => tally.fail(error));
          closers.unshift(() => worker.close());
          await worker.waitUntilReady();
        }
        tally.arm(n);
        if (prefill) {
          // Paused while filled, so that the clock starts with a full queue.
          await queue.pause();
          await inBatches(n, FILL_CHUNK, payload, (batch) =>
            queue!.addBulk(batch.map((data) => ({ name: 'job', data, opts: { removeOnComplete: true } }))),
          );
        }
      },
      run: async (n) => {
        if (prefill) await queue!.resume();
        else await pipelined(n, (i) => queue!.add('job', payload.make(i), { removeOnComplete: true }));
        await tally.finishedAll;
      },
      after: async () => {
        tally.check();
        expectEmpty(name, await jobs(queue!));
      },
    };
  };
  return {
    enqueueSingle: (payload) =>
      enqueueCase(names.enqueueSingle(label, payload), async (queue, n) => {
        for (let i = 0; i < n; i++) await queue.add('job', payload.make(i), { removeOnComplete: true });
      }),
    enqueuePipelined: (payload) =>
      enqueueCase(names.enqueuePipelined(label, payload), (queue, n) =>
        pipelined(n, (i) => queue.add('job', payload.make(i), { removeOnComplete: true })),
      ),
    enqueueBulk: (payload) =>
      enqueueCase(names.enqueueBulk(label, payload), (queue, n) =>
        inBatches(n, CHUNK, payload, (batch) => queue.addBulk(batch.map((data) => ({ name: 'job', data, opts: { removeOnComplete: true } })))),
      ),
    processing: (payload, concurrency) => processingCase(names.processing(label, payload, concurrency), concurrency, payload, true),
    endToEnd: (payload) => processingCase(names.endToEnd(label, payload), E2E_CONCURRENCY, payload, false),
    close: async () => {
      for (const close of closers) await close();
    },
  };
}

/** The entries of an XREADGROUP reply on one stream, RESP2 (array) or RESP3 (map) shaped. */
function streamEntries(reply: unknown): Array<[string, string[]]> {
  if (reply === null || reply === undefined) return [];
  let streams: unknown[];
  if (Array.isArray(reply)) streams = reply.map((pair) => (pair as unknown[])[1]);
  else if (reply instanceof Map) streams = [...reply.values()];
  else streams = Object.values(reply as Record<string, unknown>);
  return (streams[0] ?? []) as Array<[string, string[]]>;
}

/** A paired ratio written as `1.62 (1.41-1.80)`: median and the spread over the rounds. */
function describePaired(results: readonly CaseResult[], a: string, b: string): string {
  const { median, min, max } = pairedRatio(results, a, b);
  return `${median.toFixed(2)} (${min.toFixed(2)}-${max.toFixed(2)})`;
}

await runSuite(import.meta.url, async ({ quick }) => {
  const why = await unreachable(redisUrl);
  if (why !== undefined) {
    return { cases: [], ratios: [], skipped: `no Redis reachable at ${redisUrl} (${why}); set REDIS_URL to run it` };
  }
  // `BENCH_WQ_ROUNDS=<n>`: measured rounds per part instead of 2 (quick) or 10 (full).
  const rounds = process.env['BENCH_WQ_ROUNDS'] === undefined ? (quick ? 2 : 10) : Number(process.env['BENCH_WQ_ROUNDS']);
  const warmupRounds = 1;
  const payloads = quick ? [SMALL] : [SMALL, LARGE];
  const items = quick
    ? { single: 300, batch: 2_000, processing: { 1: 500, 10: 1_000, 100: 2_000 } as Record<number, number>, e2e: 2_000 }
    : { single: 2_000, batch: 10_000, processing: { 1: 3_000, 10: 6_000, 100: 10_000 } as Record<number, number>, e2e: 10_000 };

  const connections: RedisConnection[] = [];
  const opened = new Map<string, RedisConnection>();
  /** A connection of its own per role (`cleanup` and `admin` are shared), as another process would open. */
  const open = async (name: string): Promise<RedisConnection> => {
    if ((name === 'cleanup' || name === 'admin') && opened.has(name)) return opened.get(name)!;
    const connection = createRedisConnection({ url: redisUrl, name: `hostkit-bench-${name}` });
    connections.push(connection);
    opened.set(name, connection);
    await connection.connect();
    return connection;
  };
  const admin = await open('admin');
  const cleanUp = async (): Promise<void> => {
    await deleteKeys(admin, `${HOSTKIT_PREFIX}*`);
    await deleteKeys(admin, `${BULLMQ_PREFIX}:*`);
  };
  await cleanUp();

  const baselinePath = process.env['BENCH_WQ_BASELINE'];
  const HOSTKIT = 'hostkit';
  const BASELINE = 'hostkit (BENCH_WQ_BASELINE)';
  // `BENCH_WQ_PREFETCH=<n>`: hostkit's prefetch (default: the queue's own default), for trying other values.
  const prefetch = process.env['BENCH_WQ_PREFETCH'] === undefined ? undefined : Number(process.env['BENCH_WQ_PREFETCH']);
  const hostkit = hostkitSide(HOSTKIT, RedisWorkQueue, open, prefetch);
  const bare = bareSide(open);
  const bullmq = bullmqSide(redisUrl);
  const sides = [hostkit, bare, bullmq];
  let baseline: Side | undefined;
  if (baselinePath !== undefined && baselinePath !== '') {
    const module = (await import(pathToFileURL(baselinePath).href)) as { RedisWorkQueue: QueueClass };
    baseline = hostkitSide(BASELINE, module.RedisWorkQueue, open, prefetch);
    sides.push(baseline);
  }

  const all: CaseResult[] = [];
  const ratios: Ratio[] = [];
  const notes: string[] = [];
  const measure = async (label: string, cases: BenchCase[], n: number): Promise<CaseResult[]> => {
    const results = await measureInterleaved(cases, { items: n, rounds, warmupRounds, label, collectGarbage: false });
    all.push(...results);
    return results;
  };
  try {
    for (const payload of payloads) {
      // Enqueue: not judged; figures for the reader.
      const single = await measure(`enqueue single, ${payload.label}`, [hostkit, bare, bullmq].map((s) => s.enqueueSingle(payload)), items.single);
      const batch = await measure(
        `enqueue batch, ${payload.label}`,
        [hostkit.enqueuePipelined(payload), hostkit.enqueueBulk!(payload), bare.enqueuePipelined(payload), bullmq.enqueuePipelined(payload), bullmq.enqueueBulk!(payload)],
        items.batch,
      );
      const e = (part: keyof typeof names, side: string): string => (names[part] as (s: string, p: Payload) => string)(side, payload);
      notes.push(
        `${payload.label}, enqueue one at a time (${formatCount(items.single)}): hostkit vs bare ${describePaired(single, e('enqueueSingle', HOSTKIT), e('enqueueSingle', 'bare Redis'))}, ` +
          `vs BullMQ ${describePaired(single, e('enqueueSingle', HOSTKIT), e('enqueueSingle', 'BullMQ'))}`,
        `${payload.label}, enqueue ${CHUNK} in flight (${formatCount(items.batch)}): hostkit vs bare ${describePaired(batch, e('enqueuePipelined', HOSTKIT), e('enqueuePipelined', 'bare Redis'))}, ` +
          `vs BullMQ ${describePaired(batch, e('enqueuePipelined', HOSTKIT), e('enqueuePipelined', 'BullMQ'))}; ` +
          `enqueueMany vs addBulk ${describePaired(batch, e('enqueueBulk', HOSTKIT), e('enqueueBulk', 'BullMQ'))}, ` +
          `enqueueMany vs bare XADD ${CHUNK} in flight ${describePaired(batch, e('enqueueBulk', HOSTKIT), e('enqueuePipelined', 'bare Redis'))}`,
      );
      // Processing a filled queue: judged.
      for (const concurrency of CONCURRENCIES) {
        const n = items.processing[concurrency]!;
        const processing = await measure(
          `processing c=${concurrency}, ${payload.label}`,
          sides.map((side) => side.processing(payload, concurrency)),
          n,
        );
        const name = (side: string): string => names.processing(side, payload, concurrency);
        const what = `processing ${formatCount(n)} queued jobs, concurrency ${concurrency}, ${payload.label}`;
        ratios.push(
          atLeastPaired(`hostkit vs bare Redis, ${what}`, pairedRatio(processing, name(HOSTKIT), name('bare Redis')), 0.7),
          atLeastPaired(`hostkit vs BullMQ, ${what}`, pairedRatio(processing, name(HOSTKIT), name('BullMQ')), 1.5),
        );
        if (baseline !== undefined) {
          notes.push(`${what}: hostkit vs BENCH_WQ_BASELINE ${describePaired(processing, name(HOSTKIT), name(BASELINE))}, ` +
            `BENCH_WQ_BASELINE vs bare ${describePaired(processing, name(BASELINE), name('bare Redis'))}`);
        }
      }
      // End to end: not judged.
      const e2e = await measure(`end to end, ${payload.label}`, sides.map((side) => side.endToEnd(payload)), items.e2e);
      notes.push(
        `${payload.label}, end to end (${formatCount(items.e2e)}, ${CHUNK} enqueues and ${E2E_CONCURRENCY} jobs in flight): ` +
          `hostkit vs bare ${describePaired(e2e, e('endToEnd', HOSTKIT), e('endToEnd', 'bare Redis'))}, ` +
          `vs BullMQ ${describePaired(e2e, e('endToEnd', HOSTKIT), e('endToEnd', 'BullMQ'))}` +
          (baseline === undefined ? '' : `, vs BENCH_WQ_BASELINE ${describePaired(e2e, e('endToEnd', HOSTKIT), e('endToEnd', BASELINE))}`),
      );
    }
    notes.push(`Redis at ${redisUrl}; ${rounds} measured rounds after ${warmupRounds} warm-up per part; ratios are medians of per-round ratios (min-max)`);
    return { cases: all, ratios, notes };
  } finally {
    for (const side of sides) await side.close();
    await cleanUp();
    for (const connection of connections) await connection.close();
  }
});
