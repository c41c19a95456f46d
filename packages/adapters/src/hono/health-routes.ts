import { formatHealthReportJson, HealthCheckTags, healthStatusToHttpStatus, type HealthCheckService } from '@hostkit/core';
import type { Env, Hono } from 'hono';

/** Options of {@link addHealthRoutes}. */
export interface HealthRoutesOptions {
  /** Also serve GET `/status` with what this returns, as JSON. Called per request: keep it cheap, never throw. */
  readonly status?: (() => unknown) | undefined;
  /** The liveness path. @default '/healthz' */
  readonly livePath?: string | undefined;
  /** The readiness path. @default '/readyz' */
  readonly readyPath?: string | undefined;
}

/**
 * Adds the probes to `app`, in one call (`healthChecks` may be a function, for an app made before
 * the host is built): GET `/healthz` (liveness: the checks tagged `live`) and
 * GET `/readyz` (readiness: the checks tagged `ready`, which include the host's own
 * `hostkit.readiness`, off while starting and from the moment a stop begins, so the 503 is seen
 * during the HTTP drain delay), 200 for healthy and degraded, 503 for unhealthy, the JSON report
 * as the body; and GET `/status` when `options.status` is given.
 *
 * ```ts
 * addHealthRoutes(app, provider.get(HealthCheckServiceToken), { status: () => ({ uptime }) });
 * ```
 */
export function addHealthRoutes<E extends Env>(
  app: Hono<E>,
  healthChecks: HealthCheckService | (() => HealthCheckService),
  options: HealthRoutesOptions = {},
): Hono<E> {
  const checks = typeof healthChecks === 'function' ? healthChecks : () => healthChecks;
  // No request signal: each check has its own timeout, and reading `request.signal` costs
  // @hono/node-server a full Request per probe.
  const probe = (tag: string) => async (): Promise<Response> => {
    const report = await checks().checkHealth({ tags: [tag] });
    return new Response(`${formatHealthReportJson(report)}\n`, {
      status: healthStatusToHttpStatus(report.status),
      headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' },
    });
  };
  app.get(options.livePath ?? '/healthz', probe(HealthCheckTags.live));
  app.get(options.readyPath ?? '/readyz', probe(HealthCheckTags.ready));
  const status = options.status;
  if (status !== undefined) app.get('/status', (c) => c.json(status() as object));
  return app;
}
