/**
 * A long-lived component that the host starts when it starts and stops when it stops: a queue
 * consumer, a periodic job, a server. The port of .NET's `IHostedService`.
 *
 * Register it with `builder.services.addHostedService(...)`; the host resolves every hosted
 * service (a singleton) when it starts, calls {@link start} in registration order and
 * {@link stop} in the reverse order.
 */
export interface HostedService {
  /**
   * Called once when the host starts, after the host lifetime is ready and every
   * {@link HostedLifecycleService.starting} hook has run; the host waits for it before starting the
   * next service (unless `servicesStartConcurrently`).
   * @param signal Aborted when start should be abandoned: `startupTimeout` elapsed, the caller of
   * `host.start(signal)` gave up, or the application was asked to stop while starting. Honour it:
   * the host does not abandon a start that ignores it.
   */
  start(signal: AbortSignal): Promise<void>;

  /**
   * Called once when the host stops, in the reverse of the start order, and only if {@link start}
   * resolved (hostkit never stops what did not start).
   * @param signal Aborted when shutdown should no longer be graceful: `shutdownTimeout` elapsed
   * or the caller of `host.stop(signal)` gave up. The host stops waiting for this service at that
   * moment and logs it as abandoned.
   */
  stop(signal: AbortSignal): Promise<void>;
}

/**
 * A {@link HostedService} with hooks around the start and stop phases, the port of .NET's
 * `IHostedLifecycleService`. Each hook is a barrier: every service's `starting` hook settles
 * before any service's `start` is called, and so on.
 *
 * Start: `starting` (all) → `start` (all) → `started` (all). Stop: `stopping` (all, reverse order)
 * → `stop` (all, reverse order) → `stopped` (all, reverse order). The signal in each hook is the
 * one of its phase, as in {@link HostedService.start} and {@link HostedService.stop}.
 *
 * Unlike .NET's interface, every hook is optional: the host calls the ones a service has, so a
 * service that only needs `stopping` writes only `stopping`.
 */
export interface HostedLifecycleService extends HostedService {
  /** Called before any hosted service starts, e.g. to migrate a database the others use. */
  starting?(signal: AbortSignal): Promise<void>;
  /** Called after every hosted service started, before the application lifetime's `started`. */
  started?(signal: AbortSignal): Promise<void>;
  /**
   * Called first when the host stops, before the application lifetime's `stopping` and before
   * any service's `stop`: stop taking new work here.
   */
  stopping?(signal: AbortSignal): Promise<void>;
  /** Called after every hosted service stopped, before the application lifetime's `stopped`. */
  stopped?(signal: AbortSignal): Promise<void>;
}

/** The four hooks of a {@link HostedLifecycleService}, in the order the host calls them. */
export type LifecycleHook = 'starting' | 'started' | 'stopping' | 'stopped';

/** Whether `value` has the two methods of a {@link HostedService}. */
export function isHostedService(value: unknown): value is HostedService {
  if (value === null || (typeof value !== 'object' && typeof value !== 'function')) return false;
  const candidate = value as Partial<HostedService>;
  return typeof candidate.start === 'function' && typeof candidate.stop === 'function';
}

/** Whether `value` is a {@link HostedService} with at least one {@link HostedLifecycleService} hook. */
export function isHostedLifecycleService(value: unknown): value is HostedLifecycleService {
  if (!isHostedService(value)) return false;
  const candidate = value as HostedLifecycleService;
  return (
    typeof candidate.starting === 'function' ||
    typeof candidate.started === 'function' ||
    typeof candidate.stopping === 'function' ||
    typeof candidate.stopped === 'function'
  );
}
