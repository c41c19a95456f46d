/**
 * What a mock cannot show: each transport's timeouts, size limit, keep-alive and teardown,
 * against a real HTTP server on 127.0.0.1. The tests wait on server and socket events, never on
 * fixed sleeps. Timeouts are set to tens of ms, yet each undici timeout test takes about a
 * second: undici 8.12 runs headers and body timeouts on its fast timers, which tick every ~500 ms.
 */
import diagnostics from 'node:diagnostics_channel';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { WeatherRequestError, WeatherResponseError } from '@hostkit/core/weather';
import { FetchWeatherClient } from '../../src/fetch/index.ts';
import type { WeatherClientOptions } from '../../src/open-meteo/weather-client-options.ts';
import { afterEach, describe, expect, it } from 'vitest';
import { UndiciWeatherClient } from '../../src/undici/index.ts';
import { berlin, currentBody } from './open-meteo-fixtures.ts';
import { rejectionOf } from './test-helpers.ts';
import type { TestWeatherClient } from './weather-services.ts';

/** Resolves when undici has next parsed a response head (its `undici:request:headers` diagnostics event). */
function nextUndiciResponseHead(): Promise<void> {
  return new Promise((resolve) => {
    const onHeaders = (): void => {
      diagnostics.unsubscribe('undici:request:headers', onHeaders);
      resolve();
    };
    diagnostics.subscribe('undici:request:headers', onHeaders);
  });
}

interface TestServer {
  readonly baseUrl: string;
  /** Requests received so far. */
  readonly requests: IncomingMessage[];
  /** Connections accepted so far. */
  readonly sockets: Socket[];
  /** Resolves when every connection accepted so far has closed. */
  allClosed(): Promise<void>;
}

/** How each transport's client is made, and what its timeouts leave as the error's cause. */
interface NetworkCase {
  readonly name: string;
  connect(options: WeatherClientOptions & { headersTimeout?: number; bodyTimeout?: number; maxResponseSize?: number }): TestWeatherClient;
  /** Resolves when the client has next received a response head. */
  nextResponseHead(): Promise<void>;
  /** What the cause of a headers / body timeout error looks like. */
  readonly headersTimeoutCause: object;
  readonly bodyTimeoutCause: object;
  /** The message when a body of declared length stalls after 50 bytes (fetch reads such a body whole, so cannot count). */
  readonly stalledBody: string;
  /** The problem when a body of `length` declared bytes is cut after 100. */
  truncatedBody(length: number): string;
  /** Whether closing the client closes its connections (undici's own Agent), or they are the runtime's (fetch). */
  readonly ownsConnections: boolean;
}

/** The fetch client's heads arrive through its injected `fetch`: this one tells when. */
let onFetchHead: (() => void) | undefined;

const networkCases: readonly NetworkCase[] = [
  {
    name: 'undici',
    connect: (options) => new UndiciWeatherClient(options),
    nextResponseHead: nextUndiciResponseHead,
    headersTimeoutCause: { code: 'UND_ERR_HEADERS_TIMEOUT' },
    bodyTimeoutCause: { code: 'UND_ERR_BODY_TIMEOUT' },
    stalledBody: 'Weather request failed: the body stopped arriving after 50 bytes: no data within 40 ms (bodyTimeout)',
    truncatedBody: (length) => `body truncated: the connection closed after 100 of ${length} bytes`,
    ownsConnections: true,
  },
  {
    name: 'fetch',
    connect: (options) =>
      new FetchWeatherClient({
        ...options,
        fetch: async (url, init) => {
          const response = await fetch(url, init);
          onFetchHead?.();
          return response;
        },
      }),
    nextResponseHead: () =>
      new Promise((resolve) => {
        onFetchHead = () => {
          onFetchHead = undefined;
          resolve();
        };
      }),
    headersTimeoutCause: { name: 'TimeoutError', message: 'No response headers within 200 ms' },
    bodyTimeoutCause: { name: 'TimeoutError', message: 'No body data within 40 ms' },
    stalledBody: 'Weather request failed: the body did not arrive in full: no end within 40 ms (bodyTimeout)',
    truncatedBody: (length) => `body truncated: the connection closed before all ${length} bytes arrived`,
    ownsConnections: false,
  },
];

describe.each(networkCases)('weather client over $name over a real connection', (transport) => {
  let server: Server | undefined;
  let client: TestWeatherClient | undefined;

  afterEach(async () => {
    await client?.close();
    client = undefined;
    if (server !== undefined) {
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
      server = undefined;
    }
  });

  async function serve(handler: (request: IncomingMessage, response: ServerResponse) => void): Promise<TestServer> {
    const requests: IncomingMessage[] = [];
    const sockets: Socket[] = [];
    const closed: Promise<void>[] = [];
    server = createServer((request, response) => {
      requests.push(request);
      handler(request, response);
    });
    server.on('connection', (socket: Socket) => {
      // Clients that hang up mid-response (the point of several tests) reset the socket.
      socket.on('error', () => undefined);
      sockets.push(socket);
      // Not events.once: it rejects when 'error' (a reset) comes before 'close'.
      closed.push(new Promise((resolve) => socket.once('close', () => resolve())));
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as AddressInfo;
    return { baseUrl: `http://127.0.0.1:${port}`, requests, sockets, allClosed: async () => void (await Promise.all(closed)) };
  }

  function connect(
    target: TestServer,
    options?: WeatherClientOptions & { headersTimeout?: number; bodyTimeout?: number; maxResponseSize?: number },
  ): TestWeatherClient {
    client = transport.connect({ baseUrl: target.baseUrl, ...options, retry: { jitter: 0, initialDelay: 1, ...options?.retry } });
    return client;
  }

  const body = JSON.stringify(currentBody());

  it('reuses keep-alive connections when requests follow each other', async () => {
    const target = await serve((_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' }).end(body);
    });
    const weather = connect(target);

    for (let i = 0; i < 5; i++) await weather.getCurrent(berlin);

    expect(target.requests).toHaveLength(5);
    expect(target.requests[0]?.httpVersion).toBe('1.1');
    expect(target.requests[0]?.url).toBe(
      '/v1/forecast?latitude=52.52&longitude=13.41&current=temperature_2m,weather_code,wind_speed_10m&timezone=UTC',
    );
    expect(target.requests[0]?.headers['accept']).toBe('application/json');
    // undici's pool opens a second connection for a request sent in the same tick as the end of the
    // previous body (the first connection is not marked free yet), then reuses both.
    expect(target.sockets.length).toBeLessThanOrEqual(2);
  });

  it('fails with a WeatherRequestError, without retrying, when the headers do not come within headersTimeout', async () => {
    // The server never answers.
    const target = await serve(() => undefined);
    // 200 ms, not less: the request must reach the server first, and a runtime's first fetch loads its HTTP stack.
    const weather = connect(target, { headersTimeout: 200 });

    const error = await rejectionOf(weather.getCurrent(berlin));

    expect(error).toBeInstanceOf(WeatherRequestError);
    expect((error as Error).message).toBe('Weather request failed: no response headers within 200 ms (headersTimeout)');
    expect((error as Error).cause).toMatchObject(transport.headersTimeoutCause);
    expect(target.requests).toHaveLength(1);
  });

  it('fails with a WeatherRequestError when the body stalls for longer than bodyTimeout', async () => {
    const target = await serve((_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json', 'content-length': String(body.length) });
      response.write(body.slice(0, 50));
    });
    const weather = connect(target, { bodyTimeout: 40 });

    const error = await rejectionOf(weather.getCurrent(berlin));

    expect(error).toBeInstanceOf(WeatherRequestError);
    expect((error as Error).message).toBe(transport.stalledBody);
    expect((error as Error).cause).toMatchObject(transport.bodyTimeoutCause);
    expect(target.requests).toHaveLength(1);
    // The stalled connection is not kept for reuse.
    await target.allClosed();
  });

  it('reports a truncated body, after retrying, when the connection is reset mid-body', async () => {
    const target = await serve((_request, response) => {
      // A reset makes the receiving kernel drop what the client has not read yet: reset only once
      // undici has parsed the head (the first 100 bytes of body come in the same segment), or the
      // client may see a reset before any response, as Deno's slower reads showed.
      const parsed = transport.nextResponseHead();
      response.writeHead(200, { 'content-type': 'application/json', 'content-length': String(body.length) });
      response.write(body.slice(0, 100), () => void parsed.then(() => response.socket?.resetAndDestroy()));
    });
    const weather = connect(target, { retry: { maxAttempts: 2 } });

    const error = await rejectionOf(weather.getCurrent(berlin));

    expect(error).toBeInstanceOf(WeatherResponseError);
    expect((error as WeatherResponseError).problem).toBe(transport.truncatedBody(body.length));
    expect((error as WeatherResponseError).attempts).toBe(2);
    expect(target.requests).toHaveLength(2);
  });

  it('reports a truncated chunked body when the connection closes mid-body', async () => {
    const target = await serve((_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.write(body.slice(0, 80), () => response.socket?.destroy());
    });
    const weather = connect(target, { retry: { maxAttempts: 1 } });

    const error = await rejectionOf(weather.getCurrent(berlin));

    expect(error).toBeInstanceOf(WeatherResponseError);
    expect((error as WeatherResponseError).problem).toBe('body truncated: the connection closed after 80 bytes');
  });

  it('retries, then succeeds, when the server answers 503 first', async () => {
    let count = 0;
    const target = await serve((_request, response) => {
      if (count++ === 0) response.writeHead(503, { 'retry-after': '0' }).end('busy');
      else response.writeHead(200, { 'content-type': 'application/json' }).end(body);
    });
    const weather = connect(target);

    await expect(weather.getCurrent(berlin)).resolves.toMatchObject({ weatherCode: 61 });
    expect(target.requests).toHaveLength(2);
    // The 503's body was read, so its connection was reused.
    expect(target.sockets).toHaveLength(1);
  });

  it('fails with the limit, without retrying, and drops the connection when a chunked body exceeds maxResponseSize', async () => {
    const chunk = 'x'.repeat(1_024);
    const target = await serve((_request, response) => {
      response.on('error', () => undefined);
      response.writeHead(200, { 'content-type': 'application/json' });
      response.write(`{"padding":"`);
      // Keeps writing until the client hangs up; only the limit can stop it.
      const pump = (): void => {
        while (!response.destroyed && response.write(chunk));
        if (!response.destroyed) response.once('drain', pump);
      };
      pump();
    });
    const weather = connect(target, { maxResponseSize: 4_096 });

    const error = await rejectionOf(weather.getCurrent(berlin));

    expect(error).toBeInstanceOf(WeatherResponseError);
    expect((error as WeatherResponseError).problem).toBe('body exceeded 4096 bytes');
    expect(target.requests).toHaveLength(1);
    await target.allClosed();
  });

  it('rejects with the reason and closes the connection when the signal aborts while waiting for the response', async () => {
    const target = await serve(() => undefined);
    const weather = connect(target);
    const controller = new AbortController();

    const pending = rejectionOf(weather.getCurrent(berlin, controller.signal));
    while (target.requests.length === 0) await once(server!, 'request');
    controller.abort(new Error('user left'));

    expect(await pending).toEqual(new Error('user left'));
    await target.allClosed();
  });

  it('rejects later calls, and closes the connections it owns, when closed', async () => {
    const target = await serve((_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' }).end(body);
    });
    const weather = connect(target);
    await weather.getCurrent(berlin);

    await weather.close();

    // undici's Agent is the client's own; fetch's pool is the runtime's, and stays open.
    if (transport.ownsConnections) await target.allClosed();
    await expect(weather.getCurrent(berlin)).rejects.toThrow('Weather request failed: the client is closed');
  });
});
