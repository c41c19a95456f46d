import { CancellationSource, createAbortError, type HostedService, type ServiceScope, type Logger, type ServiceScopeFactory, type TimeProvider } from '@hostkit/core';
import { RequestScope, type HostkitBindings } from './request-scope.ts';
import { listen, type RuntimeServer } from './runtime-server.ts';

/** What {@link HonoServerService} serves: a Hono app, or anything with its `fetch`. */
export interface FetchApp {
  /** Answers one request (`Hono.prototype.fetch`); `env` becomes the route's `c.env`. */
  fetch(request: Request, env: HostkitBindings): Response | Promise<Response>;
}

/** Options of {@link HonoServerService}. */
export interface HonoServerServiceOptions {
  /** The app to serve, usually made with `createHonoApp` so that routes get `c.env.scope` and `c.env.signal`. */
  readonly app: FetchApp;
  /** TCP port; 0 lets the system pick a free one (logged, and in {@link HonoServerService.url}). */
  readonly port: number;
  /**
   * Interface to bind. In a container (Kubernetes), `0.0.0.0`.
   * @default '127.0.0.1'
   */
  readonly hostname?: string | undefined;
  /** Creates the per-request scopes (`c.env.scope`). @default none: using `c.env.scope` throws */
  readonly scopes?: ServiceScopeFactory | undefined;
  /** The clock of the drain delay and drain timeout. */
  readonly time: TimeProvider;
  /** Where the server logs listening, drain steps and failed requests. */
  readonly logger: Logger;
  /**
   * Ms the server keeps serving at stop before it stops accepting connections, while `/readyz`
   * already answers 503: the time Kubernetes needs to see the pod unready and take it out of its
   * Services' endpoints (readiness period x failure threshold, plus the endpoint propagation).
   * Counted in the host's shutdown budget: cut short when the budget runs out.
   * @default 0
   */
  readonly drainDelayMs?: number | undefined;
  /**
   * Ms the requests still in flight after the drain delay get to finish; then each one still
   * without an answer gets a 503 and its `c.env.signal` aborts. Never beyond the host's shutdown
   * budget (the stop signal), whichever comes first.
   * @default 10000
   */
  readonly drainTimeoutMs?: number | undefined;
  /**
   * Seconds in the `Retry-After` of the 503 a request cut at the drain deadline gets.
   * @default 1
   */
  readonly retryAfterSeconds?: number | undefined;
  /**
   * How the log names this server: `<name>: listening on ...`, `<name>: closed`.
   * @default 'HTTP'
   */
  readonly name?: string | undefined;
  /**
   * Logs listening and closing at `debug` instead of `info`: for a helper server (a stub, a
   * sidecar) whose lines would read like the application's own.
   * @default false
   */
  readonly quiet?: boolean | undefined;
  /** Called once listening, with the base URL (`http://127.0.0.1:8080`) and the server's logger: prints a banner. */
  readonly onListening?: ((url: string, logger: Logger) => void) | undefined;
}

/** How long closing may wait for connections once every request has been answered. */
const CLOSE_GRACE_MS = 1_000;

/**
 * One request between its arrival and its answer (its body sent, when its route used the scope),
 * and the route's `c.env`: one object per request, with what is rarely used made on first use.
 */
class InFlightRequest implements HostkitBindings {
  /** `c.env.scope`. */
  readonly scope: ServiceScope;
  /** The scope, when the server has a scope factory. */
  readonly requestScope: RequestScope | undefined;
  /** Answers the request while its handler has not: set while the handler's promise is pending. */
  answer: ((response: Response) => void) | undefined = undefined;
  /** The handler's pending answer, when it was a promise. */
  handled: Promise<Response> | undefined = undefined;
  readonly #clientGone: () => AbortSignal;
  #controller: AbortController | undefined = undefined;
  #clientSignal: AbortSignal | undefined = undefined;
  #onClientGone: (() => void) | undefined = undefined;
  #finished = false;

  constructor(requestScope: RequestScope | undefined, clientGone: () => AbortSignal) {
    this.requestScope = requestScope;
    this.scope = requestScope ?? noScope;
    this.#clientGone = clientGone;
  }

  /** `c.env.signal`: watching for the client going away costs both runtimes something per request, so only when asked. */
  get signal(): AbortSignal {
    const controller = (this.#controller ??= new AbortController());
    if (this.#onClientGone === undefined && !this.#finished) {
      const onClientGone = (): void => controller.abort(createAbortError('The client closed the connection'));
      this.#onClientGone = onClientGone;
      const clientSignal = this.#clientGone();
      this.#clientSignal = clientSignal;
      if (clientSignal.aborted) onClientGone();
      else clientSignal.addEventListener('abort', onClientGone, { once: true });
    }
    return controller.signal;
  }

  /** Aborts `signal` (also for a route that asks for it only later). */
  abort(reason: Error): void {
    (this.#controller ??= new AbortController()).abort(reason);
  }

  /** Marks the request done and stops watching the client: true the first time only. */
  finish(): boolean {
    if (this.#finished) return false;
    this.#finished = true;
    if (this.#onClientGone !== undefined) this.#clientSignal?.removeEventListener('abort', this.#onClientGone);
    return true;
  }
}

/**
 * A hosted service that serves a Hono app on the runtime's own server (`Deno.serve` under Deno,
 * `@hono/node-server` under Node). Register it after the services its routes use: the host starts
 * services in registration order, so it starts last (its "listening" line means the program is
 * ready) and stops first (no new work arrives while the others drain).
 *
 * Stop, in the order Kubernetes needs (all within the host's shutdown budget, `signal` of `stop`):
 * 1. the host has already turned readiness off when `stop` is called: `/readyz` answers 503 while
 *    the server keeps serving for `drainDelayMs`, so that the endpoints controller and the load
 *    balancers stop sending traffic before connections are refused;
 * 2. it stops accepting connections and closes idle keep-alive ones;
 * 3. requests in flight get `drainTimeoutMs` to finish;
 * 4. what is still unanswered then gets a 503 with `Retry-After` (never an empty reply) and its
 *    `c.env.signal` aborts; every connection is closed.
 *
 * Each request gets a DI scope (`c.env.scope`, see `HostkitBindings`), disposed when the
 * response is done: once its body has been sent or cancelled (client gone), or at once for a
 * response without a body.
 *
 * "In flight" is a request whose handler has not answered yet, or whose route used its scope and
 * whose body is still being sent. A body streamed by a route that used no scope (a long download,
 * server-sent events) is the runtime server's once handed over: step 4 closes its connection.
 */
export class HonoServerService implements HostedService {
  readonly #options: HonoServerServiceOptions;
  readonly #inFlight = new Set<InFlightRequest>();
  #server: RuntimeServer | undefined = undefined;
  #url: string | undefined = undefined;
  #state: 'idle' | 'listening' | 'draining' | 'closing' | 'stopped' = 'idle';
  /** Set once the deadline is over: requests arriving on open connections get 503 at once. */
  #cutting = false;
  #requests = 0;
  #failed = 0;
  #cut = 0;
  /** Set while stop waits for the requests in flight. */
  #onDrained: (() => void) | undefined = undefined;

  /**
   * Checks the options; nothing listens before {@link start}.
   * @throws RangeError when `port`, `drainDelayMs` or `drainTimeoutMs` is out of range, naming the value.
   */
  constructor(options: HonoServerServiceOptions) {
    for (const [name, value] of [
      ['drainDelayMs', options.drainDelayMs],
      ['drainTimeoutMs', options.drainTimeoutMs],
    ] as const) {
      if (value !== undefined && (!Number.isInteger(value) || value < 0)) {
        throw new RangeError(`Expected ${name} to be an integer >= 0, got ${String(value)} (${typeof value})`);
      }
    }
    if (!Number.isInteger(options.port) || options.port < 0 || options.port > 65_535) {
      throw new RangeError(`Expected port to be an integer from 0 to 65535, got ${String(options.port)} (${typeof options.port})`);
    }
    this.#options = options;
  }

  get #name(): string {
    return this.#options.name ?? 'HTTP';
  }

  /** `http://<hostname>:<port>` once listening. */
  get url(): string | undefined {
    return this.#url;
  }

  /** Counters for a status page: state, URL, requests answered, failed (500) and cut at the deadline, in flight. */
  snapshot(): Record<string, unknown> {
    return {
      state: this.#state,
      url: this.#url ?? null,
      processed: this.#requests,
      failed: this.#failed,
      cut: this.#cut,
      inFlight: this.#inFlight.size,
    };
  }

  /** Called by the host at start, after the services registered before it: listens, and logs the URL. */
  async start(signal: AbortSignal): Promise<void> {
    signal.throwIfAborted();
    const hostname = this.#options.hostname ?? '127.0.0.1';
    let server: RuntimeServer;
    try {
      server = await listen((request, clientGone) => this.#fetch(request, clientGone), { port: this.#options.port, hostname });
    } catch (error) {
      if (isAddressInUse(error)) {
        throw new Error(
          `Port ${this.#options.port} on ${hostname} is already in use: set PORT (or --port) to a free port, or to 0 for any free port`,
          { cause: error },
        );
      }
      throw error;
    }
    this.#server = server;
    this.#state = 'listening';
    this.#url = `http://${hostname.includes(':') ? `[${hostname}]` : hostname}:${server.port}`;
    this.#options.logger.log(this.#options.quiet === true ? 'debug' : 'info', `${this.#name}: listening on ${this.#url} (${server.kind})`);
    this.#options.onListening?.(this.#url, this.#options.logger);
  }

  /**
   * Called by the host at stop, first of the services (it was registered last), with readiness
   * already off. `signal` aborts when the host's shutdown budget is spent: whatever step the
   * drain is in then, unanswered requests get their 503 at once and the server closes.
   */
  async stop(signal: AbortSignal): Promise<void> {
    const server = this.#server;
    if (server === undefined) return;
    this.#server = undefined;
    const { time, logger } = this.#options;
    const drainDelayMs = this.#options.drainDelayMs ?? 0;
    this.#state = 'draining';
    // 1. Keep serving while the probes see 503 and the endpoints are updated.
    if (drainDelayMs > 0) {
      logger.info(`${this.#name}: readiness is off; still serving for ${drainDelayMs} ms (HTTP drain delay) before refusing connections`);
      await time.delay(drainDelayMs, signal).catch(() => undefined);
    }
    // 2. No new connections; idle keep-alive ones go.
    this.#state = 'closing';
    server.stopAccepting();
    server.closeIdle();
    // 3. What is in flight gets the drain timeout, within the budget.
    if (this.#inFlight.size > 0 && !signal.aborted) {
      const drainTimeoutMs = this.#options.drainTimeoutMs ?? 10_000;
      logger.info(`${this.#name}: waiting up to ${drainTimeoutMs} ms for ${this.#inFlight.size} request(s) in flight`);
      const wait = new AbortController();
      const onBudget = (): void => wait.abort();
      signal.addEventListener('abort', onBudget, { once: true });
      try {
        const drained = new Promise<void>((resolve) => {
          this.#onDrained = resolve;
        });
        await Promise.race([drained, time.delay(drainTimeoutMs, wait.signal).catch(() => undefined)]);
      } finally {
        this.#onDrained = undefined;
        signal.removeEventListener('abort', onBudget);
        wait.abort();
      }
    }
    // 4. The deadline: every request still unanswered gets its 503 now.
    this.#cutting = true;
    if (this.#inFlight.size > 0) {
      logger.warn(`${this.#name}: answering ${this.#inFlight.size} request(s) still in flight with 503: the drain time is over`);
      // Each is answered at once; it leaves the set only when its handler settles.
      for (const entry of this.#inFlight) this.#cutRequest(entry);
    }
    // Give the server a turn to write those answers before the connections go.
    await new Promise<void>((resolve) => setTimeout(resolve, 0));
    // Every request has its answer; connections the client keeps open (Deno's graceful shutdown
    // waits for a request body the client never finishes) get a short grace, never the rest of
    // the budget, which belongs to the services that stop next.
    using grace = CancellationSource.linked([signal], { timeProvider: time, delay: CLOSE_GRACE_MS });
    await server.close(grace.signal);
    this.#state = 'stopped';
    logger.log(this.#options.quiet === true ? 'debug' : 'info', `${this.#name}: closed`);
  }

  /**
   * One request: tracked in flight until its handler answers, given its bindings, raced against the
   * drain deadline. Synchronous where the app is (no extra promise on that path). Per request it
   * allocates one {@link InFlightRequest} (which is also the route's `c.env`); the scope, the abort
   * controller and the watch on the client come only when a route asks for them.
   */
  #fetch(request: Request, clientGone: () => AbortSignal): Response | Promise<Response> {
    if (this.#cutting) return this.#unavailable();
    this.#requests++;
    const scopes = this.#options.scopes;
    const entry = new InFlightRequest(scopes === undefined ? undefined : new RequestScope(scopes), clientGone);
    this.#inFlight.add(entry);
    let result: Response | Promise<Response>;
    try {
      result = this.#options.app.fetch(request, entry);
    } catch (error) {
      return this.#failure(request, error, entry);
    }
    if (!(result instanceof Promise)) return this.#answered(result, entry);
    const handled = result;
    return new Promise<Response>((resolve) => {
      entry.answer = resolve;
      entry.handled = handled;
      handled.then(
        (response) => {
          if (entry.answer === undefined) return; // cut at the drain deadline: #cutRequest finishes it
          entry.answer = undefined;
          resolve(this.#answered(response, entry));
        },
        (error: unknown) => {
          if (entry.answer === undefined) return;
          entry.answer = undefined;
          resolve(this.#failure(request, error, entry));
        },
      );
    });
  }

  /** The drain deadline: a request whose handler has not answered gets its 503 now, and its signal aborts. */
  #cutRequest(entry: InFlightRequest): void {
    const answer = entry.answer;
    if (answer === undefined) return; // answered already (its body may still be streaming)
    entry.answer = undefined;
    this.#cut++;
    entry.abort(createAbortError('The HTTP server is stopping: the drain time is over'));
    answer(this.#unavailable());
    // The handler's own response, when it comes, is thrown away and its body cancelled.
    void entry.handled
      ?.then(
        (late) => late.body?.cancel().catch(() => undefined),
        () => undefined,
      )
      .finally(() => this.#finish(entry));
  }

  /** Once the response is done (or abandoned): the request leaves the in-flight set and its scope goes. */
  #finish(entry: InFlightRequest): void {
    if (!entry.finish()) return;
    this.#inFlight.delete(entry);
    if (this.#inFlight.size === 0) this.#onDrained?.();
    const scope = entry.requestScope;
    if (scope !== undefined && scope.created) {
      void scope[Symbol.asyncDispose]().catch((error: unknown) => {
        // Disposal errors are the services', not the client's: logged, never thrown (this promise never rejects).
        this.#options.logger.error(`${this.#name}: disposing a request scope failed`, { error });
      });
    }
  }

  /** The handler answered: the response as it is, or with its body watched when the route used its scope. */
  #answered(response: Response, entry: InFlightRequest): Response {
    if (response.status >= 500) this.#failed++;
    // Only a response whose route used the scope needs its body watched: everything else is done
    // for the service once handed over (the runtime server finishes sending it), and keeps the
    // runtime's fast path for bodies it knows (no stream wrapper).
    const scope = entry.requestScope;
    if (scope === undefined || !scope.created) {
      scope?.seal();
      this.#finish(entry);
      return response;
    }
    const body = response.body;
    if (body === null) {
      this.#finish(entry);
      return response;
    }
    return new Response(
      disposeWhenDone(body, () => this.#finish(entry)),
      response,
    );
  }

  /** The handler threw or rejected (Hono catches route errors itself; this is the app's own failure). */
  #failure(request: Request, error: unknown, entry: InFlightRequest): Response {
    this.#failed++;
    this.#options.logger.error(`${this.#name}: ${request.method} ${new URL(request.url).pathname} failed`, { error });
    this.#finish(entry);
    return internalError();
  }

  #unavailable(): Response {
    return jsonResponse(
      503,
      { error: 'unavailable', message: 'The server is stopping; try again' },
      { 'retry-after': String(this.#options.retryAfterSeconds ?? 1), connection: 'close' },
    );
  }
}

/** `body`, calling `done` once when it has been read to its end, failed or been cancelled. */
function disposeWhenDone(body: ReadableStream<Uint8Array>, done: () => void): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const { done: ended, value } = await reader.read();
        if (ended) {
          controller.close();
          done();
        } else {
          controller.enqueue(value);
        }
      } catch (error) {
        controller.error(error);
        done();
      }
    },
    async cancel(reason) {
      try {
        await reader.cancel(reason);
      } finally {
        done();
      }
    },
  });
}

function scopeMissing(): never {
  throw new Error('c.env.scope is not available: the HonoServerService was created without `scopes` (a ServiceScopeFactory)');
}

const noScope: ServiceScope = {
  get: scopeMissing,
  tryGet: scopeMissing,
  getAll: scopeMissing,
  [Symbol.asyncDispose]: () => Promise.resolve(),
};

function jsonResponse(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(`${JSON.stringify(body)}\n`, {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', ...headers },
  });
}

/** The 500 of a handler that threw: the message stays in the log, never in the reply. */
function internalError(): Response {
  return jsonResponse(500, { error: 'internal_error', message: 'The request failed; the server log has the details' });
}

function isAddressInUse(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { code, name } = error as { code?: unknown; name?: unknown };
  return code === 'EADDRINUSE' || name === 'AddrInUse';
}
