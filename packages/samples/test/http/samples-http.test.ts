import { createLoggerFactory, MemoryLogSink } from '@hostkit/core';
import { ManualTimeProvider } from '@hostkit/core/testing';
import { addHealthRoutes, createHonoApp, HonoServerService } from '@hostkit/adapters/hono';
import { HealthCheckService, type HealthStatus } from '@hostkit/core';
import { Agent, request as httpRequest } from 'node:http';
import { describe, expect, it } from 'vitest';
import type { SamplesApp } from '../../src/http/feature-routes.ts';
import { addIndexRoute } from '../../src/http/system-routes.ts';

interface Fixture extends AsyncDisposable {
  server: HonoServerService;
  time: ManualTimeProvider;
  logs: MemoryLogSink;
  url: string;
}

/** The samples' routing (index, 404/405) around `mount`, on a real server. */
async function startServer(mount: (app: SamplesApp) => void, drainTimeoutMs = 5_000): Promise<Fixture> {
  const time = new ManualTimeProvider();
  const logs = new MemoryLogSink();
  const loggers = createLoggerFactory({ sinks: [logs], timeProvider: time });
  const app = createHonoApp({ logger: loggers.createLogger('test.Http') });
  addIndexRoute(app);
  mount(app);
  const server = new HonoServerService({ app, port: 0, time, logger: loggers.createLogger('test.Http'), drainTimeoutMs });
  await server.start(new AbortController().signal);
  return { server, time, logs, url: server.url ?? '', [Symbol.asyncDispose]: () => server.stop(new AbortController().signal) };
}

const hello = (app: SamplesApp): void => {
  app.get('/hello', (c) => c.json({ hello: 'world' }));
};

describe('the samples’ HTTP routing', () => {
  it('listens on 127.0.0.1 on the port the system picked and answers JSON', async () => {
    await using fixture = await startServer(hello);
    expect(fixture.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(fixture.logs.records.some((record) => record.message.startsWith(`HTTP: listening on ${fixture.url}`))).toBe(true);
    const response = await fetch(`${fixture.url}/hello?x=1`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await response.json()).toEqual({ hello: 'world' });
  });

  it('answers 404 for an unknown path and 405 with Allow for a known path with another method', async () => {
    await using fixture = await startServer(hello);
    const missing = await fetch(`${fixture.url}/nope`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ error: 'not_found', routes: ['GET /', 'GET /hello'] });
    const wrongMethod = await fetch(`${fixture.url}/hello`, { method: 'POST', body: 'x' });
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.get('allow')).toBe('GET');
  });

  it('does not route //status (or //hello) to / : the path is taken as sent', async () => {
    await using fixture = await startServer((app) => {
      hello(app);
      app.get('/status', (c) => c.json({ status: true }));
    });
    expect((await fetch(`${fixture.url}//status`)).status).toBe(404);
    expect((await fetch(`${fixture.url}//hello`)).status).toBe(404);
    expect(await (await fetch(`${fixture.url}/status`)).json()).toEqual({ status: true });
  });

  it('answers 500 without the error’s message when a handler throws, logs it, and keeps serving', async () => {
    await using fixture = await startServer((app) => {
      hello(app);
      app.get('/broken', () => {
        throw new Error('kaboom at /var/secret');
      });
    });
    const response = await fetch(`${fixture.url}/broken`);
    expect(response.status).toBe(500);
    const text = await response.text();
    expect(text).not.toContain('kaboom');
    expect(JSON.parse(text)).toMatchObject({ error: 'internal_error' });
    expect(fixture.logs.records.some((record) => record.level === 'error' && String(record.error).includes('kaboom'))).toBe(true);
    expect((await fetch(`${fixture.url}/hello`)).status).toBe(200);
  });

  it('answers 500 when a handler returns without a response, so no client hangs (the seed upload handler sent nothing on timeout)', async () => {
    await using fixture = await startServer((app) => {
      app.post('/silent', (() => undefined) as never);
    });
    const response = await fetch(`${fixture.url}/silent`, { method: 'POST', body: 'data' });
    expect(response.status).toBe(500);
  });

  it('aborts the request signal when the client goes away', async () => {
    let seen: AbortSignal | undefined;
    let reached!: () => void;
    const inHandler = new Promise<void>((resolve) => {
      reached = resolve;
    });
    await using fixture = await startServer((app) => {
      app.get('/slow', async (c) => {
        seen = c.env.signal;
        reached();
        await new Promise<void>((resolve) => c.env.signal.addEventListener('abort', () => resolve(), { once: true }));
        return c.json({ late: true });
      });
    });
    const client = new AbortController();
    const pending = fetch(`${fixture.url}/slow`, { signal: client.signal }).catch(() => undefined);
    await inHandler;
    expect(seen?.aborted).toBe(false);
    client.abort();
    await pending;
    await expect.poll(() => seen?.aborted, { timeout: 10_000 }).toBe(true);
  });

  it('lets requests in flight finish at stop, then answers what is left with 503 after the drain time', async () => {
    let release!: () => void;
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    let started = 0;
    const fixture = await startServer((app) => {
      app.get('/finishing', async (c) => {
        started++;
        await released;
        return c.json({ done: true });
      });
      app.get('/stuck', async (c) => {
        started++;
        await new Promise<void>((resolve) => c.env.signal.addEventListener('abort', () => resolve(), { once: true }));
        return c.json({ never: 'seen' });
      });
    }, 1_000);
    const finished = fetch(`${fixture.url}/finishing`);
    const aborted = fetch(`${fixture.url}/stuck`);
    await expect.poll(() => started, { timeout: 10_000 }).toBe(2);

    let stopped = false;
    const stopping = fixture.server.stop(new AbortController().signal).then(() => {
      stopped = true;
    });
    release();
    const first = await finished;
    expect(first.status).toBe(200);
    expect(stopped).toBe(false);
    // The stuck request holds the stop until the drain time (on the manual clock) is over.
    await expect.poll(() => fixture.time.pendingTimerCount, { timeout: 10_000 }).toBe(1);
    await fixture.time.advance(1_000);
    const second = await aborted;
    expect(second.status).toBe(503);
    await stopping;
    expect(stopped).toBe(true);
    await expect(fetch(`${fixture.url}/finishing`)).rejects.toThrow(/fetch failed/);
  });

  it('serves /healthz and /readyz from the checks with their tags: 200 for healthy and degraded, 503 for unhealthy', async () => {
    const time = new ManualTimeProvider();
    let weather: HealthStatus = 'degraded';
    let readiness: HealthStatus = 'healthy';
    const checks = new HealthCheckService({
      timeProvider: time,
      registrations: [
        { name: 'weather', check: () => ({ status: weather, description: 'stale' }), tags: ['live', 'ready'] },
        { name: 'ready-only', check: () => ({ status: readiness }), tags: ['ready'] },
      ],
    });
    await using fixture = await startServer((app) => addHealthRoutes(app, checks, { status: () => ({ ok: true }) }));
    const live = await fetch(`${fixture.url}/healthz`);
    expect(live.status).toBe(200);
    const body = (await live.json()) as { status: string; entries: Record<string, { status: string; description: string }> };
    expect(body.status).toBe('degraded');
    expect(Object.keys(body.entries)).toEqual(['weather']);
    expect(body.entries['weather']).toMatchObject({ status: 'degraded', description: 'stale' });

    readiness = 'unhealthy';
    expect((await fetch(`${fixture.url}/readyz`)).status).toBe(503);
    expect((await fetch(`${fixture.url}/healthz`)).status).toBe(200);
    weather = 'unhealthy';
    expect((await fetch(`${fixture.url}/healthz`)).status).toBe(503);
    expect(await (await fetch(`${fixture.url}/status`)).json()).toEqual({ ok: true });
  });

  it('closes idle keep-alive connections at stop without waiting for them', async () => {
    const fixture = await startServer(hello);
    // A keep-alive connection left open by the client.
    await new Promise<void>((resolve, reject) => {
      const request = httpRequest(`${fixture.url}/hello`, { agent: new Agent({ keepAlive: true }) }, (response) => {
        response.resume();
        response.on('end', () => resolve());
      });
      request.on('error', reject);
      request.end();
    });
    await fixture.server.stop(new AbortController().signal);
    expect(fixture.server.snapshot()).toMatchObject({ state: 'stopped' });
  });
});
