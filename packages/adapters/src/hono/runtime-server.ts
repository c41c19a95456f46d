import { loadNodeServe } from '../optional-peers/hono-node-server.ts';

/**
 * What the runtime's HTTP server calls for each request. `clientGone()` returns a signal that
 * aborts when the client closes the connection before the response is sent; it is called only
 * when a route asks for one, because both runtimes charge for it: reading `request.signal` makes
 * @hono/node-server build a full `Request`, and Deno track the connection (and warn about its
 * legacy abort-on-success). On Node the signal comes from the response's socket instead.
 */
export type FetchHandler = (request: Request, clientGone: () => AbortSignal) => Response | Promise<Response>;

/** Where {@link listen} listens. */
export interface ListenOptions {
  /** TCP port; 0 lets the system pick a free one. */
  readonly port: number;
  /** Interface to bind: `127.0.0.1` (this machine only) or `0.0.0.0` (every interface, as in a container). */
  readonly hostname: string;
}

/**
 * A listening server of the runtime, reduced to the three steps of a Kubernetes-correct stop:
 * stop accepting connections, close the idle ones, then close the rest.
 */
export interface RuntimeServer {
  /** The port it listens on (the real one when 0 was asked for). */
  readonly port: number;
  /** Which server this is, for the log: `Deno.serve` or `@hono/node-server`. */
  readonly kind: string;
  /**
   * Called once the drain delay is over: new connections are refused from now on, requests in
   * flight (and on Node, further requests on their keep-alive connections) are still served.
   */
  stopAccepting(): void;
  /** Closes the connections that have no request in flight (Node's idle keep-alive sockets). */
  closeIdle(): void;
  /**
   * Called last, once every request has an answer: ends every connection, resolves when closed,
   * or when `signal` (the shutdown budget) aborts, whichever comes first.
   */
  close(signal: AbortSignal): Promise<void>;
}

/**
 * Listens with the runtime's own server: `Deno.serve` under Deno (no `node:http` emulation),
 * `@hono/node-server` under Node. Rejects when the port cannot be had.
 */
export async function listen(fetch: FetchHandler, options: ListenOptions): Promise<RuntimeServer> {
  const deno = (globalThis as { Deno?: DenoServeApi }).Deno;
  return deno === undefined ? listenNode(fetch, options) : listenDeno(deno, fetch, options);
}

/**
 * The part of the `Deno` namespace used here (Deno 2.9's `Deno.serve`), declared locally so that
 * Node's tsc checks this file, and every program that imports it, without Deno's types.
 */
interface DenoServeApi {
  serve(options: {
    port: number;
    hostname: string;
    handler: (request: Request) => Response | Promise<Response>;
    onListen: () => void;
  }): { readonly addr: { readonly port: number }; readonly finished: Promise<void>; shutdown(): Promise<void> };
}

function listenDeno(deno: DenoServeApi, fetch: FetchHandler, options: ListenOptions): Promise<RuntimeServer> {
  const server = deno.serve({
    port: options.port,
    hostname: options.hostname,
    handler: (request) => fetch(request, () => request.signal),
    // The banner is the host's to print.
    onListen: () => undefined,
  });
  let shutdown: Promise<void> | undefined;
  return Promise.resolve({
    port: server.addr.port,
    kind: 'Deno.serve',
    stopAccepting() {
      // Deno's graceful shutdown: refuses new connections at once, closes idle ones, and
      // settles when every request has been answered (the service makes sure each one is).
      shutdown ??= server.shutdown();
    },
    closeIdle: () => undefined,
    async close(signal) {
      shutdown ??= server.shutdown();
      // Deno has no forced close: a connection whose request body the client never finishes
      // sending keeps the graceful shutdown waiting. Every request has its answer by now, so at
      // the budget's end the server is left to the process's exit.
      await untilAborted(signal, Promise.all([shutdown, server.finished]));
    },
  });
}

async function listenNode(fetch: FetchHandler, options: ListenOptions): Promise<RuntimeServer> {
  const serve = await loadNodeServe();
  const server = serve({
    fetch: (request, bindings) => {
      const outgoing = bindings.outgoing;
      return fetch(request, () => {
        const controller = new AbortController();
        const gone = (): void => controller.abort(new DOMException('The client closed the connection', 'AbortError'));
        if (outgoing.closed && !outgoing.writableFinished) gone();
        else
          outgoing.once('close', () => {
            if (!outgoing.writableFinished) gone();
          });
        return controller.signal;
      });
    },
    port: options.port,
    hostname: options.hostname,
  });
  await new Promise<void>((resolve, reject) => {
    if (server.listening) {
      resolve();
      return;
    }
    const onError = (error: Error): void => {
      server.off('listening', onListening);
      reject(error);
    };
    const onListening = (): void => {
      server.off('error', onError);
      resolve();
    };
    server.once('error', onError);
    server.once('listening', onListening);
  });
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : options.port;
  let closed: Promise<void> | undefined;
  const closeServer = (): Promise<void> =>
    (closed ??= new Promise<void>((resolve) => {
      server.close(() => resolve());
    }));
  const http = server as import('node:http').Server;
  return {
    port,
    kind: '@hono/node-server',
    stopAccepting() {
      void closeServer(); // awaited in close(); close() never rejects here (ERR_SERVER_NOT_RUNNING is ignored)
    },
    closeIdle() {
      if (typeof http.closeIdleConnections === 'function') http.closeIdleConnections();
    },
    async close(signal) {
      const done = closeServer();
      if (typeof http.closeAllConnections === 'function') http.closeAllConnections();
      await untilAborted(signal, done);
    },
  };
}

/** Waits for `work`, or until `signal` aborts (then `work` goes on unobserved; it never rejects here). */
async function untilAborted(signal: AbortSignal, work: Promise<unknown>): Promise<void> {
  if (signal.aborted) return;
  let onAbort!: () => void;
  const aborted = new Promise<void>((resolve) => {
    onAbort = resolve;
    signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    await Promise.race([work.then(() => undefined, () => undefined), aborted]);
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}
