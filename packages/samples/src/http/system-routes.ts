import type { SamplesApp } from './feature-routes.ts';

/** The `METHOD /path` of every route of `app`, in registration order (middleware left out). */
export function listEndpoints(app: SamplesApp): string[] {
  const seen = new Set<string>();
  for (const route of app.routes) {
    if (route.method === 'ALL' || route.path.includes('*')) continue;
    seen.add(`${route.method} ${route.path}`);
  }
  return [...seen];
}

/**
 * GET / (the list of endpoints, for whoever opens the base URL in a browser) and the samples' not
 * found: 404 with the endpoints, 405 with `Allow` for a known path with another method, and 500
 * for a route whose handler returned no response (Hono falls through to not-found then).
 */
export function addIndexRoute(app: SamplesApp): void {
  app.get('/', (c) => c.json({ name: 'hostkit samples', endpoints: listEndpoints(app) }));
  app.notFound((c) => {
    const allow = [...new Set(app.routes.filter((route) => route.path === c.req.path && route.method !== 'ALL').map((route) => route.method))];
    if (allow.includes(c.req.method)) {
      // The route exists: its handler returned no response. Answer, so the client does not hang.
      return c.json({ error: 'internal_error', message: 'The handler sent no response' }, 500);
    }
    if (allow.length > 0) {
      return c.json({ error: 'method_not_allowed', message: `${c.req.path} accepts ${allow.join(', ')}` }, 405, { allow: allow.join(', ') });
    }
    return c.json({ error: 'not_found', message: `No route for ${c.req.path}`, routes: listEndpoints(app) }, 404);
  });
}
