import { DistributedLock, LeaseLostError, MemoryLogSink, createLoggerFactory } from '@hostkit/core';
import { spawn, type ChildProcess } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { createRedisConnection, RedisLeaseStore, RedisLogEvents } from '../../src/redis/index.ts';
import { connectTestRedis, deleteKeys, describeWithRedis, redisSuiteOptions, redisUrl, sleep, uniquePrefix, until } from './redis-test-server.ts';

describe('createRedisConnection', () => {
  it('rejects with TypeError naming the value when the url is not a redis:// or rediss:// URL', () => {
    expect(() => createRedisConnection({ url: 'http://localhost:6379' })).toThrow(
      new TypeError('Expected url to be a redis:// or rediss:// URL, got "http://localhost:6379" (string) (scheme http:)'),
    );
    expect(() => createRedisConnection({ url: 'not a url' })).toThrow(TypeError);
    expect(() => createRedisConnection({ url: 42 as unknown as string })).toThrow(
      new TypeError('Expected url to be a redis:// or rediss:// URL string, got 42 (number)'),
    );
  });

  it('keeps the password out of the message when the url is rejected', () => {
    expect(() => createRedisConnection({ url: 'http://user:s3cret@localhost' })).toThrow(/\[redacted\]/);
    expect(() => createRedisConnection({ url: 'http://user:s3cret@localhost' })).not.toThrow(/s3cret/);
  });

  it('rejects with RangeError when a timeout is not a finite number > 0', () => {
    expect(() => createRedisConnection({ url: 'redis://localhost', connectTimeoutMs: 0 })).toThrow(RangeError);
    expect(() => createRedisConnection({ url: 'redis://localhost', reconnectBackoff: { initialMs: 10, maxMs: 5 } })).toThrow(RangeError);
  });

  it('rejects connect with the reason when aborted while Redis does not answer, and logs the failure once', async () => {
    const sink = new MemoryLogSink();
    const logger = createLoggerFactory({ sinks: [sink] }).createLogger('redis');
    // Port 1 on localhost refuses at once: the client keeps retrying until the abort.
    const connection = createRedisConnection({ url: 'redis://127.0.0.1:1', logger, reconnectBackoff: { initialMs: 10, maxMs: 20 } });
    const reason = new Error('gave up');
    const controller = new AbortController();
    setTimeout(() => controller.abort(reason), 200);
    await expect(connection.connect(controller.signal)).rejects.toBe(reason);
    expect(sink.records.filter((record) => record.event?.id === RedisLogEvents.ConnectFailed.id)).toHaveLength(1);
  });
});

describeWithRedis('RedisConnection on Redis', redisSuiteOptions, () => {
  it('logs the loss once and the reconnection with its duration when the server kills the connection, then works again', async () => {
    const sink = new MemoryLogSink();
    const logger = createLoggerFactory({ sinks: [sink] }).createLogger('redis');
    const connection = createRedisConnection({ url: redisUrl, logger, name: 'hostkit-test-victim', reconnectBackoff: { initialMs: 20, maxMs: 100 } });
    const admin = await connectTestRedis('hostkit-test-admin');
    try {
      await connection.connect();
      await admin.sendCommand(['CLIENT', 'KILL', 'TYPE', 'normal', 'SKIPME', 'yes']);
      await until(() => sink.records.some((record) => record.event?.id === RedisLogEvents.ConnectionRestored.id), 5_000, 'the reconnection');
      const lost = sink.records.filter((record) => record.event?.id === RedisLogEvents.ConnectionLost.id);
      expect(lost).toHaveLength(1);
      expect(lost[0]?.level).toBe('warn');
      expect(lost[0]?.message).toMatch(/Redis connection lost .* reconnecting/);
      const restored = sink.records.find((record) => record.event?.id === RedisLogEvents.ConnectionRestored.id);
      expect(restored?.level).toBe('info');
      expect(typeof restored?.fields?.['downMs']).toBe('number');
      expect(await connection.sendCommand(['PING'])).toBe('PONG');
    } finally {
      await connection.close();
      await admin.close();
    }
  });

  it('fails commands at once while the server is down, and recovers when it is back', async () => {
    const port = 20_000 + Math.floor(Math.random() * 20_000);
    let server = await startRedisServer(port);
    const sink = new MemoryLogSink();
    const logger = createLoggerFactory({ sinks: [sink] }).createLogger('redis');
    const connection = createRedisConnection({ url: `redis://127.0.0.1:${port}`, logger, reconnectBackoff: { initialMs: 20, maxMs: 100 } });
    try {
      await connection.connect();
      server.kill('SIGKILL');
      await until(() => !connection.isReady, 2_000, 'the loss to be noticed');
      const started = Date.now();
      await expect(connection.sendCommand(['PING'])).rejects.toThrow(/offline/i);
      expect(Date.now() - started).toBeLessThan(100);
      server = await startRedisServer(port);
      await until(() => connection.isReady, 5_000, 'the reconnection');
      expect(await connection.sendCommand(['PING'])).toBe('PONG');
      expect(sink.records.filter((record) => record.event?.id === RedisLogEvents.ConnectionLost.id)).toHaveLength(1);
      expect(sink.records.filter((record) => record.event?.id === RedisLogEvents.ConnectionRestored.id)).toHaveLength(1);
    } finally {
      await connection.close();
      server.kill('SIGKILL');
    }
  });

  it('aborts the signal of a lease whose holder cannot reach Redis, within the time-to-live', async () => {
    const keyPrefix = uniquePrefix();
    const holderConnection = createRedisConnection({ url: redisUrl, name: 'hostkit-test-holder', commandTimeoutMs: 200 });
    const other = await connectTestRedis('hostkit-test-other');
    try {
      await holderConnection.connect();
      const lock = new DistributedLock(new RedisLeaseStore({ connection: holderConnection, keyPrefix }));
      const lease = await lock.tryAcquire('job', { ttlMs: 1_000 });
      expect(lease).toBeDefined();
      const acquiredAt = Date.now();
      // Freezes only the holder's connection: its renewals time out, as if Redis were unreachable.
      await other.sendCommand(['CLIENT', 'PAUSE', '1500', 'WRITE']).catch(() => undefined);
      await until(() => lease?.signal.aborted === true, 3_000, 'the lease to be lost');
      expect(Date.now() - acquiredAt).toBeLessThanOrEqual(1_100);
      expect(lease?.signal.reason).toBeInstanceOf(LeaseLostError);
      await sleep(600);
      const otherLock = new DistributedLock(new RedisLeaseStore({ connection: other, keyPrefix }));
      const next = await otherLock.tryAcquire('job', { ttlMs: 1_000 });
      expect(next?.fencingToken).toBeGreaterThan(lease?.fencingToken ?? Infinity);
      await next?.release();
    } finally {
      await other.sendCommand(['CLIENT', 'UNPAUSE']).catch(() => undefined);
      await holderConnection.close();
      await deleteKeys(other, keyPrefix);
      await other.close();
    }
  });
});

/** Starts a throwaway `redis-server` without persistence on `port`, resolving once it accepts connections. */
async function startRedisServer(port: number): Promise<ChildProcess> {
  const server = spawn('redis-server', ['--port', String(port), '--save', '', '--appendonly', 'no', '--bind', '127.0.0.1'], {
    stdio: 'ignore',
  });
  const probe = createRedisConnection({ url: `redis://127.0.0.1:${port}`, reconnectBackoff: { initialMs: 20, maxMs: 50 } });
  try {
    await probe.connect(AbortSignal.timeout(5_000));
  } finally {
    await probe.close();
  }
  return server;
}
