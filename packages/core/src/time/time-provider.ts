import { describeValue } from '../internal/describe-value.ts';

/**
 * A timer created by a {@link TimeProvider}. It calls its callback once after `dueTime`, then every
 * `period` milliseconds if a period was given, until it is disposed or changed.
 *
 * The handle is opaque on purpose: Node's `Timeout` objects, Deno's numeric ids and a manual
 * provider's entries all hide behind it, so core never depends on a runtime's timer type.
 */
export interface Timer extends Disposable {
  /**
   * Re-arms the timer: the next call comes `dueTime` ms from now (`Infinity`: never, the timer
   * stays idle until changed again), then every `period` ms (omitted, `0` or `Infinity`: no
   * repetition).
   * @throws RangeError when `dueTime` or `period` is negative or NaN.
   * @returns `false` when the timer was already disposed (nothing is scheduled), `true` otherwise.
   */
  change(dueTime: number, period?: number): boolean;
  /** Cancels the timer. Idempotent; a callback that has not started will not run. */
  dispose(): void;
}

/**
 * The port through which everything in hostkit reads the clock and waits.
 *
 * Core never calls `setTimeout`, `Date.now()` or `performance.now()` itself: it asks a
 * TimeProvider. Runtime adapters supply the system implementation (timers that do not keep the
 * process alive on their own); `@hostkit/core/testing` supplies `ManualTimeProvider`, which a test
 * advances by hand, so no test in the project waits on the wall clock.
 *
 * Implementations provide {@link now}, {@link timestamp} and {@link createTimer}; {@link delay}
 * and {@link elapsedSince} are derived from them and need no override.
 */
export abstract class TimeProvider {
  /** Wall-clock time as epoch milliseconds, like `Date.now()`. May jump (NTP, manual changes). */
  abstract now(): number;

  /**
   * A monotonic timestamp in milliseconds from an arbitrary origin, like `performance.now()`.
   * Use it, never {@link now}, to measure durations.
   */
  abstract timestamp(): number;

  /**
   * Schedules `callback` after `dueTime` ms, then every `period` ms if given.
   *
   * Contract for every implementation:
   * - `dueTime` is a number >= 0; `Infinity` creates an idle timer that {@link Timer.change} can
   *   arm later.
   * - `period` omitted, `0` (as in .NET) or `Infinity` means no repetition.
   * - Periodic timers are fixed-rate: each due time is computed from the first one, so the time a
   *   callback takes does not push later calls back.
   * - The callback never runs synchronously inside `createTimer` or {@link Timer.change}, even
   *   with a `dueTime` of 0.
   * - A callback that throws does not stop later calls; the error is the implementation's to
   *   report.
   * @throws RangeError when `dueTime` or `period` is negative or NaN.
   */
  abstract createTimer(callback: () => void, dueTime: number, period?: number): Timer;

  /** Milliseconds elapsed since `startTimestamp`, a value from {@link timestamp}. */
  elapsedSince(startTimestamp: number): number {
    return this.timestamp() - startTimestamp;
  }

  /**
   * Resolves after `ms` milliseconds measured by this provider.
   *
   * When `signal` aborts first, the returned promise rejects with `signal.reason` and the timer is
   * disposed; the abort listener is removed either way, so a long-lived signal does not collect
   * listeners from many delays.
   * @throws RangeError (as a rejection) when `ms` is negative or NaN.
   */
  delay(ms: number, signal?: AbortSignal): Promise<void> {
    if (typeof ms !== 'number' || !(ms >= 0)) {
      return Promise.reject(new RangeError(`Expected ms to be a number >= 0, got ${describeValue(ms)}`));
    }
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise<void>((resolve, reject) => {
      const onAbort = (): void => {
        timer.dispose();
        reject(signal?.reason);
      };
      const timer = this.createTimer(() => {
        signal?.removeEventListener('abort', onAbort);
        timer.dispose();
        resolve();
      }, ms);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }
}
