/** The shape of {@link HealthCheckTags}. */
export interface HealthCheckTagNames {
  /**
   * `'live'`: the check says whether the process should be restarted (Kubernetes liveness,
   * `/healthz`). Only checks of the process itself: a database outage is not fixed by a restart.
   */
  readonly live: 'live';
  /**
   * `'ready'`: the check says whether the instance should receive work (Kubernetes readiness,
   * `/readyz`). Turns false while starting, while stopping, and when a dependency is down.
   */
  readonly ready: 'ready';
}

/**
 * The conventional tags, so that endpoints can select checks with
 * `checkHealth({ tags: [HealthCheckTags.ready] })`.
 */
export const HealthCheckTags: HealthCheckTagNames = Object.freeze({ live: 'live', ready: 'ready' });
