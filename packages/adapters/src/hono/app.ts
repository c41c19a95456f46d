import type { Logger } from '@hostkit/core';
import type { Hono as HonoApp } from 'hono';
import { Hono } from '../optional-peers/hono.ts';
import type { HostkitEnv } from './request-scope.ts';

/** Options of {@link createHonoApp}. */
export interface CreateHonoAppOptions {
  /** Where a route's error is logged (the client gets a 500 without the message). @default not logged */
  readonly logger?: Logger | undefined;
}

/**
 * A Hono app ready for {@link HonoServerService} (`c.env.scope` and `c.env.signal` typed on every
 * route), JSON 404s, and JSON 500s that never echo an error's message (it goes to
 * the log: an internal message can reveal paths, queries or secrets). Add routes as usual:
 *
 * ```ts
 * const app = createHonoApp({ logger });
 * app.get('/orders/:id', (c) => c.json(c.env.scope.get(OrderStore).find(c.req.param('id'))));
 * ```
 */
export function createHonoApp(options: CreateHonoAppOptions = {}): HonoApp<HostkitEnv> {
  const app = new Hono<HostkitEnv>();
  app.notFound((c) => c.json({ error: 'not_found', message: `No route for ${c.req.method} ${c.req.path}` }, 404));
  app.onError((error, c) => {
    options.logger?.error(`HTTP: ${c.req.method} ${c.req.path} failed`, { error });
    return c.json({ error: 'internal_error', message: 'The request failed; the server log has the details' }, 500);
  });
  return app;
}
