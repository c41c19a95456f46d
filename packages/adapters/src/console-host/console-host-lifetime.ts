import {
  HostLogEvents,
  type ApplicationLifetime,
  type HostLifetime,
  type HostLifetimeContext,
  type HostRunOutcome,
  type Logger,
} from '@hostkit/core';
import type { ConsoleRuntime, StopSignal } from './console-runtime.ts';
import { signalFanOutOf } from './signal-fan-out.ts';

/**
 * The exit code of a forced exit: 128 + the signal's number, what a shell reports for a process
 * the signal killed, so supervisors read a forced exit the same way.
 */
const forcedExitCodes: Readonly<Record<StopSignal, number>> = { SIGINT: 130, SIGQUIT: 131, SIGTERM: 143, SIGBREAK: 149 };

/**
 * The longest delay a timer accepts (2^31-1 ms, about 24.8 days): the keep-alive interval then
 * wakes the process that rarely, and doing nothing when it does.
 */
const keepAlivePeriod = 2_147_483_647;

/**
 * How long after the signal that began the stop the same signal counts as that one again, not as
 * a second request. A terminal's Ctrl+C reaches every process of the foreground group, and a
 * wrapper such as npm, which receives it too, forwards it to its child: the host hears one key
 * press twice, milliseconds apart. A person's quick double press comes later than the few
 * milliseconds a forward takes; one pressed sooner than this counts as the first, and the next
 * one ends the process.
 */
export const DUPLICATE_SIGNAL_WINDOW_MS = 250;

function keepAliveTick(): void {
  // Nothing to do: the interval exists only to hold the event loop open.
}

/**
 * The {@link HostLifetime} of a host that owns its process, the port of .NET's `ConsoleLifetime`,
 * written once for every runtime in terms of {@link ConsoleRuntime}; `NodeConsoleLifetime` and
 * `DenoConsoleLifetime` only choose the runtime.
 *
 * - Signals: from `waitForStart` to `stop`, SIGINT, SIGTERM and SIGQUIT (SIGINT, SIGTERM and
 *   SIGBREAK on Windows) ask the application to stop (`stopApplication()`), logged as
 *   `LifetimeSignalReceived`. A signal that arrives once the application is already stopping,
 *   whatever started the stop, ends the process at once (unless it is the signal that began the
 *   stop arriving again within {@link DUPLICATE_SIGNAL_WINDOW_MS}: one Ctrl+C that reached the
 *   host directly and through a wrapper such as npm) with 128 + the signal's number (130 for
 *   SIGINT, 143 for SIGTERM, 131 for SIGQUIT, 149 for SIGBREAK), logged as `LifetimeForcedExit`:
 *   the way out of a shutdown that hangs. The listeners are one process-level registration shared
 *   by every console lifetime of the runtime (several hosts in one process do not fight over
 *   them); the last lifetime to stop removes them, which gives the signals their default action
 *   back.
 * - Keep-alive: exactly one handle, a ref'ed interval of the longest period a timer allows,
 *   acquired in `waitForStart` and cleared in `stop`. An awaited promise does not hold a process
 *   open (Node ends an unsettled top-level await with exit code 13, Deno with an error), and the
 *   adapters' time providers unref their timers, so without it a host whose services only wait on
 *   timers would be ended under them.
 * - Exit code: `complete` sets the process exit code from the run's outcome (0 for a clean stop,
 *   1 otherwise) and never exits: the process ends by itself once nothing holds it, so a caller's
 *   `finally` still runs. Ending a process that something else still holds (a service abandoned
 *   at `shutdownTimeout`) is `runMain`'s decision, not the lifetime's (see `RunMainOptions.exitProcess`).
 *
 * One instance serves one host run at a time; it may be started again once stopped.
 */
export class ConsoleHostLifetime implements HostLifetime {
  readonly #runtime: ConsoleRuntime;
  #subscription: Disposable | undefined = undefined;
  /** The signal that began the stop of the current run, and when (the runtime clock's monotonic timestamp). */
  #firstSignal: { readonly signal: StopSignal; readonly at: number } | undefined = undefined;
  #keepAlive: ReturnType<typeof setInterval> | undefined = undefined;

  /** Subclasses pass their runtime; see `NodeConsoleLifetime` and `DenoConsoleLifetime`. */
  constructor(runtime: ConsoleRuntime) {
    this.#runtime = runtime;
  }

  /** Whether the lifetime is between `waitForStart` and `stop`: listening and holding the process. */
  get running(): boolean {
    return this.#subscription !== undefined;
  }

  /**
   * Called first in `host.start()`: subscribes to the stop signals, then acquires the keep-alive
   * handle.
   * @param signal Already aborted: rejects with its reason and acquires nothing.
   * @throws Error (as a rejection) when this lifetime is already running another host.
   * @throws whatever the runtime throws (as a rejection) for a signal it cannot listen for.
   */
  waitForStart(context: HostLifetimeContext, signal: AbortSignal): Promise<void> {
    if (signal.aborted) return Promise.reject(signal.reason);
    if (this.running) {
      return Promise.reject(new Error('This console lifetime is already running a host: give each host its own lifetime.'));
    }
    const { applicationLifetime, logger } = context;
    this.#firstSignal = undefined;
    try {
      this.#subscription = this.#subscribe(applicationLifetime, logger);
    } catch (error) {
      // The runtime refused a signal: the start fails, holding nothing.
      return Promise.reject(error);
    }
    this.#keepAlive = setInterval(keepAliveTick, keepAlivePeriod);
    return Promise.resolve();
  }

  /** Called last in `host.stop()`: unsubscribes from the signals and clears the keep-alive handle. */
  stop(_signal: AbortSignal): Promise<void> {
    this.#subscription?.[Symbol.dispose]();
    this.#subscription = undefined;
    clearInterval(this.#keepAlive);
    this.#keepAlive = undefined;
    return Promise.resolve();
  }

  /** Called by `host.run()` at the very end: sets the process exit code from `outcome`. */
  complete(outcome: HostRunOutcome): void {
    this.#runtime.setExitCode(outcome.exitCode);
  }

  /**
   * A first signal asks the application to stop; the same signal again within
   * {@link DUPLICATE_SIGNAL_WINDOW_MS} is that one delivered twice and is ignored; any other that
   * finds the application stopping ends the process.
   */
  #subscribe(applicationLifetime: ApplicationLifetime, logger: Logger): Disposable {
    return signalFanOutOf(this.#runtime).subscribe((received) => {
      const now = this.#runtime.timeProvider.timestamp();
      const first = this.#firstSignal;
      if (first !== undefined && first.signal === received && now - first.at < DUPLICATE_SIGNAL_WINDOW_MS) {
        logger.debug(`Received ${received} again ${now - first.at} ms after the first; taken as the same request (a wrapper such as npm forwards the terminal's signal)`, {
          event: HostLogEvents.LifetimeSignalReceived,
          signal: received,
        });
        return;
      }
      if (!applicationLifetime.stopping.aborted) {
        this.#firstSignal = { signal: received, at: now };
        logger.info(`Received ${received}; stopping the application (send it again to exit at once)`, {
          event: HostLogEvents.LifetimeSignalReceived,
          signal: received,
        });
        applicationLifetime.stopApplication();
        return;
      }
      const exitCode = forcedExitCodes[received];
      logger.critical(`Received ${received} while the application was stopping; exiting at once with code ${exitCode}`, {
        event: HostLogEvents.LifetimeForcedExit,
        signal: received,
        exitCode,
      });
      this.#runtime.exit(exitCode);
    });
  }
}
