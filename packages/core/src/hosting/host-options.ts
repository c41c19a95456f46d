import { describeValue } from '../internal/describe-value.ts';

/**
 * What a background service's fault does to the host, the port of .NET's
 * `BackgroundServiceExceptionBehavior`.
 * - `stopHost`: the host stops, and `host.run()` rejects with the fault, so the process exits
 *   non-zero and an orchestrator restarts it.
 * - `ignore`: the fault is logged and the health check reports the service unhealthy; the other
 *   services keep running.
 */
export type BackgroundServiceExceptionBehavior = 'stopHost' | 'ignore';

/** How the host starts and stops its hosted services; the port of .NET's `HostOptions`. */
export interface HostOptions {
  /**
   * Milliseconds after which the signal given to `start` (and to the `starting`/`started` hooks)
   * is aborted. Cooperative: a service that ignores its signal is still waited for, but no later
   * service is started once it has fired. `undefined`: no timeout.
   * @default undefined
   */
  startupTimeout?: number | undefined;
  /**
   * Milliseconds the whole stop may take, shared by all services when they stop one after the
   * other. When it elapses the signal given to `stop` (and the stop hooks) is aborted, the host
   * stops waiting, logs each service it abandoned by name, and `stop()` rejects with a
   * `HostShutdownTimeoutError`.
   *
   * Must be finite: unlike .NET, hostkit has no "wait forever", because a shutdown that hangs
   * is what an orchestrator ends with SIGKILL anyway, without the log line saying which service
   * hung.
   * @default 30_000
   */
  shutdownTimeout?: number | undefined;
  /**
   * Start all hosted services at once (each phase still a barrier), collecting every failure,
   * instead of one after another stopping at the first failure.
   * @default false
   */
  servicesStartConcurrently?: boolean | undefined;
  /**
   * Stop all hosted services at once instead of one after another in reverse order.
   * @default false
   */
  servicesStopConcurrently?: boolean | undefined;
  /**
   * What a background service that faults (its `execute` rejects with anything but its own
   * cancellation) does to the host.
   * @default 'stopHost'
   */
  backgroundServiceExceptionBehavior?: BackgroundServiceExceptionBehavior | undefined;
}

/** {@link HostOptions} with defaults applied and every value checked. */
export interface ResolvedHostOptions {
  /** {@link HostOptions.startupTimeout}; `undefined` for no limit. */
  readonly startupTimeout: number | undefined;
  /** {@link HostOptions.shutdownTimeout}, in ms. */
  readonly shutdownTimeout: number;
  /** {@link HostOptions.servicesStartConcurrently}. */
  readonly servicesStartConcurrently: boolean;
  /** {@link HostOptions.servicesStopConcurrently}. */
  readonly servicesStopConcurrently: boolean;
  /** {@link HostOptions.backgroundServiceExceptionBehavior}. */
  readonly backgroundServiceExceptionBehavior: BackgroundServiceExceptionBehavior;
}

/** The default {@link HostOptions.shutdownTimeout}: 30 seconds, as in .NET. */
export const defaultShutdownTimeout = 30_000;

/**
 * Applies the defaults of {@link HostOptions} and checks each value. Called by the host builder's
 * `build()`, so a bad option fails the build, not the first shutdown.
 * @throws RangeError when a timeout is negative, NaN or infinite, naming the option and the value.
 * @throws TypeError when an option has the wrong type or `backgroundServiceExceptionBehavior` is
 * not one of its values.
 */
export function resolveHostOptions(options: HostOptions = {}): ResolvedHostOptions {
  if (options === null || typeof options !== 'object') {
    throw new TypeError(`Expected host options to be an object, got ${describeValue(options)}`);
  }
  const behavior = options.backgroundServiceExceptionBehavior ?? 'stopHost';
  if (behavior !== 'stopHost' && behavior !== 'ignore') {
    throw new TypeError(
      `Expected backgroundServiceExceptionBehavior to be 'stopHost' or 'ignore', got ${describeValue(behavior)}`,
    );
  }
  return Object.freeze({
    startupTimeout: options.startupTimeout === undefined ? undefined : checkTimeout('startupTimeout', options.startupTimeout),
    shutdownTimeout: checkTimeout('shutdownTimeout', options.shutdownTimeout ?? defaultShutdownTimeout),
    servicesStartConcurrently: checkBoolean('servicesStartConcurrently', options.servicesStartConcurrently ?? false),
    servicesStopConcurrently: checkBoolean('servicesStopConcurrently', options.servicesStopConcurrently ?? false),
    backgroundServiceExceptionBehavior: behavior,
  });
}

function checkTimeout(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new RangeError(`Expected ${name} to be a finite number of milliseconds >= 0, got ${describeValue(value)}`);
  }
  return value;
}

function checkBoolean(name: string, value: unknown): boolean {
  if (typeof value !== 'boolean') {
    throw new TypeError(`Expected ${name} to be a boolean, got ${describeValue(value)}`);
  }
  return value;
}
