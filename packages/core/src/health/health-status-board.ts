import { describeValue } from '../internal/describe-value.ts';
import { serializeError } from '../logging/serialize-error.ts';
import type { HealthCheck, HealthCheckResult } from './health-check.ts';
import type { HealthCheckRegistration } from './health-check-registration.ts';
import { HealthCheckTags } from './health-check-tags.ts';
import { worstHealthStatus, type HealthStatus } from './health-status.ts';

/** Where the host is in its life, as readiness sees it. */
export type HostReadiness = 'starting' | 'ready' | 'stopping';

/** One service's problem as published on a {@link HealthStatusBoard}. */
export interface ServiceHealthNotice {
  /** Degraded or unhealthy: a healthy service publishes nothing. */
  readonly status: Exclude<HealthStatus, 'healthy'>;
  /** For people: what is wrong with the service. */
  readonly description: string;
  /** The error behind the problem, if there is one. */
  readonly error?: unknown;
}

/** The names of the two checks {@link HealthStatusBoard.createRegistrations} returns. */
export interface HostHealthCheckNameCatalogue {
  /** `'hostkit.services'`: unhealthy while a service is reported faulted. Tagged live and ready. */
  readonly services: 'hostkit.services';
  /** `'hostkit.readiness'`: healthy only between start and stop. Tagged ready. */
  readonly readiness: 'hostkit.readiness';
}

/** The names of the host's built-in checks. */
export const HostHealthCheckNames: HostHealthCheckNameCatalogue = Object.freeze({
  services: 'hostkit.services',
  readiness: 'hostkit.readiness',
});

/**
 * Where the host publishes what health checks cannot see for themselves: which services faulted,
 * and whether the host is between "started" and "stopping". Two built-in checks read it.
 *
 * The host (not application code) drives it:
 * - {@link reportFaulted} when a background service's `execute` rejects, {@link reportDegraded}
 *   while its restart policy retries, {@link clear} once it runs again;
 * - {@link markReady} after the application lifetime's `started`, {@link markStopping} as the
 *   first step of stop, so load balancers stop sending work while the process drains.
 */
export class HealthStatusBoard {
  readonly #notices = new Map<string, ServiceHealthNotice>();
  #readiness: HostReadiness = 'starting';

  /** The services with a problem, by name, in the order they were first reported. */
  get notices(): ReadonlyMap<string, ServiceHealthNotice> {
    return this.#notices;
  }

  /** `starting` until {@link markReady}, `ready` until {@link markStopping}, then `stopping` for good. */
  get readiness(): HostReadiness {
    return this.#readiness;
  }

  /** Whether the instance should receive work: only while {@link readiness} is `ready`. */
  get isReady(): boolean {
    return this.#readiness === 'ready';
  }

  /** Marks `serviceName` unhealthy because of `error`, replacing any earlier notice for it. */
  reportFaulted(serviceName: string, error: unknown): void {
    checkName(serviceName);
    this.#notices.set(serviceName, { status: 'unhealthy', description: `Faulted: ${serializeError(error).message}`, error });
  }

  /** Marks `serviceName` degraded (e.g. restarting after a fault), replacing any earlier notice for it. */
  reportDegraded(serviceName: string, description: string, error?: unknown): void {
    checkName(serviceName);
    this.#notices.set(serviceName, { status: 'degraded', description, ...(error !== undefined && { error }) });
  }

  /** Forgets the notice for `serviceName`: it works again. */
  clear(serviceName: string): void {
    this.#notices.delete(serviceName);
  }

  /** The host has started: readiness turns true. Ignored once stopping (a host does not restart). */
  markReady(): void {
    if (this.#readiness === 'starting') this.#readiness = 'ready';
  }

  /** The host is stopping: readiness turns false for good. */
  markStopping(): void {
    this.#readiness = 'stopping';
  }

  /**
   * Unhealthy (or degraded) while any service has a notice: the worst notice wins, every service
   * is named in the description, and `data` maps each name to its status and description.
   */
  readonly servicesCheck: HealthCheck = (): HealthCheckResult => {
    if (this.#notices.size === 0) return { status: 'healthy' };
    const entries = [...this.#notices];
    const errors = entries.flatMap(([, notice]) => (notice.error === undefined ? [] : [notice.error]));
    const data: Record<string, unknown> = {};
    for (const [name, notice] of entries) {
      Object.defineProperty(data, name, {
        value: { status: notice.status, description: notice.description },
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    return {
      status: worstHealthStatus(entries.map(([, notice]) => notice.status)),
      description: entries.map(([name, notice]) => `${name}: ${notice.description}`).join('; '),
      ...(errors.length === 1 && { error: errors[0] }),
      ...(errors.length > 1 && { error: new AggregateError(errors, `${errors.length} services faulted`) }),
      data,
    };
  };

  /** Healthy while {@link isReady}; unhealthy while starting or stopping, saying which. */
  readonly readinessCheck: HealthCheck = (): HealthCheckResult => {
    switch (this.#readiness) {
      case 'ready':
        return { status: 'healthy', description: 'The host is running' };
      case 'starting':
        return { status: 'unhealthy', description: 'The host has not finished starting' };
      case 'stopping':
        return { status: 'unhealthy', description: 'The host is stopping' };
    }
  };

  /**
   * The two built-in checks as registrations for `HealthCheckService`: {@link servicesCheck} as
   * `hostkit.services` (tags live and ready) and {@link readinessCheck} as `hostkit.readiness`
   * (tag ready). Both are synchronous, so the default timeout never matters.
   */
  createRegistrations(): readonly HealthCheckRegistration[] {
    return Object.freeze([
      Object.freeze({
        name: HostHealthCheckNames.services,
        check: this.servicesCheck,
        tags: Object.freeze([HealthCheckTags.live, HealthCheckTags.ready]),
      }),
      Object.freeze({
        name: HostHealthCheckNames.readiness,
        check: this.readinessCheck,
        tags: Object.freeze([HealthCheckTags.ready]),
      }),
    ]);
  }
}

function checkName(serviceName: unknown): void {
  if (typeof serviceName !== 'string' || serviceName === '') {
    throw new TypeError(`Expected serviceName to be a non-empty string, got ${describeValue(serviceName)}`);
  }
}
