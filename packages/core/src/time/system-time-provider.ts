/**
 * Audited exception to core purity: the system clock and timers.
 *
 * Core reads time only through the {@link TimeProvider} port; this file is the one place in
 * `packages/core/src` that touches `globalThis.setTimeout`/`clearTimeout`, `Date.now()` and
 * `performance.now()`. They are web-standard and behave alike on Node, Deno and browsers, so the
 * default provider can live in core; what differs per runtime (whether a pending timer keeps the
 * process alive) is left to a subclass in `@hostkit/adapters` through {@link
 * SystemTimeProvider.scheduleTimeout}.
 * @module
 */
import { TimeProvider, type Timer } from './time-provider.ts';
import { describeValue } from '../internal/describe-value.ts';
import { checkDueTime, checkPeriod } from './timer-arguments.ts';

/**
 * The longest delay `setTimeout` honours: larger values overflow to about 1 ms on Node and in
 * browsers. Longer waits are chained in steps of at most this size.
 */
const maxTimeoutDelay = 2_147_483_647;

/**
 * A timer that fires less than this many ms before its due time (as read on
 * {@link TimeProvider.timestamp}) counts as on time. Node schedules on a millisecond loop clock
 * cached at the start of each loop turn, so its timers can wake a fraction of a millisecond early
 * compared with `performance.now()`; re-arming for that fraction would only cost another turn.
 */
const earlyTolerance = 1;

/**
 * {@link TimeProvider} on the platform's clock and timers.
 *
 * - {@link now} is `Date.now()`, {@link timestamp} is `performance.now()`.
 * - Periodic timers are fixed-rate: the n-th call is due at `start + dueTime + n * period`, however
 *   long the callbacks take. When the event loop was blocked for longer than a period, the calls
 *   missed meanwhile are skipped rather than replayed in a burst, and the next call stays on the
 *   original grid.
 * - Due times of any length work: waits beyond `setTimeout`'s 2^31-1 ms limit are chained.
 * - A callback that throws does not stop later periods; the error goes to
 *   {@link reportCallbackError}.
 *
 * Keeping the process alive: as created here, a pending timer holds a Node or Deno process open,
 * like any `setTimeout`. A host that must not be kept alive by its timers (a periodic timer in a
 * background service should not stop the process from exiting once the host has stopped) uses
 * the adapters' subclass, which overrides {@link scheduleTimeout} to `unref()` each handle.
 *
 * Use the {@link systemTimeProvider} singleton unless you need such a subclass.
 */
export class SystemTimeProvider extends TimeProvider {
  /** What a timer needs from its provider, bound here so the hooks can stay protected. */
  readonly #host: TimerHost = {
    timestamp: () => this.timestamp(),
    schedule: (callback, delay) => this.scheduleTimeout(callback, delay),
    cancel: (handle) => this.cancelTimeout(handle),
    report: (error) => this.reportCallbackError(error),
  };

  /** Wall-clock time from `Date.now()`. */
  now(): number {
    return Date.now();
  }

  /** Monotonic time from `performance.now()`. */
  timestamp(): number {
    return performance.now();
  }

  /**
   * Schedules `callback` on the platform's timers; see the class documentation for the
   * guarantees.
   * @throws RangeError when `dueTime` or `period` is negative or NaN.
   */
  createTimer(callback: () => void, dueTime: number, period?: number): Timer {
    if (typeof callback !== 'function') {
      throw new TypeError(`Expected callback to be a function, got ${describeValue(callback)}`);
    }
    return new SystemTimer(this.#host, callback, checkDueTime(dueTime), checkPeriod(period));
  }

  /**
   * Calls `globalThis.setTimeout`. Called each time a timer arms its next platform timeout: once
   * per call of a periodic timer, and again for each step of a wait longer than `setTimeout`
   * allows. `delay` is a whole number of ms between 1 and 2^31-1.
   *
   * Override to change how timeouts are held, not when they fire: the Node and Deno adapters call
   * `super.scheduleTimeout(...)` and `unref()` the handle, so pending timers do not keep the
   * process alive. Whatever this returns is passed back to {@link cancelTimeout}.
   */
  protected scheduleTimeout(callback: () => void, delay: number): unknown {
    // oxlint-disable-next-line no-restricted-globals -- audited exception: the system provider is where core's timers come from.
    return setTimeout(callback, delay);
  }

  /**
   * Calls `globalThis.clearTimeout` with a handle returned by {@link scheduleTimeout}. Called when a
   * timer is changed or disposed before its timeout ran.
   */
  protected cancelTimeout(handle: unknown): void {
    // oxlint-disable-next-line no-restricted-globals -- audited exception: the system provider is where core's timers come from.
    clearTimeout(handle as Parameters<typeof clearTimeout>[0]);
  }

  /**
   * Called when a timer callback throws, after the timer has armed its next period. The default
   * hands the error to the web-standard `reportError` where the runtime has it (Deno, browsers),
   * else rethrows it from a microtask (Node, where that makes it an uncaught exception, as a
   * throwing `setTimeout` callback would be). Override to route it elsewhere, e.g. to a logger.
   */
  protected reportCallbackError(error: unknown): void {
    if (typeof globalThis.reportError === 'function') {
      globalThis.reportError(error);
      return;
    }
    queueMicrotask(() => {
      throw error;
    });
  }
}

interface TimerHost {
  timestamp(): number;
  schedule(callback: () => void, delay: number): unknown;
  cancel(handle: unknown): void;
  report(error: unknown): void;
}

/** One timer of a {@link SystemTimeProvider}: at most one platform timeout pending at a time. */
class SystemTimer implements Timer {
  readonly #host: TimerHost;
  #callback: (() => void) | undefined;
  /** The pending platform timeout, if any. */
  #handle: unknown = undefined;
  #armed = false;
  /** When the next call is due, on the provider's {@link TimeProvider.timestamp} clock. */
  #dueAt = 0;
  /** Normalised: `Infinity` for a one-shot timer. */
  #period = Infinity;

  constructor(host: TimerHost, callback: () => void, dueTime: number, period: number) {
    this.#host = host;
    this.#callback = callback;
    this.#arm(dueTime, period);
  }

  change(dueTime: number, period?: number): boolean {
    const checkedDueTime = checkDueTime(dueTime);
    const checkedPeriod = checkPeriod(period);
    if (this.#callback === undefined) return false;
    this.#disarm();
    this.#arm(checkedDueTime, checkedPeriod);
    return true;
  }

  dispose(): void {
    this.#disarm();
    // Dropping the callback lets it be collected even if someone keeps the timer object.
    this.#callback = undefined;
  }

  [Symbol.dispose](): void {
    this.dispose();
  }

  #arm(dueTime: number, period: number): void {
    this.#period = period;
    if (dueTime === Infinity) return;
    this.#armed = true;
    this.#dueAt = this.#host.timestamp() + dueTime;
    this.#schedule(dueTime);
  }

  #disarm(): void {
    this.#armed = false;
    if (this.#handle !== undefined) {
      this.#host.cancel(this.#handle);
      this.#handle = undefined;
    }
  }

  #schedule(delay: number): void {
    const whole = Math.min(Math.max(Math.ceil(delay), 1), maxTimeoutDelay);
    this.#handle = this.#host.schedule(this.#onTimeout, whole);
  }

  readonly #onTimeout = (): void => {
    this.#handle = undefined;
    const callback = this.#callback;
    if (!this.#armed || callback === undefined) return;
    const now = this.#host.timestamp();
    const remaining = this.#dueAt - now;
    if (remaining >= earlyTolerance) {
      // Woken early, or one step of a wait longer than setTimeout allows: keep waiting.
      this.#schedule(remaining);
      return;
    }
    if (this.#period === Infinity) {
      this.#armed = false;
    } else {
      // Fixed rate: the next due time comes from the previous DUE time, not from now, so late
      // wake-ups and slow callbacks add no drift. Periods missed entirely are skipped, not replayed.
      const missed = Math.floor((now - this.#dueAt) / this.#period);
      this.#dueAt += this.#period * (Math.max(missed, 0) + 1);
      // Armed before the callback runs, so a change() or dispose() inside the callback wins.
      this.#schedule(this.#dueAt - now);
    }
    try {
      callback();
    } catch (error) {
      this.#host.report(error);
    }
  };
}

/** The process-wide {@link SystemTimeProvider}: the default wherever a time provider is optional. */
export const systemTimeProvider: SystemTimeProvider = new SystemTimeProvider();
