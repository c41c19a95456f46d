/**
 * Every event the host logs, with its id and name, like .NET's `LoggerEventIds`
 * (Microsoft.Extensions.Hosting.Internal).
 *
 * Ids 1 to 99 are .NET's, with the same numbers and names, so that dashboards and alert rules
 * written for a .NET host carry over. Ids from 100 are hostkit's own, grouped by tens:
 * 100s hosted-service lifecycle, 110s background-service restarts, 120s timeouts, 130s health
 * checks, 140s lifetime and signals, 150s cluster singletons.
 *
 * Each record carries its event in `LogRecord.event`; match on it (`MemoryLogSink.byEvent`), never
 * on the message text, which may change. Ids and names never change once released.
 *
 * A failure is logged once with its `error` (and so its stack), by the record of where it
 * happened: a service's start or stop, a background service's fault, the host's own start, the
 * container's disposal. Records that only follow from it (`BackgroundServiceStoppingHost`, and the
 * console host's last record in `runMain`) name it in one line, without the `error` field.
 * `StoppedWithException` is the exception: like .NET's, it carries the errors of the stop together.
 * @module
 */
import type { LogEvent } from '../logging/log-event.ts';

/**
 * The shape of {@link HostLogEvents}: one documented member per event. The level given with each
 * member is the one the host logs it at.
 */
export interface HostLogEventCatalogue {
  /** 1, debug: host start begins, before the host lifetime's `waitForStart`. */
  readonly Starting: LogEvent;
  /** 2, debug: every hosted service started and the `started` hooks ran. */
  readonly Started: LogEvent;
  /** 3, debug: host stop begins (whatever asked for it: a signal, `stopApplication`, a fault). */
  readonly Stopping: LogEvent;
  /** 4, debug: host stop finished without error. */
  readonly Stopped: LogEvent;
  /** 5, error: host stop finished, but some services or hooks failed; `error` holds them (one, or an `AggregateError`). */
  readonly StoppedWithException: LogEvent;
  /** 6, error: a callback registered on the application lifetime's `started` event threw; start goes on. */
  readonly ApplicationStartupException: LogEvent;
  /** 7, error: a callback registered on the application lifetime's `stopping` event threw; stop goes on. */
  readonly ApplicationStoppingException: LogEvent;
  /** 8, error: a callback registered on the application lifetime's `stopped` event threw; stop goes on. */
  readonly ApplicationStoppedException: LogEvent;
  /** 9, error: a background service's `execute` rejected (other than with its own stop signal's reason during stop). */
  readonly BackgroundServiceFaulted: LogEvent;
  /**
   * 10, critical: a faulted background service is stopping the host (`backgroundServiceExceptionBehavior:
   * 'stopHost'`; `service`). Follows its `BackgroundServiceFaulted` record, which carries the
   * error; this one names it in its message only.
   */
  readonly BackgroundServiceStoppingHost: LogEvent;
  /** 11, error: a hosted service's `start` failed; the host stops the services already started, then rethrows. */
  readonly HostedServiceStartupFaulted: LogEvent;

  /** 100, debug: the host is about to call `start` on one hosted service (`service` field: its name). */
  readonly HostedServiceStarting: LogEvent;
  /** 101, debug: one hosted service's `start` resolved (`service`, `duration` in ms). */
  readonly HostedServiceStarted: LogEvent;
  /** 102, debug: the host is about to call `stop` on one hosted service (`service`). */
  readonly HostedServiceStopping: LogEvent;
  /** 103, debug: one hosted service's `stop` resolved (`service`, `duration` in ms). */
  readonly HostedServiceStopped: LogEvent;
  /** 104, error: one hosted service's `stop` failed (`service`, `error`); the other services are still stopped. */
  readonly HostedServiceStopFaulted: LogEvent;
  /**
   * 105, error: the host's own part of the start failed, before any hosted service was called:
   * resolving the hosted services (a bad registration) or the host lifetime's `waitForStart`
   * (`error`). The host then stops, and `start()` rejects with that error.
   */
  readonly HostStartFaulted: LogEvent;
  /** 106, error: disposing the DI container at the end of `run()` failed (`error`); `run()` rejects with it. */
  readonly ServicesDisposeFaulted: LogEvent;

  /**
   * 110, warn: the restart policy restarts a faulted background service (`service`, `error`,
   * `attempt` starting at 1, `delay` in ms before the restart).
   */
  readonly BackgroundServiceRestarting: LogEvent;
  /**
   * 111, error: a background service faulted again after its last allowed restart (`service`,
   * `error`, `attempts`); the fault then goes to `backgroundServiceExceptionBehavior`.
   */
  readonly BackgroundServiceRestartsExhausted: LogEvent;

  /** 120, error: `startupTimeout` elapsed; the signal given to the start phases was aborted (`timeout` in ms). */
  readonly StartupTimedOut: LogEvent;
  /** 121, error: `shutdownTimeout` elapsed; the signal given to stop was aborted (`timeout` in ms). */
  readonly ShutdownTimedOut: LogEvent;
  /**
   * 122, error: after the shutdown timeout, these hosted services had still not stopped and were
   * abandoned (`services`: all their names, in stop order; `blocking`: those that were stopping
   * when the budget ran out, the ones that held the shutdown up; `askedTooLate`: those asked to
   * stop only once the budget was spent, with an aborted signal, that did not stop at once).
   */
  readonly HostedServicesAbandoned: LogEvent;

  /**
   * 130, warn or error: a health check threw, or reported degraded or unhealthy (`check`,
   * `status`, `duration`, `error` when it threw). Warn when the resulting status is degraded,
   * error when unhealthy.
   */
  readonly HealthCheckFailed: LogEvent;
  /** 131, warn or error: a health check did not settle within its timeout (`check`, `timeout`, `status`). */
  readonly HealthCheckTimedOut: LogEvent;

  /** 140, info: the console lifetime received a signal (`signal`: e.g. `SIGTERM`) and asks the application to stop. */
  readonly LifetimeSignalReceived: LogEvent;
  /** 141, critical: a second signal arrived during shutdown; the process exits at once, non-zero (`signal`). */
  readonly LifetimeForcedExit: LogEvent;

  /**
   * 150, info: a cluster-singleton background service acquired its lease and runs `execute` on
   * this replica (`service`, `lease`: the lease's name, `fencingToken`).
   */
  readonly ClusterLeaderElected: LogEvent;
  /**
   * 151, warn: a cluster-singleton background service lost its lease (expired on the store, or the
   * store unreachable for its time-to-live); `execute` was aborted and the service campaigns again
   * (`service`, `lease`, `fencingToken`, `error`).
   */
  readonly ClusterLeaseLost: LogEvent;
}

function event(id: number, name: string): LogEvent {
  return Object.freeze({ id, name });
}

/** Every host log event; see {@link HostLogEventCatalogue} for when each is logged. Frozen. */
export const HostLogEvents: HostLogEventCatalogue = Object.freeze({
  Starting: event(1, 'Starting'),
  Started: event(2, 'Started'),
  Stopping: event(3, 'Stopping'),
  Stopped: event(4, 'Stopped'),
  StoppedWithException: event(5, 'StoppedWithException'),
  ApplicationStartupException: event(6, 'ApplicationStartupException'),
  ApplicationStoppingException: event(7, 'ApplicationStoppingException'),
  ApplicationStoppedException: event(8, 'ApplicationStoppedException'),
  BackgroundServiceFaulted: event(9, 'BackgroundServiceFaulted'),
  BackgroundServiceStoppingHost: event(10, 'BackgroundServiceStoppingHost'),
  HostedServiceStartupFaulted: event(11, 'HostedServiceStartupFaulted'),

  HostedServiceStarting: event(100, 'HostedServiceStarting'),
  HostedServiceStarted: event(101, 'HostedServiceStarted'),
  HostedServiceStopping: event(102, 'HostedServiceStopping'),
  HostedServiceStopped: event(103, 'HostedServiceStopped'),
  HostedServiceStopFaulted: event(104, 'HostedServiceStopFaulted'),
  HostStartFaulted: event(105, 'HostStartFaulted'),
  ServicesDisposeFaulted: event(106, 'ServicesDisposeFaulted'),

  BackgroundServiceRestarting: event(110, 'BackgroundServiceRestarting'),
  BackgroundServiceRestartsExhausted: event(111, 'BackgroundServiceRestartsExhausted'),

  StartupTimedOut: event(120, 'StartupTimedOut'),
  ShutdownTimedOut: event(121, 'ShutdownTimedOut'),
  HostedServicesAbandoned: event(122, 'HostedServicesAbandoned'),

  HealthCheckFailed: event(130, 'HealthCheckFailed'),
  HealthCheckTimedOut: event(131, 'HealthCheckTimedOut'),

  LifetimeSignalReceived: event(140, 'LifetimeSignalReceived'),
  LifetimeForcedExit: event(141, 'LifetimeForcedExit'),

  ClusterLeaderElected: event(150, 'ClusterLeaderElected'),
  ClusterLeaseLost: event(151, 'ClusterLeaseLost'),
});
