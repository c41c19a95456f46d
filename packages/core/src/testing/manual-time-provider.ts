import { TimeProvider, type Timer } from '../time/time-provider.ts';
import { describeValue } from '../internal/describe-value.ts';
import { checkDueTime, checkPeriod } from '../time/timer-arguments.ts';

/** Options for {@link ManualTimeProvider}. */
export interface ManualTimeProviderOptions {
  /**
   * The wall-clock time {@link ManualTimeProvider.now} starts at, as epoch ms or a `Date`. The
   * monotonic {@link ManualTimeProvider.timestamp} always starts at 0.
   * @default 2000-01-01T00:00:00.000Z, so that tests are deterministic.
   */
  now?: number | Date | undefined;
  /**
   * How many timers may fire at one instant, without time moving, before
   * {@link ManualTimeProvider.advance} rejects: a timer that keeps re-arming itself with a dueTime
   * of 0 (or a loop of `delay(0)`) would otherwise hang the test. Raise it for tests that really
   * schedule that many timers for the same moment.
   * @default 10_000
   */
  maxFiringsPerInstant?: number | undefined;
}

/** Wall-clock start when none is given: fixed, so no test depends on the day it runs. */
const defaultStart = Date.UTC(2000, 0, 1);

/**
 * Due times within this many ms of the target of an advance count as reached, so that sums of
 * fractional delays (0.1 + 0.2) do not leave a timer one rounding error short.
 */
const epsilon = 1e-9;

/**
 * A {@link TimeProvider} whose clock moves only when a test says so: time-dependent tests run
 * instantly and deterministically, with no sleeps.
 *
 * ```ts
 * const time = new ManualTimeProvider();
 * using timer = new PeriodicTimer(1_000, { timeProvider: time });
 * const tick = timer.waitForNextTick();
 * await time.advance(1_000); // fires the timer, then lets the awaiting code run
 * expect(await tick).toBe(true);
 * ```
 *
 * - Nothing fires until {@link advance} (or {@link advanceToNextTimer}) is awaited; never
 *   synchronously inside `createTimer` or `Timer.change`, even with a dueTime of 0.
 * - Timers fire in due-time order, ties in creation order. As each fires, {@link now} and
 *   {@link timestamp} read its due time; after each firing the provider {@link flush}es, so the
 *   promise work the callback started runs (and may create or change timers) before the next one
 *   fires, as it would on a real clock.
 * - Periodic timers fire once per elapsed period (fixed rate), however far one advance goes.
 */
export class ManualTimeProvider extends TimeProvider {
  #timestamp = 0;
  /** `now() - timestamp()`: moves only with {@link setWallClock}. */
  #wallOffset: number;
  /** Timers with a finite due time, not disposed. */
  readonly #armed = new Set<ManualTimer>();
  #created = 0;
  #advancing = false;
  readonly #maxFiringsPerInstant: number;

  /**
   * Creates a clock that stands still at `options.now` until a test advances it.
   * @throws RangeError when `options.now` is not a finite number or a valid `Date`, or when
   *   `options.maxFiringsPerInstant` is not an integer >= 1.
   */
  constructor(options?: ManualTimeProviderOptions) {
    super();
    this.#wallOffset = checkEpoch('options.now', options?.now ?? defaultStart);
    const max = options?.maxFiringsPerInstant ?? 10_000;
    if (!Number.isInteger(max) || max < 1) {
      throw new RangeError(`Expected options.maxFiringsPerInstant to be an integer >= 1, got ${describeValue(max)}`);
    }
    this.#maxFiringsPerInstant = max;
  }

  /** The simulated wall clock, as epoch ms: the start time plus the time advanced, plus any jumps from {@link setWallClock}. */
  now(): number {
    return this.#timestamp + this.#wallOffset;
  }

  /** The simulated monotonic clock: 0 at construction, moved only by {@link advance}. */
  timestamp(): number {
    return this.#timestamp;
  }

  /**
   * Creates a timer that fires only while a test advances time.
   * @throws RangeError when `dueTime` or `period` is negative or NaN.
   */
  createTimer(callback: () => void, dueTime: number, period?: number): Timer {
    if (typeof callback !== 'function') {
      throw new TypeError(`Expected callback to be a function, got ${describeValue(callback)}`);
    }
    const timer = new ManualTimer(this.#control, this.#created++, callback);
    timer.arm(checkDueTime(dueTime), checkPeriod(period));
    return timer;
  }

  /** How many timers are scheduled to fire (created or changed with a finite due time and not disposed). */
  get pendingTimerCount(): number {
    return this.#armed.size;
  }

  /** Milliseconds from {@link timestamp} to the next timer's due time; `undefined` when no timer is pending. */
  get nextDueIn(): number | undefined {
    const next = this.#next();
    return next === undefined ? undefined : next.dueAt - this.#timestamp;
  }

  /**
   * Moves time forward by `ms`, firing every timer that falls due on the way.
   *
   * It first flushes, so work already queued runs at the current time. Then each timer fires at
   * its own due time (in due-time order, ties in creation order), and the work that follows it is
   * flushed before the next one fires; timers created or changed by that work fire in the same
   * advance if they fall due within it. After the last, the clock is set to the target and
   * flushed once more; timers that this last flush makes due by the target fire too.
   *
   * If a callback throws, the advance stops there: the clock stays at that timer's due time, the
   * timer is settled as if it had returned (a periodic one is re-armed for its next period), the
   * work so far is flushed, and the promise rejects with the error. Advance again to go on.
   * @returns a promise that rejects with a RangeError when `ms` is not a finite number >= 0; with
   *   an Error when another advance is still running (await each advance before the next); and
   *   with an Error when more than `maxFiringsPerInstant` timers fire at one instant (see
   *   {@link ManualTimeProviderOptions.maxFiringsPerInstant}).
   */
  async advance(ms: number): Promise<void> {
    if (typeof ms !== 'number' || !(ms >= 0) || ms === Infinity) {
      throw new RangeError(`Expected ms to be a finite number >= 0, got ${describeValue(ms)}`);
    }
    this.#enterAdvance();
    try {
      // Work already queued runs first, at the current time, so the timers it creates count from now.
      await this.flush();
      await this.#fireUntil(this.#timestamp + ms);
    } finally {
      this.#advancing = false;
    }
  }

  /**
   * Advances to the due time of the next timer, firing it and every other timer due at that
   * instant. Handy to step through code without computing delays.
   * @returns `false`, after a flush, when no timer was pending; `true` otherwise.
   */
  async advanceToNextTimer(): Promise<boolean> {
    await this.flush();
    const next = this.#next();
    if (next === undefined) return false;
    await this.advance(next.dueAt - this.#timestamp);
    return true;
  }

  /**
   * Lets pending promise work run without moving time: resolves after every microtask queued so
   * far (and every microtask those queue, to any depth) has run. Work waiting on I/O or on real
   * timers is not waited for.
   *
   * This is deliberately not a timer: a timer is the very thing tests control, and core does not
   * touch `setTimeout`. It is a round trip on a fresh `MessageChannel` (web standard, on Node,
   * Deno and browsers): a message is delivered as a task of the event loop, and the event loop
   * runs a task only once the microtask queue is empty.
   *
   * Why a round trip and not one message: under Deno's Node compatibility layer (the global
   * `MessageChannel` when vitest runs on Deno) a port starts listening a microtask after its
   * `onmessage` is set, and a message that is already waiting when it starts is handed over within
   * a few microtasks, before deeper promise chains have run. The reply below goes to a port that
   * has been listening since before it was sent, which Node, Deno (native and Node-compatible
   * ports) and browsers all deliver from the event loop. The test suite checks a 10,000-deep
   * promise chain on both runtimes.
   *
   * Both ports are closed on delivery, so nothing is left holding the event loop open.
   */
  flush(): Promise<void> {
    return new Promise<void>((resolve) => {
      const { port1, port2 } = new MessageChannel();
      port2.onmessage = (): void => {
        port1.close();
        port2.close();
        resolve();
      };
      port1.onmessage = (): void => {
        port1.postMessage(undefined);
      };
      port2.postMessage(undefined);
    });
  }

  /**
   * Sets the wall clock ({@link now}) to `epochMs` without moving {@link timestamp} and without
   * firing anything: simulates an NTP correction or a daylight-saving change, which must not
   * disturb timers or measured durations.
   * @throws RangeError when `epochMs` is not a finite number or a valid `Date`.
   */
  setWallClock(epochMs: number | Date): void {
    this.#wallOffset = checkEpoch('epochMs', epochMs) - this.#timestamp;
  }

  /** What a timer may do to the provider: kept off the public surface. */
  readonly #control: TimerControl = {
    timestamp: () => this.#timestamp,
    arm: (timer) => this.#armed.add(timer),
    disarm: (timer) => this.#armed.delete(timer),
  };

  #enterAdvance(): void {
    if (this.#advancing) {
      throw new Error(
        'ManualTimeProvider.advance() is already running: await each advance before starting the ' +
          'next (a timer callback must not advance time either).',
      );
    }
    this.#advancing = true;
  }

  async #fireUntil(target: number): Promise<void> {
    let instant = Number.NaN;
    let firingsAtInstant = 0;
    for (;;) {
      const timer = this.#next();
      if (timer === undefined || timer.dueAt > target + epsilon) {
        if (this.#timestamp >= target) return;
        this.#timestamp = target;
        // The work this flush runs may create timers due by the target: the loop fires them.
        await this.flush();
        continue;
      }
      if (timer.dueAt === instant) {
        if (++firingsAtInstant > this.#maxFiringsPerInstant) {
          throw new Error(
            `ManualTimeProvider.advance() fired ${this.#maxFiringsPerInstant} timers at ${instant} ms ` +
              'without time moving: does a timer keep re-arming itself with a dueTime of 0? ' +
              '(Raise maxFiringsPerInstant if this many is expected.)',
          );
        }
      } else {
        instant = timer.dueAt;
        firingsAtInstant = 1;
      }
      this.#timestamp = Math.max(this.#timestamp, timer.dueAt);
      try {
        timer.fire();
      } catch (error) {
        await this.flush();
        throw error;
      }
      await this.flush();
    }
  }

  /** The armed timer due first; ties go to the one created first. */
  #next(): ManualTimer | undefined {
    let next: ManualTimer | undefined;
    for (const timer of this.#armed) {
      if (next === undefined || timer.dueAt < next.dueAt || (timer.dueAt === next.dueAt && timer.id < next.id)) {
        next = timer;
      }
    }
    return next;
  }
}

interface TimerControl {
  timestamp(): number;
  arm(timer: ManualTimer): void;
  disarm(timer: ManualTimer): void;
}

class ManualTimer implements Timer {
  readonly id: number;
  /** On the provider's timestamp clock; `Infinity` when idle. */
  dueAt = Infinity;
  readonly #control: TimerControl;
  #callback: (() => void) | undefined;
  /** Normalised: `Infinity` for a one-shot timer. */
  #period = Infinity;

  constructor(control: TimerControl, id: number, callback: () => void) {
    this.#control = control;
    this.id = id;
    this.#callback = callback;
  }

  arm(dueTime: number, period: number): void {
    this.#period = period;
    this.dueAt = this.#control.timestamp() + dueTime;
    if (this.dueAt === Infinity) this.#control.disarm(this);
    else this.#control.arm(this);
  }

  change(dueTime: number, period?: number): boolean {
    const checkedDueTime = checkDueTime(dueTime);
    const checkedPeriod = checkPeriod(period);
    if (this.#callback === undefined) return false;
    this.arm(checkedDueTime, checkedPeriod);
    return true;
  }

  dispose(): void {
    this.#callback = undefined;
    this.dueAt = Infinity;
    this.#control.disarm(this);
  }

  [Symbol.dispose](): void {
    this.dispose();
  }

  /** Settles this firing (re-arms a periodic timer, disarms a one-shot), then calls back. */
  fire(): void {
    const callback = this.#callback;
    if (callback === undefined) return;
    if (this.#period === Infinity) {
      this.dueAt = Infinity;
      this.#control.disarm(this);
    } else {
      // Fixed rate: from the due time, not from whenever the callback ends.
      this.dueAt += this.#period;
    }
    callback();
  }
}

function checkEpoch(name: string, value: unknown): number {
  const epoch = value instanceof Date ? value.getTime() : value;
  if (typeof epoch !== 'number' || !Number.isFinite(epoch)) {
    throw new RangeError(`Expected ${name} to be finite epoch milliseconds or a valid Date, got ${describeValue(value)}`);
  }
  return epoch;
}
