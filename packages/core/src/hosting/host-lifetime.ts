import type { ApplicationLifetime } from './application-lifetime.ts';
import type { Logger } from '../logging/logger.ts';

/**
 * What a {@link HostLifetime} is given when the host starts.
 */
export interface HostLifetimeContext {
  /**
   * The application lifetime: call `stopApplication()` when the runtime asks the process to end
   * (SIGINT, SIGTERM), watch `stopping` to tell a second signal (force exit) from the first.
   */
  readonly applicationLifetime: ApplicationLifetime;
  /** A logger in the `hostkit.Lifetime` category, for the lifetime's own messages. */
  readonly logger: Logger;
}

/**
 * How a run of the host ended, given to {@link HostLifetime.complete} so a runtime adapter can
 * set the process exit code.
 */
export interface HostRunOutcome {
  /**
   * 0 for a clean stop; 1 when start failed, a background service faulted with `stopHost`, or
   * stop failed or timed out.
   */
  readonly exitCode: number;
  /** What `host.run()` rejects with; absent on a clean stop. */
  readonly error?: unknown;
}

/**
 * The port through which the host meets the runtime: what starts a run, what ends it, and what
 * keeps the process alive in between. The port of .NET's `IHostLifetime`; the console lifetime
 * of the Node and Deno adapters implements it, and core ships {@link EmbeddedHostLifetime}, which
 * needs no runtime.
 *
 * What an adapter must do:
 * - In {@link waitForStart}: install its signal handlers (SIGINT, SIGTERM, SIGQUIT where the
 *   runtime allows), each calling `context.applicationLifetime.stopApplication()`; a second signal
 *   once `stopping` has fired forces exit at once with a non-zero code. Then acquire EXACTLY ONE
 *   handle that keeps the event loop alive (an awaited promise is not one: Node exits with code 13
 *   on an unsettled top-level await), and resolve. Reject to fail the start.
 * - In {@link stop}: remove the signal handlers and release the handle, so nothing the host
 *   owned keeps the process alive. Called once per {@link waitForStart}, whether the start
 *   succeeded or not; must be safe to call without a prior `waitForStart` (a host stopped before
 *   it started).
 * - In {@link complete} (optional): map the outcome to the process exit code (set it; do not exit
 *   abruptly, so that a caller's `finally` still runs).
 *
 * A lifetime instance serves one host run: the host calls `waitForStart` once, `stop` once and
 * `complete` at most once.
 */
export interface HostLifetime {
  /**
   * Called first in `host.start()`, before any hosted service is touched. The host waits for it:
   * a lifetime may delay the start (e.g. until a supervisor says go).
   * @param signal The start signal: aborted on `startupTimeout`, when the caller of `start`
   * gives up, or when the application is asked to stop while starting.
   */
  waitForStart(context: HostLifetimeContext, signal: AbortSignal): Promise<void>;
  /**
   * Called last in `host.stop()`, after the application lifetime's `stopped` fired and before the
   * DI container is disposed. Release what {@link waitForStart} acquired.
   * @param signal The stop signal, aborted when the shutdown budget is spent.
   */
  stop(signal: AbortSignal): Promise<void>;
  /**
   * Called by `host.run()` once everything is stopped and disposed, with how the run ended, just
   * before `run()` resolves or rejects. Not called when the caller drives `start`/`stop` itself.
   */
  complete?(outcome: HostRunOutcome): void;
}
