import type { HealthCheckRegistration } from '../health/health-check-registration.ts';

/**
 * The health checks of a host builder (`builder.healthChecks`). The builder adds the host's own
 * two (`hostkit.services`, `hostkit.readiness`) and checks every registration when it builds:
 * a duplicate name or a bad timeout fails `build()`, not the first probe.
 */
export class HealthChecksBuilder {
  readonly #registrations: HealthCheckRegistration[] = [];

  /** The checks added so far, in order. */
  get registrations(): readonly HealthCheckRegistration[] {
    return this.#registrations;
  }

  /**
   * Adds a check.
   * @example builder.healthChecks.add({ name: 'db', check: (signal) => db.ping(signal).then(() => ({ status: 'healthy' })), tags: [HealthCheckTags.ready] })
   */
  add(registration: HealthCheckRegistration): this {
    this.#registrations.push(registration);
    return this;
  }
}
