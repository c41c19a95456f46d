/**
 * How healthy a check, or the whole application, is. Ordered from best to worst; when statuses
 * are combined, the worst wins ({@link worstHealthStatus}).
 *
 * - `healthy`: works as intended.
 * - `degraded`: works, but not as it should (slow, running on a fallback); still takes traffic.
 * - `unhealthy`: does not work; a liveness probe should restart it, a readiness probe should stop
 *   sending it work.
 */
export type HealthStatus = 'healthy' | 'degraded' | 'unhealthy';

/** Every {@link HealthStatus}, best first. */
export const healthStatuses: readonly HealthStatus[] = Object.freeze(['healthy', 'degraded', 'unhealthy']);

const ranks: Readonly<Record<HealthStatus, number>> = Object.freeze({ healthy: 0, degraded: 1, unhealthy: 2 });

/** Whether `value` is one of the three {@link HealthStatus}es. */
export function isHealthStatus(value: unknown): value is HealthStatus {
  return typeof value === 'string' && Object.hasOwn(ranks, value);
}

/** The worst of `statuses`; `healthy` when there are none. */
export function worstHealthStatus(statuses: Iterable<HealthStatus>): HealthStatus {
  let worst: HealthStatus = 'healthy';
  for (const status of statuses) {
    if (ranks[status] > ranks[worst]) worst = status;
  }
  return worst;
}

/**
 * The HTTP status a health endpoint answers with, as ASP.NET Core's health-check middleware does by
 * default: 200 for healthy and degraded (the instance still takes traffic), 503 for unhealthy.
 */
export function healthStatusToHttpStatus(status: HealthStatus): 200 | 503 {
  return status === 'unhealthy' ? 503 : 200;
}
