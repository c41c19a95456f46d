import { systemTimeProvider } from './system-time-provider.ts';
import { describeValue } from '../internal/describe-value.ts';
import type { Timer, TimeProvider } from './time-provider.ts';
import { tickSpansFor, type TickSpans } from '../telemetry/tick-telemetry.ts';

/** Options for {@link PeriodicTimer}. */
export interface PeriodicTimerOptions {
  /**
   * The clock that measures periods. Tests pass a `ManualTimeProvider`.
   * @default systemTimeProvider
   */
  timeProvider?: TimeProvider | undefined;
  /**
   * The timer's name in telemetry: each tick gets a `tick {name}` span (from the wait that
   * returned it to the next wait) when an OpenTelemetry SDK is installed.
   * @default undefined: no tick spans.
   */
  name?: string | undefined;
}

/** A consumer parked in {@link PeriodicTimer.waitForNextTick}. */
interface Waiter {
  resolve(ticked: boolean): void;
  /** Removes the abort listener, if there is one. */
  release(): void;
}

/**
 * A timer that a loop awaits, one tick at a time: the port of .NET's `PeriodicTimer`.
 *
 * ```ts
 * using timer = new PeriodicTimer(60_000, { timeProvider });
 * while (await timer.waitForNextTick(stopping)) {
 *   await cleanUp(stopping);
 * }
 * ```
 *
 * - Fixed-rate, not fixed-delay: ticks come every `period` ms from construction (or from the last
 *   change of {@link period}), however long the loop body takes, so work time adds no drift.
 * - Ticks that pass while the consumer is busy are coalesced into ONE pending tick: the next wait
 *   resolves at once, the one after waits for the next scheduled tick. Runs never overlap and a
 *   slow run is never followed by a burst of catch-up runs.
 * - One waiter at a time: a second wait while one is pending rejects with an `Error`.
 * - Aborting the signal of a wait rejects that wait with `signal.reason` and does not stop the
 *   timer: the next wait gets the next tick.
 * - {@link dispose} stops the timer and makes the pending wait and every later wait resolve
 *   `false`, which ends a `while (await timer.waitForNextTick())` loop cleanly.
 *
 * The timer runs from construction until disposed. On the system provider it keeps a Node or
 * Deno process alive like any `setTimeout`, unless the provider is the adapters' unref'ing one:
 * dispose it (`using`) when the loop ends.
 */
export class PeriodicTimer implements Disposable {
  readonly #timer: Timer;
  /** The tick spans of a named timer. */
  readonly #ticks: TickSpans | undefined;
  #period: number;
  /** A tick arrived while no one was waiting. Several such ticks are still one. */
  #pending = false;
  #waiter: Waiter | undefined = undefined;
  #disposed = false;

  /**
   * Starts the timer: the first tick is due `period` ms from now.
   * @param period Milliseconds between ticks: finite and > 0.
   * @throws RangeError when `period` is not a finite number > 0.
   */
  constructor(period: number, options?: PeriodicTimerOptions) {
    this.#period = checkTimerPeriod(period);
    const timeProvider = options?.timeProvider ?? systemTimeProvider;
    this.#ticks = tickSpansFor(options?.name, 'periodic');
    this.#timer = timeProvider.createTimer(this.#onTick, this.#period, this.#period);
  }

  /**
   * Milliseconds between ticks. Setting it while the timer runs restarts the schedule: the next
   * tick comes one NEW period after the change (a tick already pending stays pending). Setting it
   * after {@link dispose} only records the value.
   * @throws RangeError when set to anything but a finite number > 0.
   */
  get period(): number {
    return this.#period;
  }

  set period(value: number) {
    this.#period = checkTimerPeriod(value);
    if (!this.#disposed) this.#timer.change(this.#period, this.#period);
  }

  /**
   * Waits for the next tick. Call it in a loop; each call consumes one tick.
   *
   * Resolves `true` at once when a tick is pending (one came while the caller was busy), else at
   * the next tick; resolves `false` once the timer is disposed, including for a wait pending at
   * that moment.
   * @param signal Aborting it gives up THIS wait only: the promise rejects with `signal.reason`,
   *   the timer keeps running and a pending tick is not consumed. Already aborted: rejects at once
   *   (unless the timer is disposed, which resolves `false`). The abort listener is removed as soon
   *   as the wait settles.
   * @returns a promise that rejects with an `Error` when another wait is already pending: one
   *   waiter at a time.
   */
  waitForNextTick(signal?: AbortSignal): Promise<boolean> {
    const ticks = this.#ticks;
    if (ticks === undefined) return this.#waitForNextTick(signal);
    ticks.end();
    return this.#waitForNextTick(signal).then((ticked) => {
      if (ticked) ticks.begin();
      return ticked;
    });
  }

  #waitForNextTick(signal: AbortSignal | undefined): Promise<boolean> {
    if (this.#waiter !== undefined) {
      return Promise.reject(
        new Error(
          'PeriodicTimer.waitForNextTick() is already waiting: one waiter at a time. ' +
            'Await the pending call before calling it again.',
        ),
      );
    }
    if (this.#disposed) return Promise.resolve(false);
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.#pending) {
      this.#pending = false;
      return Promise.resolve(true);
    }
    return new Promise<boolean>((resolve, reject) => {
      const onAbort = (): void => {
        this.#waiter = undefined;
        reject(signal?.reason);
      };
      this.#waiter = {
        resolve,
        release: () => signal?.removeEventListener('abort', onAbort),
      };
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /**
   * Yields once per tick until the timer is disposed, for `for await` loops:
   * `for await (const _ of timer.ticks(stopping)) { ... }`. Same rules as
   * {@link waitForNextTick}: the iteration throws `signal.reason` when `signal` aborts while it
   * waits. Leaving the loop does not dispose the timer.
   */
  async *ticks(signal?: AbortSignal): AsyncGenerator<void, void, undefined> {
    while (await this.waitForNextTick(signal)) {
      yield;
    }
  }

  /**
   * Stops the timer. The pending wait, if any, and every later wait resolve `false`. Idempotent.
   */
  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    this.#pending = false;
    this.#ticks?.end();
    this.#timer.dispose();
    this.#settle(false);
  }

  /** Calls {@link dispose}, so that `using` stops the timer at the end of a block. */
  [Symbol.dispose](): void {
    this.dispose();
  }

  readonly #onTick = (): void => {
    if (this.#waiter === undefined) this.#pending = true;
    else this.#settle(true);
  };

  #settle(ticked: boolean): void {
    const waiter = this.#waiter;
    if (waiter === undefined) return;
    this.#waiter = undefined;
    waiter.release();
    waiter.resolve(ticked);
  }
}

function checkTimerPeriod(period: unknown): number {
  if (typeof period !== 'number' || !(period > 0) || period === Infinity) {
    throw new RangeError(`Expected period to be a finite number > 0, got ${describeValue(period)}`);
  }
  return period;
}
