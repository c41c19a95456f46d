/**
 * One consumer process of the work-queue chaos test (work-queue-chaos.e2e.test.ts), on Node or
 * Deno: consumes the queue with `consumeWorkQueue` over `RedisWorkQueue` until SIGTERM, running
 * an idempotent handler, and journals every step SYNCHRONOUSLY (so a SIGKILL loses none) to
 * `<CHAOS_DIR>/journal-<pid>.log`, one JSON object a line:
 * - `enter`: a handler received the job (its delivery count);
 * - `work`: the handler did the job's work (created its result, exclusively: at most once ever);
 * - `skip`: the result existed already (a redelivery after the work was done);
 * - `exit`: the handler ended, with `fail` (it threw), `aborted` (the stop interrupted it) or `ok`;
 * - `ackfail` / `lost`: what consumeWorkQueue logged about an item (an ack that failed, an item
 *   whose extension found it lost).
 *
 * Environment: REDIS_URL, CHAOS_PREFIX (key prefix), CHAOS_DIR, CHAOS_VISIBILITY_MS,
 * CHAOS_MAX_DELIVERIES, CHAOS_CONCURRENCY.
 */
import { appendFileSync, linkSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import process from 'node:process';
import { consumeWorkQueue, type Logger, type LogFields, type WorkItem } from '@hostkit/core';
import { createRedisConnection, RedisWorkQueue } from '@hostkit/adapters/redis';

/** A job of the chaos test. */
export interface ChaosJob {
  readonly n: number;
  /** How long the handler works, in ms. */
  readonly ms: number;
  /** Always fails: must end in the dead letters after maxDeliveries deliveries. */
  readonly poison?: boolean;
  /** Fails on its first delivery only. */
  readonly flaky?: boolean;
}

const env = (name: string): string => {
  const value = process.env[name];
  if (value === undefined || value === '') throw new Error(`Expected ${name} to be set`);
  return value;
};

const dir = env('CHAOS_DIR');
const journalPath = join(dir, `journal-${process.pid}.log`);
const ids = new Map<string, number>();
const journal = (record: Record<string, unknown>): void => {
  appendFileSync(journalPath, `${JSON.stringify({ ...record, pid: process.pid, at: Date.now() })}\n`);
};

const noop = (): void => undefined;
/** Journals what consumeWorkQueue says about items; the rest is dropped. */
const logger: Logger = {
  category: 'chaos',
  isEnabled: () => true,
  trace: noop,
  debug: noop,
  info: noop,
  error: noop,
  warn: (message: string, fields?: LogFields) => {
    const item = typeof fields?.['item'] === 'string' ? fields['item'] : undefined;
    const n = item === undefined ? undefined : ids.get(item);
    if (message.startsWith('Could not ack')) journal({ event: 'ackfail', n });
    else if (message.includes('was lost while being handled')) journal({ event: 'lost', n });
  },
  critical: noop,
  log: noop,
};

// Before anything slow: a SIGTERM during start-up is a stop too, not a kill.
const stopping = new AbortController();
process.on('SIGTERM', () => stopping.abort(new Error('SIGTERM')));

const connection = createRedisConnection({ url: env('REDIS_URL'), name: 'chaos', reconnectBackoff: { initialMs: 50, maxMs: 500 } });
await connection.connect(AbortSignal.timeout(20_000));
const queue = new RedisWorkQueue<ChaosJob>({
  connection,
  name: 'chaos',
  keyPrefix: env('CHAOS_PREFIX'),
  visibilityTimeoutMs: Number(env('CHAOS_VISIBILITY_MS')),
  maxDeliveries: Number(env('CHAOS_MAX_DELIVERIES')),
  retryBackoff: { initialMs: 50, maxMs: 200 },
  pollIntervalMs: 100,
});

const delay = (ms: number, signal: AbortSignal): Promise<void> =>
  new Promise<void>((resolve, reject) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });

async function handle(job: ChaosJob, item: WorkItem<ChaosJob>, signal: AbortSignal): Promise<void> {
  ids.set(item.id, job.n);
  journal({ event: 'enter', n: job.n, deliveryCount: item.deliveryCount });
  try {
    if (job.poison === true) throw new Error(`job ${job.n} is poison`);
    if (job.flaky === true && item.deliveryCount === 1) throw new Error(`job ${job.n} fails its first delivery`);
    await delay(job.ms, signal);
    // The work: creating the result, exclusively and whole (a link cannot half exist), at most once ever.
    const draft = join(dir, 'drafts', `${job.n}-${process.pid}`);
    writeFileSync(draft, String(process.pid));
    try {
      linkSync(draft, join(dir, 'results', String(job.n)));
      journal({ event: 'work', n: job.n });
    } catch (error) {
      if ((error as { code?: unknown }).code !== 'EEXIST') throw error;
      journal({ event: 'skip', n: job.n });
    } finally {
      unlinkSync(draft);
    }
  } catch (error) {
    journal({ event: 'exit', n: job.n, outcome: signal.aborted ? 'aborted' : 'fail' });
    throw error;
  }
  journal({ event: 'exit', n: job.n, outcome: 'ok' });
}

journal({ event: 'started' });
console.log('chaos consumer ready');
await consumeWorkQueue(queue, handle, { signal: stopping.signal, concurrency: Number(env('CHAOS_CONCURRENCY')), logger, receiveRetryMs: 100 });
await queue.close();
await connection.close();
journal({ event: 'stopped' });
process.exit(0);
