import type { HealthStatus } from './health-status.ts';

/** What one health check reports. */
export interface HealthCheckResult {
  /** Healthy, degraded or unhealthy: what the report and the endpoints show. */
  readonly status: HealthStatus;
  /** For people: why the status is what it is ("3 of 5 replicas reachable"). */
  readonly description?: string;
  /** The error behind a failing status, if there is one. */
  readonly error?: unknown;
  /** Extra values for the report (latency, queue depth). Keep them JSON-serialisable. */
  readonly data?: Readonly<Record<string, unknown>>;
}

/**
 * A health check: a function, called each time health is checked (each probe), that returns its
 * result, synchronously or as a promise.
 *
 * `signal` aborts when the check's timeout elapses (the reason is a `TimeoutError` DOMException) or
 * when the caller of `HealthCheckService.checkHealth` gives up (the caller's reason). Pass it to
 * whatever the check awaits (`fetch(url, { signal })`) so that abandoned checks stop working. A
 * check that ignores it is still reported as timed out at its deadline; its late result is
 * discarded.
 *
 * A check that throws or rejects reports its registration's `failureStatus`, with the error.
 *
 * A function rather than an object with a `check` method: most checks are closures over a client
 * (`(signal) => db.ping(signal).then(() => ({ status: 'healthy' }))`), and an object adapts in one
 * line (`(signal) => probe.check(signal)`).
 */
export type HealthCheck = (signal: AbortSignal) => HealthCheckResult | Promise<HealthCheckResult>;
