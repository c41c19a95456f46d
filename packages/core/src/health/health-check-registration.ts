import { describeValue } from '../internal/describe-value.ts';
import type { HealthCheck } from './health-check.ts';
import { isHealthStatus, type HealthStatus } from './health-status.ts';

/** A named health check with its settings, as given to `HealthCheckService`. */
export interface HealthCheckRegistration {
  /** Unique among the registrations of one service; the key of the check's report entry. */
  readonly name: string;
  /** The check to run; it receives a signal that aborts at {@link timeout}. */
  readonly check: HealthCheck;
  /**
   * Milliseconds the check may take, measured on the service's TimeProvider. When it elapses the
   * check's signal aborts and the check reports {@link failureStatus}, without waiting for it.
   * A finite number >= 0.
   * @default HealthCheckServiceOptions.defaultTimeout (30 000 ms)
   */
  readonly timeout?: number;
  /**
   * Labels to select checks by, e.g. `HealthCheckTags.live`, `HealthCheckTags.ready`.
   * @default []
   */
  readonly tags?: readonly string[];
  /**
   * What the check reports when it throws or times out. (A status it returns itself is kept.)
   * @default 'unhealthy'
   */
  readonly failureStatus?: HealthStatus;
}

/** A {@link HealthCheckRegistration} after validation: every setting present, tags frozen. */
export interface NormalizedHealthCheckRegistration extends HealthCheckRegistration {
  /** Milliseconds the check may take; the service's default when the registration gave none. */
  readonly timeout: number;
  /** The registration's tags, frozen; empty when it gave none. */
  readonly tags: readonly string[];
  /** What the check reports when it throws or times out; `'unhealthy'` when the registration gave none. */
  readonly failureStatus: HealthStatus;
}

/**
 * Validates one registration and fills its defaults. Called by `HealthCheckService`'s constructor,
 * so a bad registration is an error when the host is built, not at the first probe.
 * @throws TypeError when the registration is not an object, its name is not a non-empty string,
 * its check not a function or its tags not strings.
 * @throws RangeError when its timeout is not a finite number >= 0 or its failureStatus not a status.
 */
export function normalizeHealthCheckRegistration(
  registration: HealthCheckRegistration,
  defaultTimeout: number,
): NormalizedHealthCheckRegistration {
  if (typeof registration !== 'object' || registration === null) {
    throw new TypeError(`Expected a health check registration object, got ${describeValue(registration)}`);
  }
  const { name, check, timeout = defaultTimeout, tags = [], failureStatus = 'unhealthy' } = registration;
  if (typeof name !== 'string' || name === '') {
    throw new TypeError(`Expected health check name to be a non-empty string, got ${describeValue(name)}`);
  }
  if (typeof check !== 'function') {
    throw new TypeError(`Expected check of health check '${name}' to be a function, got ${describeValue(check)}`);
  }
  if (typeof timeout !== 'number' || !Number.isFinite(timeout) || timeout < 0) {
    throw new RangeError(`Expected timeout of health check '${name}' to be a finite number >= 0, got ${describeValue(timeout)}`);
  }
  if (!Array.isArray(tags) || !tags.every((tag) => typeof tag === 'string')) {
    throw new TypeError(`Expected tags of health check '${name}' to be an array of strings, got ${describeValue(tags)}`);
  }
  if (!isHealthStatus(failureStatus)) {
    throw new RangeError(
      `Expected failureStatus of health check '${name}' to be 'healthy', 'degraded' or 'unhealthy', got ${describeValue(failureStatus)}`,
    );
  }
  return Object.freeze({ name, check, timeout, tags: Object.freeze([...tags]), failureStatus });
}
