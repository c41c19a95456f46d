/**
 * A loopback Open-Meteo for end-to-end tests, run in the TEST process: point the program's
 * WEATHER_API_URL at it and switch its behaviour while the program runs.
 */
import { systemTimeProvider } from '@hostkit/core';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { handleStubRequest } from '../../src/weather/weather-stub-server.ts';

/**
 * - `ok`: a valid forecast (the built-in stub's handler);
 * - `fail`: 500 with Open-Meteo's error body;
 * - `garbage`: 200 with a body that is not JSON;
 * - `stall`: accepts the request and never answers.
 */
export type FakeOpenMeteoMode = 'ok' | 'fail' | 'garbage' | 'stall';

export interface FakeOpenMeteo extends AsyncDisposable {
  readonly url: string;
  mode: FakeOpenMeteoMode;
  /** Requests received, by the mode they met. */
  readonly requests: Record<FakeOpenMeteoMode, number>;
}

export async function startFakeOpenMeteo(mode: FakeOpenMeteoMode): Promise<FakeOpenMeteo> {
  const stalled = new Set<ServerResponse>();
  const state = { mode, requests: { ok: 0, fail: 0, garbage: 0, stall: 0 } };
  const server = createServer((request, response) => {
    const current = state.mode;
    state.requests[current]++;
    switch (current) {
      case 'ok':
        // Never rejects: a failure ends the response with a 500.
        void answerFromStub(request, response).catch(() => response.writeHead(500).end());
        return;
      case 'fail':
        response.writeHead(500, { 'content-type': 'application/json' }).end('{"error":true,"reason":"fake outage"}');
        return;
      case 'garbage':
        response.writeHead(200, { 'content-type': 'application/json' }).end('<html>definitely not json');
        return;
      case 'stall':
        stalled.add(response);
        response.once('close', () => stalled.delete(response));
        return;
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    get mode() {
      return state.mode;
    },
    set mode(value: FakeOpenMeteoMode) {
      state.mode = value;
    },
    requests: state.requests,
    [Symbol.asyncDispose]: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
  };
}

/** The stub's answer (web Request to Response) written to a node:http response. */
async function answerFromStub(request: IncomingMessage, response: ServerResponse): Promise<void> {
  const answer = handleStubRequest(new Request(`http://127.0.0.1${request.url ?? '/'}`, { method: request.method ?? 'GET' }), systemTimeProvider);
  const body = new Uint8Array(await answer.arrayBuffer());
  response.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'application/json' }).end(body);
}
