/**
 * The status page's routes on today's `node:http` router: GET /status/snapshot (the JSON the page
 * polls), and the page itself for GET / when the client asks for HTML. Thin on purpose: the page
 * ({@link renderStatusPage}) and the snapshot ({@link collectStatusSnapshot}) do not depend on the
 * HTTP layer, so moving to another router is a matter of these few lines.
 * @module
 */
import type { IncomingMessage } from 'node:http';
import { sendJson, sendText } from '../http/json-response.ts';
import type { Route } from '../http/route.ts';
import { renderStatusPage, statusSnapshotPath } from './status-page-html.ts';
import type { StatusSnapshot } from './status-snapshot.ts';

/** True when the client prefers HTML (a browser): its Accept lists `text/html`. */
export function acceptsHtml(request: Pick<IncomingMessage, 'headers'>): boolean {
  return /(^|,)\s*text\/html\s*(;|,|$)/i.test(request.headers.accept ?? '');
}

/** GET /status/snapshot: what `collect` reads, as JSON. */
export function createStatusSnapshotRoute(collect: (signal: AbortSignal) => Promise<StatusSnapshot>): Route {
  return {
    method: 'GET',
    path: statusSnapshotPath,
    async handle(_request, response, signal) {
      sendJson(response, 200, await collect(signal), { 'cache-control': 'no-store' });
    },
  };
}

/** Wraps the GET / route: a browser (Accept: text/html) gets the status page, anything else `index` as before. */
export function withStatusPage(index: Route, title?: string): Route {
  const html = renderStatusPage(title === undefined ? {} : { title });
  return {
    ...index,
    handle(request, response, signal) {
      if (!acceptsHtml(request)) return index.handle(request, response, signal);
      sendText(response, 200, html, 'text/html; charset=utf-8');
      return Promise.resolve();
    },
  };
}
