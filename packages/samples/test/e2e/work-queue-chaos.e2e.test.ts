/**
 * The work queue under chaos, against its own redis-server (AOF, `appendfsync always`): three
 * consumer processes (two on Node, one on Deno; replacements alternate) running
 * work-queue-chaos-consumer.ts, jobs of varied durations (some longer than the visibility
 * timeout, so only extensions keep them), random SIGKILLs with restarts, one graceful stop, a
 * Redis restart and CLIENT PAUSE windows. Afterwards:
 * - every job but the poison ones had its work done exactly once (`work` journal entries, each an
 *   exclusive file create), and none is stuck (the queue is empty);
 * - every extra handler ENTRY of a job is explained by what happened to the entry before it: its
 *   process was SIGKILLed in the middle, it was interrupted by a graceful stop, it failed (flaky
 *   jobs fail their first delivery), or its ack failed / its item was lost while Redis was being
 *   restarted or paused (plus two visibility timeouts);
 * - the dead letters are exactly the poison jobs, each after exactly maxDeliveries deliveries.
 *
 * CI runs the short form (CHAOS_JOBS, default 600). `CHAOS_JOBS=5000 npx vitest run
 * packages/samples/test/e2e/work-queue-chaos.e2e.test.ts` runs a longer one.
 * Skipped, with one line saying why, when redis-server is not on PATH.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRedisConnection, RedisWorkQueue } from '@hostkit/adapters/redis';
import { describe, expect, it } from 'vitest';
import { DENO_BINARY, NODE_BINARY, SAMPLES_DIR } from './app-process.ts';
import { redisUnavailableReason, startRedisServer } from './redis-server.ts';
import type { ChaosJob } from './work-queue-chaos-consumer.ts';

const unavailable = redisUnavailableReason();
if (unavailable !== undefined) console.log(`[work-queue chaos] NOT RUN: ${unavailable}`);

const JOBS = Number(process.env['CHAOS_JOBS'] ?? 600);
/**
 * Twice the 1 s CLIENT PAUSE and the Redis restart's outage: an item being extended (every third
 * of this) rides through both without expiring. With 1 s, every job in flight during each of them
 * lost a delivery, so a long job caught by a kill, the restart, the pause and its own one failure
 * reached MAX_DELIVERIES and was dead-lettered although its handler failed only once (seen in CI,
 * about one run in three): the issue asks that the dead letters hold only jobs whose handler
 * really failed maxDeliveries times.
 */
const VISIBILITY_MS = 2_000;
const MAX_DELIVERIES = 4;
const CONCURRENCY = 6;
const CONSUMER = 'test/e2e/work-queue-chaos-consumer.ts';

interface JournalRecord {
  readonly event: 'started' | 'stopped' | 'enter' | 'work' | 'skip' | 'exit' | 'ackfail' | 'lost';
  readonly n?: number;
  readonly deliveryCount?: number;
  readonly outcome?: 'ok' | 'fail' | 'aborted';
  readonly pid: number;
  readonly at: number;
}

interface Consumer {
  readonly child: ChildProcess;
  readonly runtime: 'node' | 'deno';
  readonly exited: Promise<void>;
  /** Whether it said it consumes (connected, SIGTERM handled). */
  ready: boolean;
}

/** A pseudo-random generator with a seed, so that a failing run can be replayed (the seed is printed). */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe.skipIf(unavailable !== undefined)('RedisWorkQueue under chaos (real processes, real Redis)', () => {
  it('handles every job to completion exactly once through SIGKILLs, a Redis restart and CLIENT PAUSE, dead-lettering only the poison ones', async () => {
    const seed = Number(process.env['CHAOS_SEED'] ?? Date.now() % 1_000_000);
    console.log(`[work-queue chaos] ${JOBS} jobs, seed ${seed}`);
    const rand = random(seed);
    await using redis = await startRedisServer();
    const dir = await mkdtemp(join(tmpdir(), 'hostkit-chaos-'));
    mkdirSync(join(dir, 'results'));
    mkdirSync(join(dir, 'drafts'));
    const prefix = `chaos:${seed}:`;
    const env = {
      ...process.env,
      REDIS_URL: redis.url,
      CHAOS_PREFIX: prefix,
      CHAOS_DIR: dir,
      CHAOS_VISIBILITY_MS: String(VISIBILITY_MS),
      CHAOS_MAX_DELIVERIES: String(MAX_DELIVERIES),
      CHAOS_CONCURRENCY: String(CONCURRENCY),
    };
    const consumers: Consumer[] = [];
    const killed = new Set<number>();
    /** When Redis was unreachable or paused: [from, to] in epoch ms. */
    const disruptions: Array<[number, number]> = [];
    const startConsumer = (runtime: 'node' | 'deno'): Consumer => {
      const args = runtime === 'node' ? ['--conditions=@hostkit/source', CONSUMER] : ['run', '-A', '--conditions=@hostkit/source', CONSUMER];
      const child = spawn(runtime === 'node' ? NODE_BINARY : DENO_BINARY, args, { cwd: SAMPLES_DIR, env, stdio: ['ignore', 'pipe', 'pipe'] });
      let stderr = '';
      child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
      const exited = new Promise<void>((resolve) => child.once('exit', (code, signal) => {
        if (code !== 0 && signal !== 'SIGKILL') console.log(`[work-queue chaos] killed: ${[...killed].join(',')} `, `[work-queue chaos] consumer ${child.pid} (${runtime}) exited ${code ?? signal}: ${stderr.slice(-2_000)}`);
        resolve();
      }));
      const consumer: Consumer = { child, runtime, exited, ready: false };
      child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
        if (chunk.includes('chaos consumer ready')) consumer.ready = true;
      });
      consumers.push(consumer);
      return consumer;
    };
    const connection = createRedisConnection({ url: redis.url, name: 'chaos-producer', reconnectBackoff: { initialMs: 50, maxMs: 500 } });
    await connection.connect(AbortSignal.timeout(10_000));
    const producer = new RedisWorkQueue<ChaosJob>({ connection, name: 'chaos', keyPrefix: prefix, visibilityTimeoutMs: VISIBILITY_MS, maxDeliveries: MAX_DELIVERIES });
    const jobs: ChaosJob[] = Array.from({ length: JOBS }, (_, n) => {
      const r = rand();
      const ms = r < 0.05 ? 1_200 + Math.floor(rand() * 800) : Math.floor(rand() * 60);
      return { n, ms, ...(n % 60 === 7 && { poison: true }), ...(n % 25 === 3 && { flaky: true }) };
    });
    const poison = new Set(jobs.filter((job) => job.poison === true).map((job) => job.n));
    try {
      for (const runtime of ['node', 'node', 'deno'] as const) startConsumer(runtime);
      // Enqueued in bursts while the first steps of the chaos go on (Redis is restarted only once all are in:
      // an enqueue whose reply was lost would be retried as a second entry).
      const enqueueing = (async () => {
        for (let i = 0; i < jobs.length; i += 50) {
          await Promise.all(jobs.slice(i, i + 50).map((job) => producer.enqueue(job)));
          await sleep(100);
        }
      })();

      const live = (): Consumer[] => consumers.filter((consumer) => consumer.child.exitCode === null && consumer.child.signalCode === null);
      let replacements = 0;
      const killOne = async (): Promise<void> => {
        const victims = live();
        const victim = victims[Math.floor(rand() * victims.length)];
        if (victim?.child.pid === undefined) return;
        killed.add(victim.child.pid);
        victim.child.kill('SIGKILL');
        await victim.exited;
        startConsumer(replacements++ % 2 === 0 ? 'deno' : 'node');
      };
      const steps: Array<() => Promise<void>> = [
        killOne,
        async () => {
          const from = Date.now();
          redis.cli('CLIENT', 'PAUSE', '1500', 'ALL');
          disruptions.push([from, from + 1_500]);
          await sleep(1_500);
        },
        killOne,
        async () => {
          // A graceful stop: interrupted handlers give their jobs back uncounted.
          const victim = live().find((consumer) => consumer.ready);
          if (victim === undefined) return;
          victim.child.kill('SIGTERM');
          await victim.exited;
          startConsumer('node');
        },
        async () => {
          await enqueueing;
          const from = Date.now();
          await redis.stop();
          await sleep(500);
          await redis.start();
          disruptions.push([from, Date.now()]);
        },
        killOne,
        async () => {
          const from = Date.now();
          redis.cli('CLIENT', 'PAUSE', '1000', 'WRITE');
          disruptions.push([from, from + 1_000]);
          await sleep(1_000);
        },
        killOne,
      ];
      for (const step of steps) {
        await sleep(800 + Math.floor(rand() * 1_200));
        await step();
      }
      await enqueueing;

      const resultsDone = (): number => readdirSync(join(dir, 'results')).length;
      const deadline = Date.now() + 120_000;
      for (;;) {
        const counts = await producer.counts().catch(() => undefined);
        if (counts !== undefined && resultsDone() === JOBS - poison.size && counts.waiting === 0 && counts.inFlight === 0 && counts.dead === poison.size) break;
        if (Date.now() > deadline) {
          const dead = await producer.deadLetters({ limit: 1_000 }).catch(() => []);
          const unexpected = dead.filter((letter) => !poison.has((letter.payload as ChaosJob).n));
          throw new Error(
            `Timed out: ${resultsDone()} of ${JOBS - poison.size} results, counts ${JSON.stringify(counts)}; ` +
              `dead letters of jobs that are not poison: ${JSON.stringify(unexpected)}`,
          );
        }
        await sleep(200);
      }
      const deadLetters = await producer.deadLetters({ limit: 1_000 });
      await Promise.all(live().map(async (consumer) => {
        consumer.child.kill('SIGTERM');
        await consumer.exited;
      }));

      const records: JournalRecord[] = readdirSync(dir)
        .filter((file) => file.startsWith('journal-'))
        .flatMap((file) => readFileSync(join(dir, file), 'utf8').split('\n').filter((line) => line !== '').map((line) => JSON.parse(line) as JournalRecord))
        .sort((a, b) => a.at - b.at);
      const byJob = new Map<number, JournalRecord[]>();
      for (const record of records) {
        if (record.n === undefined) continue;
        byJob.set(record.n, [...(byJob.get(record.n) ?? []), record]);
      }

      // Work done exactly once for every job that can succeed; never for a poison one.
      const work = jobs.map((job) => (byJob.get(job.n) ?? []).filter((record) => record.event === 'work').length);
      // The result's exclusive create is the work; its journal line is missing only when the process was killed right after it.
      const creator = (n: number): number | undefined => {
        try {
          return Number(readFileSync(join(dir, 'results', String(n)), 'utf8'));
        } catch {
          return undefined;
        }
      };
      const story = (n: number): string => JSON.stringify({ job: jobs[n], creator: creator(n), journal: byJob.get(n) ?? [] });
      const doneOnce = (job: ChaosJob, i: number): boolean => {
        const by = creator(job.n);
        return by !== undefined && (work[i] === 1 || (work[i] === 0 && killed.has(by)));
      };
      expect(jobs.filter((job, i) => !poison.has(job.n) && !doneOnce(job, i)).map((job) => story(job.n))).toEqual([]);
      expect(jobs.filter((job, i) => poison.has(job.n) && (work[i] !== 0 || creator(job.n) !== undefined)).map((job) => story(job.n))).toEqual([]);

      // Every extra entry is explained by how the entry before it ended.
      const settle = 2 * VISIBILITY_MS + 1_000;
      const disrupted = (at: number): boolean => disruptions.some(([from, to]) => at >= from - 200 && at <= to + settle);
      const unexplained: string[] = [];
      let extraEntries = 0;
      for (const [n, journal] of byJob) {
        const entries = journal.filter((record) => record.event === 'enter');
        for (let i = 1; i < entries.length; i++) {
          extraEntries += 1;
          const previous = entries[i - 1] as JournalRecord;
          const next = entries[i] as JournalRecord;
          const between = journal.filter((record) => record.pid === previous.pid && record.at >= previous.at && record.at <= next.at);
          const exit = between.find((record) => record.event === 'exit');
          const explained =
            // Killed in the middle of the handler, or after it but before its ack.
            killed.has(previous.pid) ||
            exit?.outcome === 'fail' ||
            exit?.outcome === 'aborted' ||
            between.some((record) => (record.event === 'ackfail' || record.event === 'lost') && disrupted(record.at)) ||
            // Still running when redelivered: only when Redis was out long enough for the delivery to expire.
            (exit === undefined && disrupted(next.at)) ||
            (exit !== undefined && disrupted(exit.at));
          if (!explained) unexplained.push(story(n));
        }
      }
      console.log(`[work-queue chaos] ${records.filter((record) => record.event === 'enter').length} handler entries for ${JOBS} jobs (${extraEntries} extra), ${killed.size} SIGKILLs, ${disruptions.length} Redis disruptions`);
      expect(unexplained).toEqual([]);

      // Dead letters: exactly the poison jobs, each after maxDeliveries deliveries.
      const deadJobs = deadLetters.map((letter) => (letter.payload as ChaosJob).n).sort((a, b) => a - b);
      expect(deadJobs).toEqual([...poison].sort((a, b) => a - b));
      expect(deadLetters.every((letter) => letter.deliveryCount === MAX_DELIVERIES)).toBe(true);
      expect(await producer.counts()).toEqual({ waiting: 0, inFlight: 0, dead: poison.size });
    } finally {
      for (const consumer of consumers) if (consumer.child.exitCode === null && consumer.child.signalCode === null) consumer.child.kill('SIGKILL');
      await Promise.all(consumers.map((consumer) => consumer.exited));
      await producer.close();
      await connection.close();
      await rm(dir, { recursive: true, force: true, maxRetries: 3 });
    }
  }, 300_000);
});
