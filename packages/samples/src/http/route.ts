import type { IncomingMessage, ServerResponse } from 'node:http';

/** The HTTP methods the samples serve. */
export type RouteMethod = 'GET' | 'POST';

/**
 * One endpoint a feature contributes to the shared HTTP server.
 *
 * `handle` is called once per matching request. `signal` aborts when the client goes away or when
 * the server is stopping (the host's stop), so long work (an upload, a channel write) can give up;
 * the handler must still end the response in every path, including when `signal` aborts.
 */
export interface Route {
  readonly method: RouteMethod;
  /** Exact path, without query string: `/weather`, `/upload`. */
  readonly path: string;
  handle(request: IncomingMessage, response: ServerResponse, signal: AbortSignal): Promise<void>;
}

/**
 * What a feature's `add*` function returns: its routes, and a snapshot of its counters that
 * GET /status includes under the feature's name. `status` is called on every GET /status request;
 * it must be cheap and must not throw.
 */
export interface FeatureRoutes {
  readonly routes: readonly Route[];
  readonly status?: () => Record<string, unknown>;
}
