/**
 * The status page's routes on the samples' Hono app: GET /status/snapshot (the JSON the page
 * polls), and the page itself for GET / when the client asks for HTML. Thin on purpose: the page
 * ({@link renderStatusPage}) and the snapshot (`collectStatusSnapshot`) do not depend on the HTTP
 * layer.
 * @module
 */
import type { Context } from 'hono';
import type { HostkitEnv } from '@hostkit/adapters/hono';
import type { SamplesApp } from '../http/feature-routes.ts';
import { renderStatusPage, statusSnapshotPath } from './status-page-html.ts';
import type { StatusSnapshot } from './status-snapshot.ts';

/** True when the client prefers HTML (a browser): its Accept lists `text/html`. */
export function acceptsHtml(accept: string | undefined): boolean {
  return /(^|,)\s*text\/html\s*(;|,|$)/i.test(accept ?? '');
}

/**
 * Adds GET /status/snapshot (what `collect` reads, as JSON, never cached) and, for a browser at
 * GET / (Accept: text/html), the page. Register it before the route that answers GET / for
 * everyone else: a client that does not ask for HTML passes through to it.
 */
export function addStatusPageRoutes(
  app: SamplesApp,
  collect: (c: Context<HostkitEnv>, signal: AbortSignal) => Promise<StatusSnapshot>,
  title?: string,
): void {
  const html = renderStatusPage(title === undefined ? {} : { title });
  app.use('/', async (c, next) => {
    if (c.req.method === 'GET' && acceptsHtml(c.req.header('accept'))) return c.html(html);
    await next();
    return undefined;
  });
  app.get(statusSnapshotPath, async (c) => c.json(await collect(c, c.env.signal), 200, { 'cache-control': 'no-store' }));
}
