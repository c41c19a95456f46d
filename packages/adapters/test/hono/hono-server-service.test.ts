import { Host, MemoryLogSink, type Host as HostType, type HostApplicationBuilder } from '@hostkit/core';
import { ManualTimeProvider } from '@hostkit/core/testing';
import { describe, expect, it } from 'vitest';
import { addHonoServer, createHonoApp, HonoServerService, type AddHonoServerOptions } from '@hostkit/adapters/hono';
import { createLoggerFactory } from '@hostkit/core';

/** A scoped service that records its creation and disposal. */
class RequestTracker implements AsyncDisposable {
  static created = 0;
  static disposed = 0;
  readonly id: number = ++RequestTracker.created;
  [Symbol.asyncDispose](): Promise<void> {
    RequestTracker.disposed++;
    return Promise.resolve();
  }
}

interface Fixture extends AsyncDisposable {
  host: HostType;
  url: string;
  time: ManualTimeProvider;
  logs: MemoryLogSink;
  server: HonoServerService;
}

async function startHost(configure: (app: ReturnType<typeof addHonoServer>, builder: HostApplicationBuilder) => void, options: Partial<AddHonoServerOptions> = {}): Promise<Fixture> {
  const time = new ManualTimeProvider();
  const logs = new MemoryLogSink();
  const builder = Host.createApplicationBuilder({ timeProvider: time });
  builder.logging.clearSinks().addSink(logs);
  builder.services.addScoped(RequestTracker, () => new RequestTracker());
  const app = addHonoServer(builder, { port: 0, ...options });
  configure(app, builder);
  const host = builder.build();
  await host.start();
  const server = host.services.get(HonoServerService);
  return {
    host,
    time,
    logs,
    server,
    url: server.url ?? '',
    [Symbol.asyncDispose]: async () => {
      // No drain delay and nothing in flight: the stop needs no time on the manual clock.
      await host.stop();
      await host.dispose();
    },
  };
}

async function waitFor(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('HonoServerService', () => {
  it('serves the app on 127.0.0.1 on the port the system picked, and logs where', async () => {
    await using f = await startHost((app) => app.get('/hello', (c) => c.json({ hello: 'world' })));
    expect(f.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(f.url.endsWith(':0')).toBe(false);
    expect(f.logs.records.some((record) => record.message.startsWith(`HTTP: listening on ${f.url}`))).toBe(true);
    const response = await fetch(`${f.url}/hello`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ hello: 'world' });
  });

  it('gives each request its own scope and disposes it once the response is sent', async () => {
    const seen: number[] = [];
    await using f = await startHost((app) =>
      app.get('/tracked', (c) => {
        const tracker = c.env.scope.get(RequestTracker);
        seen.push(tracker.id, c.env.scope.get(RequestTracker).id);
        return c.json({ id: tracker.id });
      }),
    );
    const disposedBefore = RequestTracker.disposed;
    const first = (await (await fetch(`${f.url}/tracked`)).json()) as { id: number };
    const second = (await (await fetch(`${f.url}/tracked`)).json()) as { id: number };
    expect(first.id).not.toBe(second.id);
    expect(seen).toEqual([first.id, first.id, second.id, second.id]);
    await waitFor(() => RequestTracker.disposed === disposedBefore + 2, 'both scopes disposed');
  });

  it('keeps the scope of a streamed response until its body ends, and disposes it when the client goes away mid-stream', async () => {
    let release!: () => void;
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    await using f = await startHost((app) => {
      app.get('/stream', (c) => {
        c.env.scope.get(RequestTracker);
        const encoder = new TextEncoder();
        const body = new ReadableStream<Uint8Array>({
          async start(controller) {
            controller.enqueue(encoder.encode('first\n'));
            await released;
            controller.enqueue(encoder.encode('second\n'));
            controller.close();
          },
        });
        return new Response(body);
      });
      app.get('/endless', (c) => {
        c.env.scope.get(RequestTracker);
        let timer: ReturnType<typeof setInterval> | undefined;
        const body = new ReadableStream<Uint8Array>({
          start(controller) {
            timer = setInterval(() => controller.enqueue(new TextEncoder().encode('tick\n')), 5);
          },
          cancel() {
            clearInterval(timer);
          },
        });
        return new Response(body);
      });
    });
    const disposedBefore = RequestTracker.disposed;
    const response = await fetch(`${f.url}/stream`);
    const reader = response.body!.getReader();
    expect(new TextDecoder().decode((await reader.read()).value)).toBe('first\n');
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(RequestTracker.disposed).toBe(disposedBefore);
    release();
    while (!(await reader.read()).done);
    await waitFor(() => RequestTracker.disposed === disposedBefore + 1, 'the streamed response’s scope disposed');

    const client = new AbortController();
    const endless = await fetch(`${f.url}/endless`, { signal: client.signal });
    const endlessReader = endless.body!.getReader();
    await endlessReader.read();
    client.abort();
    await endlessReader.read().catch(() => undefined);
    await waitFor(() => RequestTracker.disposed === disposedBefore + 2, 'the aborted stream’s scope disposed');
  });

  it('serves /healthz and /readyz from the host’s checks, /readyz 503 once the host stops', async () => {
    await using f = await startHost(() => undefined, { drainDelayMs: 1_000 });
    expect((await fetch(`${f.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${f.url}/readyz`)).status).toBe(200);
    const stopping = f.host.stop();
    // The drain delay: still serving, and readiness already off.
    const ready = await fetch(`${f.url}/readyz`, { headers: { connection: 'close' } });
    expect(ready.status).toBe(503);
    expect(((await ready.json()) as { status: string }).status).toBe('unhealthy');
    expect((await fetch(`${f.url}/healthz`, { headers: { connection: 'close' } })).status).toBe(200);
    await f.time.advance(1_000);
    await stopping;
    await expect(fetch(`${f.url}/healthz`)).rejects.toThrow(/fetch failed|error sending request|Connection refused/i);
  });

  it('answers 500 without the error’s message when a route throws, and logs it', async () => {
    await using f = await startHost((app) =>
      app.get('/broken', () => {
        throw new Error('secret path /etc/kaboom');
      }),
    );
    const response = await fetch(`${f.url}/broken`);
    expect(response.status).toBe(500);
    const text = await response.text();
    expect(text).not.toContain('kaboom');
    expect(JSON.parse(text)).toMatchObject({ error: 'internal_error' });
    expect(f.logs.records.some((record) => record.level === 'error' && String(record.error).includes('kaboom'))).toBe(true);
  });

  it('does not route //status to / or to /status', async () => {
    await using f = await startHost((app) => app.get('/', (c) => c.json({ index: true })), { health: { status: () => ({ ok: true }) } });
    expect((await fetch(`${f.url}/status`)).status).toBe(200);
    expect((await fetch(`${f.url}//status`)).status).toBe(404);
  });

  it('serves through the drain delay, finishes requests in flight, then answers what is still unanswered with 503 at the drain timeout', async () => {
    let release!: () => void;
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    let started = 0;
    let stuckSignal: AbortSignal | undefined;
    const f = await startHost(
      (app) => {
        app.get('/finishing', async (c) => {
          started++;
          await released;
          return c.json({ done: true });
        });
        app.get('/stuck', async (c) => {
          started++;
          stuckSignal = c.env.signal;
          await new Promise(() => undefined);
          return c.json({ never: true });
        });
      },
      { drainDelayMs: 500, drainTimeoutMs: 2_000 },
    );
    const finishing = fetch(`${f.url}/finishing`);
    const stuck = fetch(`${f.url}/stuck`);
    await waitFor(() => started === 2, 'both requests in their handlers');
    let stopped = false;
    const stopping = f.host.stop().then(() => {
      stopped = true;
    });
    // In the drain delay a new connection is still served.
    expect((await fetch(`${f.url}/healthz`, { headers: { connection: 'close' } })).status).toBe(200);
    await f.time.advance(500);
    release();
    expect((await finishing).status).toBe(200);
    expect(stopped).toBe(false);
    await f.time.advance(2_000);
    const cut = await stuck;
    expect(cut.status).toBe(503);
    expect(cut.headers.get('retry-after')).toBe('1');
    expect(stuckSignal?.aborted).toBe(true);
    await stopping;
    expect(f.server.snapshot()).toMatchObject({ state: 'stopped', cut: 1 });
    await f.host.dispose();
  });

  it('aborts c.env.signal when the client goes away, with a reason that says so', async () => {
    let entered = false;
    let reason: unknown;
    await using f = await startHost((app) =>
      app.get('/wait', async (c) => {
        const signal = c.env.signal;
        entered = true;
        await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
        reason = signal.reason;
        return c.json({ aborted: true });
      }),
    );
    const client = new AbortController();
    const request = fetch(`${f.url}/wait`, { signal: client.signal }).catch((error: unknown) => error);
    await waitFor(() => entered, 'the request in its handler');
    client.abort();
    await request;
    await waitFor(() => reason !== undefined, 'the route sees its signal abort');
    expect(reason).toMatchObject({ name: 'AbortError', message: 'The client closed the connection' });
    await waitFor(() => f.server.snapshot()['inFlight'] === 0, 'the request leaves the in-flight set');
  });

  it('gives a route that first asks for c.env.signal after the drain deadline an aborted signal', async () => {
    let release!: () => void;
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    let entered = false;
    let lateSignal: AbortSignal | undefined;
    const f = await startHost((app) =>
      app.get('/late', async (c) => {
        entered = true;
        await released;
        lateSignal = c.env.signal;
        return c.json({ late: true });
      }),
    );
    const late = fetch(`${f.url}/late`);
    await waitFor(() => entered, 'the request in its handler');
    const stopping = f.host.stop();
    await f.time.advance(10_000); // the default drain timeout
    expect((await late).status).toBe(503);
    release();
    await waitFor(() => lateSignal !== undefined, 'the route asks for its signal');
    expect(lateSignal?.aborted).toBe(true);
    expect(lateSignal?.reason).toMatchObject({ message: 'The HTTP server is stopping: the drain time is over' });
    await stopping;
    expect(f.server.snapshot()).toMatchObject({ cut: 1, inFlight: 0 });
    await f.host.dispose();
  });

  it('answers with 503 at once when the shutdown budget runs out during the drain', async () => {
    let started = false;
    const f = await startHost(
      (app) =>
        app.get('/stuck', async () => {
          started = true;
          return await new Promise<Response>(() => undefined);
        }),
      { drainDelayMs: 0, drainTimeoutMs: 60_000 },
    );
    const stuck = fetch(`${f.url}/stuck`);
    await waitFor(() => started, 'the request in its handler');
    const stopping = f.host.stop().catch(() => undefined);
    await f.time.advance(30_000); // the host's default shutdown budget
    expect((await stuck).status).toBe(503);
    await stopping;
    await f.host.dispose();
  });
});

describe('HonoServerService start', () => {
  it('says which port is taken and what to do when it cannot listen', async () => {
    await using taken = await startHost(() => undefined);
    const port = Number(new URL(taken.url).port);
    const second = new HonoServerService({
      app: createHonoApp(),
      port,
      time: new ManualTimeProvider(),
      logger: createLoggerFactory().createLogger('test'),
    });
    await expect(second.start(new AbortController().signal)).rejects.toThrow(
      `Port ${port} on 127.0.0.1 is already in use: set PORT (or --port) to a free port, or to 0 for any free port`,
    );
  });

  it('refuses a drain delay that is not an integer >= 0, naming the value', () => {
    expect(
      () => new HonoServerService({ app: createHonoApp(), port: 0, drainDelayMs: -1, time: new ManualTimeProvider(), logger: createLoggerFactory().createLogger('t') }),
    ).toThrow('Expected drainDelayMs to be an integer >= 0, got -1 (number)');
  });
});
