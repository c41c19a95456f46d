/**
 * Finds the Redis the tests run against: `REDIS_URL`, else `redis://127.0.0.1:6379`. When nothing
 * answers, the Redis suites register as skipped and ONE line says why, instead of failing.
 * Each test works under its own random key prefix and deletes its keys afterwards (never
 * FLUSHDB: the server may be shared).
 */
import { createConnection } from 'node:net';
import { describe } from 'vitest';
import { createRedisConnection, type RedisConnection } from '../../src/redis/index.ts';

const envUrl = typeof process === 'undefined' ? undefined : process.env['REDIS_URL'];
/** The URL the tests use. */
export const redisUrl: string = envUrl === undefined || envUrl === '' ? 'redis://127.0.0.1:6379' : envUrl;

/** Whether a Redis answers PING at {@link redisUrl} within 1 s. */
async function ping(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return await new Promise<boolean>((resolve) => {
    const socket = createConnection({ host: hostname, port: port === '' ? 6379 : Number(port) });
    const timer = setTimeout(() => finish(false), 1_000);
    function finish(ok: boolean): void {
      clearTimeout(timer);
      socket.destroy();
      resolve(ok);
    }
    socket.on('error', () => finish(false));
    socket.on('connect', () => socket.write('PING\r\n'));
    // +PONG, or -NOAUTH from a server with a password: either way a Redis answered.
    socket.on('data', (data) => finish(/^[+-]/.test(data.toString())));
  });
}

/** Whether the tests have a Redis. */
export const redisAvailable: boolean = await ping(redisUrl);
if (!redisAvailable) {
  console.warn(`Redis tests did not run: no Redis answered at ${redisUrl} (set REDIS_URL or start redis-server)`);
}

/** `describe` when a Redis answers; a skipped suite otherwise. */
// oxlint-disable-next-line vitest/valid-describe-callback, vitest/valid-title -- skipIf returns a describe; its callers give the title and body.
export const describeWithRedis: ReturnType<typeof describe.skipIf> = describe.skipIf(!redisAvailable);

/** Options of every Redis suite: real time passes in them (a sliding-expiration test alone reads for 5.5 s). */
export const redisSuiteOptions: { readonly timeout: number } = { timeout: 30_000 };

/** A random key prefix for one test, ending in `:`. */
export function uniquePrefix(): string {
  return `hostkit-test:${crypto.randomUUID().slice(0, 8)}:`;
}

/** Opens a connection to the test Redis. */
export async function connectTestRedis(name = 'hostkit-test'): Promise<RedisConnection> {
  const connection = createRedisConnection({ url: redisUrl, name, reconnectBackoff: { initialMs: 50, maxMs: 500 } });
  await connection.connect(AbortSignal.timeout(5_000));
  return connection;
}

/** Deletes every key under `prefix` (SCAN + UNLINK: no FLUSHDB on a shared server). */
export async function deleteKeys(connection: RedisConnection, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await connection.sendCommand<[string, string[]]>(['SCAN', cursor, 'MATCH', `${prefix}*`, 'COUNT', '1000']);
    cursor = next;
    if (keys.length > 0) await connection.sendCommand(['UNLINK', ...keys]);
  } while (cursor !== '0');
}

/** Real time passing (the server's clock is the store's clock). */
export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A contract suite's `advance` on a real server: sleeps `ms` plus 10 (Redis expires a key only
 * once its deadline has PASSED, and timers have ms granularity; the suites leave 100 ms of slack).
 * An advance of a minute or more only checks that something does NOT expire, so it sleeps 100 ms.
 */
export const advanceBySleeping = (ms: number): Promise<void> => sleep(ms >= 60_000 ? 100 : ms + 10);

/** Polls `condition` every 20 ms until it holds, failing after `timeoutMs`. */
export async function until(condition: () => boolean | Promise<boolean>, timeoutMs = 5_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(20);
  }
}
