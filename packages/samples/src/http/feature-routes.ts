import type { HostkitEnv } from '@hostkit/adapters/hono';
import type { Hono } from 'hono';

/** The samples' Hono app: `c.env.scope` (one DI scope per request) and `c.env.signal` on every route. */
export type SamplesApp = Hono<HostkitEnv>;

/**
 * What a feature's `add*` function returns: `mount`, which adds its routes to the app (called once,
 * before the host starts), and a snapshot of its counters that GET /status includes under the
 * feature's name. `status` is called on every GET /status request; it must be cheap and must not
 * throw.
 *
 * A new endpoint is one more `app.get(...)` in a feature's `mount`, or in `createApp` for one that
 * belongs to no feature (GET / lists it by itself).
 */
export interface FeatureRoutes {
  readonly mount?: ((app: SamplesApp) => void) | undefined;
  readonly status?: () => Record<string, unknown>;
}
