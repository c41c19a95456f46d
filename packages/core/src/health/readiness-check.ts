import { describeValue } from '../internal/describe-value.ts';
import type { HealthCheck, HealthCheckResult } from './health-check.ts';

/** Options of {@link createReadinessCheck}. */
export interface ReadinessCheckOptions {
  /**
   * The description the check reports while the host is ready.
   * @default 'Ready'
   */
  readonly readyDescription?: string;
  /**
   * The description the check reports while the host is starting or stopping.
   * @default 'Not ready'
   */
  readonly notReadyDescription?: string;
}

/**
 * A check that is healthy while `isReady()` returns true and unhealthy otherwise: for readiness
 * that the application decides itself (a cache warmed, a leader elected). `isReady` is called on
 * every probe; it must be cheap and must not throw (if it does, the check reports its failure
 * status like any throwing check).
 */
export function createReadinessCheck(isReady: () => boolean, options: ReadinessCheckOptions = {}): HealthCheck {
  if (typeof isReady !== 'function') {
    throw new TypeError(`Expected isReady to be a function, got ${describeValue(isReady)}`);
  }
  const ready: HealthCheckResult = Object.freeze({ status: 'healthy', description: options.readyDescription ?? 'Ready' });
  const notReady: HealthCheckResult = Object.freeze({
    status: 'unhealthy',
    description: options.notReadyDescription ?? 'Not ready',
  });
  return () => (isReady() ? ready : notReady);
}
