import { CancellationSource, createAbortError, type HostedService, type Logger, type TimeProvider } from '@hostkit/core';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { sendJson } from './json-response.ts';
import type { Route } from './route.ts';
import { traceRequest } from '../telemetry/sample-spans.ts';

/** Options of {@link HttpServerService}. */
export interface HttpServerServiceOptions {
  /** TCP port on 127.0.0.1; 0 lets the system pick a free one (logged). */
  readonly port: number;
  readonly routes: readonly Route[];
  readonly time: TimeProvider;
  readonly logger: Logger;
  /**
   * Ms that requests still in flight at stop get to finish before their signals abort (bounded
   * by the host's shutdown budget too). @default 5000
   */
  readonly drainTimeoutMs?: number;
  /** Called once listening, with the base URL: prints the "where to go" banner. */
  readonly onListening?: (url: string) => void;
}

/**
 * A small router over `node:http`, bound to 127.0.0.1 only (the samples are not meant to be
 * reachable from the network), run as a hosted service: it listens in `start` and closes in
 * `stop`. Registered last, so it starts when every feature has started (its "listening" line means
 * the program is ready) and stops first (no new work arrives while the features drain).
 *
 * Routing is by exact path and method; a path with other methods gets 405 with `Allow`, an unknown
 * path 404, a handler that throws 500 (JSON bodies throughout). Each request's signal aborts when
 * the client goes away, or at stop once the drain time is over.
 */
export class HttpServerService implements HostedService {
  readonly #options: HttpServerServiceOptions;
  readonly #inFlight = new Set<AbortController>();
  #server: Server | undefined = undefined;
  #url: string | undefined = undefined;
  #requests = 0;
  #errors = 0;
  /** Set while stop waits for the requests in flight. */
  #onDrained: (() => void) | undefined = undefined;

  constructor(options: HttpServerServiceOptions) {
    this.#options = options;
  }

  /** `http://127.0.0.1:<port>` once listening. */
  get url(): string | undefined {
    return this.#url;
  }

  /** Counters for GET /status. */
  snapshot(): Record<string, unknown> {
    return {
      state: this.#server === undefined ? 'stopped' : 'listening',
      url: this.#url ?? null,
      processed: this.#requests,
      failed: this.#errors,
      inFlight: this.#inFlight.size,
    };
  }

  /** Called by the host at start: listens, and logs the URL with the real port. */
  async start(_signal: AbortSignal): Promise<void> {
    const server = createServer((request, response) => {
      this.#dispatch(request, response);
    });
    // Idle keep-alive sockets are not kept long: a closing server then has little to wait for.
    server.keepAliveTimeout = 2_000;
    await new Promise<void>((resolve, reject) => {
      const onError = (error: NodeJS.ErrnoException): void => {
        // The usual newcomer's failure (a second copy running): say what to do about it.
        reject(
          error.code === 'EADDRINUSE'
            ? new Error(`Port ${this.#options.port} on 127.0.0.1 is already in use: set PORT (or --port) to a free port, or to 0 for any free port`, { cause: error })
            : error,
        );
      };
      server.once('error', onError);
      server.listen(this.#options.port, '127.0.0.1', () => {
        server.off('error', onError);
        resolve();
      });
    });
    this.#server = server;
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    this.#url = url;
    this.#options.logger.info(`HTTP: listening on ${url}`);
    this.#options.onListening?.(url);
  }

  /**
   * Called by the host at stop: stops accepting connections, gives requests in flight the drain
   * time (or what is left of the shutdown budget, `signal`) to finish, then aborts their signals
   * and closes every connection.
   */
  async stop(signal: AbortSignal): Promise<void> {
    const server = this.#server;
    if (server === undefined) return;
    this.#server = undefined;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    if (this.#inFlight.size > 0) {
      this.#options.logger.info(`HTTP: waiting up to ${this.#options.drainTimeoutMs ?? 5_000} ms for ${this.#inFlight.size} request(s) in flight`);
      using wait = CancellationSource.linked([signal]);
      const drained = new Promise<void>((resolve) => {
        this.#onDrained = resolve;
      });
      await Promise.race([
        drained,
        // Ends early (and its timer goes) when the requests drain or the shutdown budget runs out.
        this.#options.time.delay(this.#options.drainTimeoutMs ?? 5_000, wait.signal).catch(() => undefined),
      ]);
      this.#onDrained = undefined;
      wait.cancel();
    }
    const reason = createAbortError('The HTTP server is stopping');
    for (const controller of this.#inFlight) controller.abort(reason);
    // Give the handlers a turn to answer their aborted requests before the sockets go.
    await new Promise<void>((resolve) => setImmediate(resolve));
    server.closeAllConnections();
    await closed;
    this.#options.logger.info('HTTP: closed');
  }

  #dispatch(request: IncomingMessage, response: ServerResponse): void {
    this.#requests++;
    const controller = new AbortController();
    this.#inFlight.add(controller);
    response.once('close', () => {
      this.#inFlight.delete(controller);
      if (this.#inFlight.size === 0) this.#onDrained?.();
      if (!response.writableFinished) controller.abort(createAbortError('The client closed the connection'));
    });
    const path = new URL(request.url ?? '/', 'http://127.0.0.1').pathname;
    const candidates = this.#options.routes.filter((route) => route.path === path);
    const route = candidates.find((candidate) => candidate.method === request.method);
    if (route === undefined) {
      request.resume();
      if (candidates.length === 0) {
        sendJson(response, 404, { error: 'not_found', message: `No route for ${path}`, routes: this.#options.routes.map((r) => `${r.method} ${r.path}`) });
      } else {
        const allow = candidates.map((candidate) => candidate.method).join(', ');
        sendJson(response, 405, { error: 'method_not_allowed', message: `${path} accepts ${allow}` }, { allow });
      }
      return;
    }
    // The handler's outcome is handled here: a rejection becomes a 500 (or a closed socket).
    void traceRequest(request, response, route.path, () => route.handle(request, response, controller.signal)).then(
      () => {
        if (!response.writableEnded && !response.headersSent && !controller.signal.aborted) {
          this.#errors++;
          this.#options.logger.error(`HTTP: ${route.method} ${route.path} returned without sending a response`);
          sendJson(response, 500, { error: 'internal_error', message: 'The handler sent no response' });
        }
      },
      (error: unknown) => {
        this.#errors++;
        this.#options.logger.error(`HTTP: ${route.method} ${route.path} failed`, { error });
        if (response.headersSent) response.destroy();
        else sendJson(response, 500, { error: 'internal_error', message: error instanceof Error ? error.message : String(error) });
      },
    );
  }
}
