import {
  formatHealthReportJson,
  HealthCheckTags,
  healthStatusToHttpStatus,
  type HealthCheckService,
} from '@hostkit/core';
import { sendJson, sendText } from './json-response.ts';
import type { Route } from './route.ts';

/**
 * GET /healthz (liveness: the checks tagged `live`) and GET /readyz (readiness: the checks tagged
 * `ready`, which include the host's own `hostkit.readiness`, false while starting and stopping).
 * 200 for healthy and degraded, 503 for unhealthy, with the JSON report as the body.
 */
export function createHealthRoutes(healthChecks: HealthCheckService): Route[] {
  const probe = (path: string, tag: string): Route => ({
    method: 'GET',
    path,
    async handle(_request, response, signal) {
      const report = await healthChecks.checkHealth({ tags: [tag], signal });
      sendText(response, healthStatusToHttpStatus(report.status), `${formatHealthReportJson(report)}\n`, 'application/json; charset=utf-8');
    },
  });
  return [probe('/healthz', HealthCheckTags.live), probe('/readyz', HealthCheckTags.ready)];
}

/** GET /status: what {@link collect} returns, as JSON. */
export function createStatusRoute(collect: () => Record<string, unknown>): Route {
  return {
    method: 'GET',
    path: '/status',
    handle(_request, response) {
      sendJson(response, 200, collect());
      return Promise.resolve();
    },
  };
}

/** GET /: the list of endpoints, for whoever opens the base URL in a browser. */
export function createIndexRoute(routes: () => readonly Route[]): Route {
  return {
    method: 'GET',
    path: '/',
    handle(_request, response) {
      sendJson(response, 200, {
        name: 'hostkit samples',
        endpoints: routes().map((route) => `${route.method} ${route.path}`),
      });
      return Promise.resolve();
    },
  };
}
