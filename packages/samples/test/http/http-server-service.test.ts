import { createLoggerFactory, HealthCheckService, MemoryLogSink, type HealthStatus } from '@hostkit/core';
import { ManualTimeProvider } from '@hostkit/core/testing';
import { Agent, request as httpRequest } from 'node:http';
import { describe, expect, it } from 'vitest';
import { HttpServerService } from '../../src/http/http-server-service.ts';
import { sendJson } from '../../src/http/json-response.ts';
import type { Route } from '../../src/http/route.ts';
import { createHealthRoutes, createStatusRoute } from '../../src/http/system-routes.ts';

interface Fixture extends AsyncDisposable {
  server: HttpServerService;
  time: ManualTimeProvider;
  logs: MemoryLogSink;
  url: string;
}

async function startServer(routes: Route[], drainTimeoutMs = 5_000): Promise<Fixture> {
  const time = new ManualTimeProvider();
  const logs = new MemoryLogSink();
  const loggers = createLoggerFactory({ sinks: [logs], timeProvider: time });
  const server = new HttpServerService({ port: 0, routes, time, logger: loggers.createLogger('test.Http'), drainTimeoutMs });
  await server.start(new AbortController().signal);
  return {
    server,
    time,
    logs,
    url: server.url ?? '',
    [Symbol.asyncDispose]: () => server.stop(new AbortController().signal),
  };
}

const hello: Route = {
  method: 'GET',
  path: '/hello',
  handle: (_request, response) => {
    sendJson(response, 200, { hello: 'world' });
    return Promise.resolve();
  },
};

describe('HttpServerService', () => {
  it('listens on 127.0.0.1 on the port the system picked and logs where', async () => {
    await using fixture = await startServer([hello]);
    expect(fixture.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(fixture.url.endsWith(':0')).toBe(false);
    expect(fixture.logs.records.map((record) => record.message)).toContain(`HTTP: listening on ${fixture.url}`);
    const response = await fetch(`${fixture.url}/hello?x=1`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(await response.json()).toEqual({ hello: 'world' });
  });

  it('answers 404 for an unknown path and 405 with Allow for a known path with another method', async () => {
    await using fixture = await startServer([hello]);
    const missing = await fetch(`${fixture.url}/nope`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ error: 'not_found', routes: ['GET /hello'] });
    const wrongMethod = await fetch(`${fixture.url}/hello`, { method: 'POST', body: 'x' });
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.get('allow')).toBe('GET');
  });

  it('answers 500 when a handler throws, and keeps serving', async () => {
    const broken: Route = { method: 'GET', path: '/broken', handle: () => Promise.reject(new Error('kaboom')) };
    await using fixture = await startServer([hello, broken]);
    const response = await fetch(`${fixture.url}/broken`);
    expect(response.status).toBe(500);
    expect(await response.json()).toEqual({ error: 'internal_error', message: 'kaboom' });
    expect((await fetch(`${fixture.url}/hello`)).status).toBe(200);
    expect(fixture.server.snapshot()).toMatchObject({ failed: 1 });
  });

  it('answers 500 when a handler returns without responding, so no client hangs (the seed upload handler sent nothing on timeout)', async () => {
    const silent: Route = { method: 'POST', path: '/silent', handle: () => Promise.resolve() };
    await using fixture = await startServer([silent]);
    const response = await fetch(`${fixture.url}/silent`, { method: 'POST', body: 'data' });
    expect(response.status).toBe(500);
    expect(await response.json()).toMatchObject({ message: 'The handler sent no response' });
  });

  it('aborts the request signal when the client goes away', async () => {
    let seen: AbortSignal | undefined;
    let reached!: () => void;
    const inHandler = new Promise<void>((resolve) => {
      reached = resolve;
    });
    const slow: Route = {
      method: 'GET',
      path: '/slow',
      handle: async (_request, _response, signal) => {
        seen = signal;
        reached();
        await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
      },
    };
    await using fixture = await startServer([slow]);
    const client = new AbortController();
    const pending = fetch(`${fixture.url}/slow`, { signal: client.signal }).catch(() => undefined);
    await inHandler;
    expect(seen?.aborted).toBe(false);
    client.abort();
    await pending;
    await expect.poll(() => seen?.aborted, { timeout: 10_000 }).toBe(true);
  });

  it('lets requests in flight finish at stop, then aborts what is left after the drain time', async () => {
    let release!: () => void;
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    let started = 0;
    const finishing: Route = {
      method: 'GET',
      path: '/finishing',
      handle: async (_request, response) => {
        started++;
        await released;
        sendJson(response, 200, { done: true });
      },
    };
    const stuck: Route = {
      method: 'GET',
      path: '/stuck',
      handle: async (_request, response, signal) => {
        started++;
        await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
        sendJson(response, 503, { error: 'stopping' });
      },
    };
    const fixture = await startServer([finishing, stuck], 1_000);
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
    await using fixture = await startServer([...createHealthRoutes(checks), createStatusRoute(() => ({ ok: true }))]);
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
    const fixture = await startServer([hello]);
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

describe('HttpServerService start', () => {
  it('says which port is taken and what to do when it cannot listen', async () => {
    await using taken = await startServer([hello]);
    const port = Number(new URL(taken.url).port);
    const time = new ManualTimeProvider();
    const second = new HttpServerService({ port, routes: [], time, logger: createLoggerFactory().createLogger('test') });
    await expect(second.start(new AbortController().signal)).rejects.toThrow(
      `Port ${port} on 127.0.0.1 is already in use: set PORT (or --port) to a free port, or to 0 for any free port`,
    );
  });
});
