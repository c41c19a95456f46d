/**
 * The Open-Meteo service as the weather client suites see it, and the transports they run
 * against: undici (against a MockAgent, which undici alone can use) and `fetch` (against a
 * loopback `node:http` server that plays the same replies). One suite, both transports.
 */
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { CurrentWeather, DailyForecast, DailyForecastOptions, Coordinates } from '@hostkit/core/weather';
import { type Interceptable, MockAgent } from 'undici';

type MockScope = ReturnType<ReturnType<Interceptable['intercept']>['replyWithError']>;
import { FetchWeatherClient } from '../../src/fetch/index.ts';
import type { WeatherClientOptions } from '../../src/open-meteo/weather-client-options.ts';
import { UndiciWeatherClient } from '../../src/undici/index.ts';

/** How often and when a reply is given; the subset of MockAgent's `MockScope` both stubs offer. */
export interface ReplyScope {
  /** Gives the reply to the next `n` requests. */
  times(n: number): ReplyScope;
  /** Gives the reply to every later request. */
  persist(): ReplyScope;
  /** Holds the reply for `ms` of wall-clock time. */
  delay(ms: number): ReplyScope;
}

export interface Interceptor {
  /** Answers with `status`, `body` (an object is sent as JSON) and `headers`; without content-length unless given. */
  reply(status: number, body?: string | object, options?: { headers?: Readonly<Record<string, string>> }): ReplyScope;
  /** Resets the connection instead of answering (`ECONNRESET` at the client). */
  replyWithReset(): ReplyScope;
}

export interface OpenMeteoService {
  /** The origin to give the client as its base URL. */
  readonly baseUrl: string;
  /** Replies to forecast requests, in the order they were set up. */
  intercept(): Interceptor;
  /** `searchParams` of every request received so far, in order. */
  calls(): Record<string, string>[];
  /** The path (without the query) of every request received so far, in order. */
  paths(): string[];
  close(): Promise<void>;
}

/** What a suite needs from a client, whichever class it is. */
export interface TestWeatherClient extends AsyncDisposable {
  getCurrent(location: Coordinates, signal?: AbortSignal): Promise<CurrentWeather>;
  getDailyForecast(location: Coordinates, options: DailyForecastOptions, signal?: AbortSignal): Promise<DailyForecast>;
  close(): Promise<void>;
}

export interface WeatherTransportCase {
  readonly name: 'undici' | 'fetch';
  /** A stub of the service: a MockAgent at `origin` (undici), a loopback server (fetch). */
  serve(origin?: string): Promise<OpenMeteoService>;
  /** A client of this transport that talks to `service`; `options.baseUrl` defaults to the service's. */
  connect(service: OpenMeteoService, options?: WeatherClientOptions): TestWeatherClient;
}

class MockAgentService implements OpenMeteoService {
  readonly baseUrl: string;
  readonly agent: MockAgent;

  constructor(origin: string) {
    this.baseUrl = origin;
    this.agent = new MockAgent({ enableCallHistory: true });
    this.agent.disableNetConnect();
  }

  intercept(): Interceptor {
    const pool = this.agent.get(this.baseUrl);
    const forecast = { path: (path: string): boolean => path.includes('/v1/forecast?'), method: 'GET' };
    const wrap = (scope: MockScope): ReplyScope => ({
      times: (n) => wrap(scope.times(n)),
      persist: () => wrap(scope.persist()),
      delay: (ms) => wrap(scope.delay(ms)),
    });
    return {
      reply: (status, body, options) => wrap(pool.intercept(forecast).reply(status, body ?? '', options)),
      replyWithReset: () =>
        wrap(pool.intercept(forecast).replyWithError(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET', syscall: 'read' }))),
    };
  }

  calls(): Record<string, string>[] {
    return this.agent.getCallHistory()?.calls().map((call) => call.searchParams) ?? [];
  }

  paths(): string[] {
    return this.agent.getCallHistory()?.calls().map((call) => call.path.split('?')[0] ?? '') ?? [];
  }

  close(): Promise<void> {
    return this.agent.close();
  }
}

interface LoopbackReply {
  readonly status: number;
  readonly body: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly reset: boolean;
  remaining: number;
  delayMs: number;
}

class LoopbackService implements OpenMeteoService {
  readonly #server: Server;
  readonly #replies: LoopbackReply[] = [];
  readonly #calls: Record<string, string>[] = [];
  readonly #paths: string[] = [];
  readonly #timers = new Set<ReturnType<typeof setTimeout>>();
  baseUrl = '';

  constructor() {
    this.#server = createServer((request, response) => this.#handle(request, response));
    // Clients that hang up mid-response reset the socket.
    this.#server.on('connection', (socket: Socket) => socket.on('error', () => undefined));
  }

  async listen(): Promise<this> {
    this.#server.listen(0, '127.0.0.1');
    await once(this.#server, 'listening');
    this.baseUrl = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
    return this;
  }

  intercept(): Interceptor {
    const add = (reply: LoopbackReply): ReplyScope => {
      this.#replies.push(reply);
      const scope: ReplyScope = {
        times: (n) => ((reply.remaining = n), scope),
        persist: () => ((reply.remaining = Infinity), scope),
        delay: (ms) => ((reply.delayMs = ms), scope),
      };
      return scope;
    };
    return {
      reply: (status, body, options) =>
        add({
          status,
          body: typeof body === 'string' || body === undefined ? (body ?? '') : JSON.stringify(body),
          headers: options?.headers ?? {},
          reset: false,
          remaining: 1,
          delayMs: 0,
        }),
      replyWithReset: () => add({ status: 0, body: '', headers: {}, reset: true, remaining: 1, delayMs: 0 }),
    };
  }

  calls(): Record<string, string>[] {
    return [...this.#calls];
  }

  paths(): string[] {
    return [...this.#paths];
  }

  async close(): Promise<void> {
    for (const timer of this.#timers) clearTimeout(timer);
    this.#server.closeAllConnections();
    this.#server.close();
    await once(this.#server, 'close');
  }

  #handle(request: IncomingMessage, response: ServerResponse): void {
    const url = new URL(request.url ?? '/', 'http://loopback');
    this.#calls.push(Object.fromEntries(url.searchParams));
    this.#paths.push(url.pathname);
    const reply = this.#replies.find((candidate) => candidate.remaining > 0);
    if (reply === undefined) {
      response.writeHead(501, { 'content-type': 'text/plain' }).end('No reply set up for this request');
      return;
    }
    reply.remaining--;
    const answer = (): void => {
      if (reply.reset) {
        request.socket.resetAndDestroy();
        return;
      }
      response.writeHead(reply.status, reply.headers);
      // Written, then ended: chunked unless the reply sets content-length, as MockAgent's are.
      if (reply.body !== '') response.write(reply.body);
      response.end();
    };
    if (reply.delayMs === 0) answer();
    else {
      const timer = setTimeout(() => {
        this.#timers.delete(timer);
        answer();
      }, reply.delayMs);
      this.#timers.add(timer);
    }
  }
}

export const undiciTransport: WeatherTransportCase = {
  name: 'undici',
  serve: async (origin = 'https://api.open-meteo.com') => new MockAgentService(origin),
  connect: (service, options) =>
    new UndiciWeatherClient({ baseUrl: service.baseUrl, ...options, dispatcher: (service as MockAgentService).agent }),
};

export const fetchTransport: WeatherTransportCase = {
  name: 'fetch',
  serve: async () => new LoopbackService().listen(),
  connect: (service, options) => new FetchWeatherClient({ baseUrl: service.baseUrl, ...options }),
};

/** Every transport, for `describe.each`. */
export const transports: readonly WeatherTransportCase[] = [undiciTransport, fetchTransport];

/** Polls `condition` on event-loop turns until it holds, for at most 10 s of wall-clock time. */
export async function until(condition: () => boolean, what: string): Promise<void> {
  const deadline = performance.now() + 10_000;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`Timed out after 10 s waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
}
