import { tickSpansFor, type TickSpans } from '../telemetry/tick-telemetry.ts';
import { describeValue } from '../internal/describe-value.ts';
import { CronSchedule } from './cron-schedule.ts';
import { systemTimeProvider } from './system-time-provider.ts';
import type { Timer, TimeProvider } from './time-provider.ts';

/**
 * What a {@link CronTimer} does with occurrences that came while nobody waited for them (the
 * loop body was still busy with the previous one):
 * - `wait`: keep the latest one pending; the next wait resolves with it at once. Runs never
 *   overlap, none is lost to a slow run, several missed are one (no burst).
 * - `skip`: drop it; the next wait waits for the next occurrence to come.
 */
export type CronOverlapPolicy = 'wait' | 'skip';

/**
 * What a {@link CronTimer} does with occurrences whose time passed before the timer could see
 * them: the process was down (see {@link CronTimerOptions.lastOccurrence}), asleep, its event
 * loop blocked, or the wall clock jumped forward. An occurrence counts as missed when it is seen
 * more than {@link CronTimerOptions.graceMs} after its time.
 * - `run-once`: the missed occurrences are ONE tick, for the latest of them, due at once.
 * - `skip`: they are dropped; the timer waits for the next occurrence to come.
 */
export type CronCatchUpPolicy = 'run-once' | 'skip';

/** Options for {@link CronTimer}. */
export interface CronTimerOptions {
  /**
   * The clock: occurrences are computed from its `now()`, and waited for with its timers. Tests
   * pass a `ManualTimeProvider`.
   * @default systemTimeProvider
   */
  timeProvider?: TimeProvider | undefined;
  /**
   * The IANA time zone of the expression, when the schedule is given as a string.
   * @default 'UTC'
   */
  timeZone?: string | undefined;
  /**
   * What to do with occurrences that come while the loop is busy; see {@link CronOverlapPolicy}.
   * @default 'wait'
   */
  overlap?: CronOverlapPolicy | undefined;
  /**
   * What to do with occurrences that passed unseen (downtime, sleep); see {@link CronCatchUpPolicy}.
   * @default 'run-once'
   */
  catchUp?: CronCatchUpPolicy | undefined;
  /**
   * How late (ms after its time) an occurrence may be seen and still be on time rather than
   * missed. Covers a timer that fires a little late under load.
   * @default 60000
   */
  graceMs?: number | undefined;
  /**
   * The last occurrence that ran before this timer was created (epoch ms, e.g. read from a run
   * log), so that downtime is caught up by {@link catchUp}: occurrences after it that have already
   * passed are missed ones. Without it the timer starts from now and knows no past.
   * @default undefined
   */
  lastOccurrence?: number | undefined;
  /**
   * The timer's name in telemetry: each occurrence gets a `tick {name}` span (from the wait that
   * returned it to the next wait) when an OpenTelemetry SDK is installed.
   * @default undefined: no tick spans.
   */
  name?: string | undefined;
}

/** A consumer parked in {@link CronTimer.waitForNextOccurrence}. */
interface Waiter {
  resolve(occurrence: number | undefined): void;
  release(): void;
}

/**
 * The longest single wait on the provider's timers. Timers measure monotonic time, occurrences
 * are wall-clock instants: re-reading `now()` at least this often notices a wall clock that jumped
 * (NTP, a suspended machine whose monotonic clock stood still) within this time.
 */
const maxWaitMs = 60_000;

/**
 * A timer that a loop awaits, one occurrence of a cron schedule at a time: {@link PeriodicTimer}
 * for calendars.
 *
 * ```ts
 * using timer = new CronTimer('0 3 * * *', { timeZone: 'Europe/Berlin', timeProvider });
 * while (await timer.waitForNextTick(stopping)) {
 *   await writeReport(timer.occurrence, stopping);
 * }
 * ```
 *
 * - Time comes from the `TimeProvider` only: occurrences are computed from its `now()` and waited
 *   for with its timers (croner computes, it never schedules). Long waits are cut into steps of at
 *   most a minute, so a jump of the wall clock is noticed.
 * - Each tick stands for one occurrence, {@link occurrence}, in epoch ms: the identity of that
 *   run (a log key, the occurrence a cluster records).
 * - Ticks that come while the loop is busy follow {@link CronTimerOptions.overlap}; occurrences
 *   that passed unseen (downtime, sleep) follow {@link CronTimerOptions.catchUp}. Neither ever
 *   replays a burst.
 * - One waiter at a time; aborting a wait gives up that wait only; {@link dispose} makes every
 *   wait resolve `false`: as {@link PeriodicTimer}.
 * - Daylight saving: see {@link CronSchedule}.
 */
export class CronTimer implements Disposable {
  /** The schedule whose occurrences this timer delivers. */
  readonly schedule: CronSchedule;
  readonly #time: TimeProvider;
  readonly #overlap: CronOverlapPolicy;
  readonly #catchUp: CronCatchUpPolicy;
  readonly #graceMs: number;
  readonly #timer: Timer;
  /** The tick spans of a named timer. */
  readonly #ticks: TickSpans | undefined;
  /** The occurrence the timer waits for; undefined once the schedule has none left. */
  #next: number | undefined;
  /** An occurrence that came while no one was waiting (kept under overlap `wait`, or a catch-up). */
  #pending: number | undefined = undefined;
  #occurrence: number | undefined = undefined;
  #waiter: Waiter | undefined = undefined;
  #disposed = false;

  /**
   * Starts the timer on `schedule` (an expression read in `options.timeZone`, or a
   * {@link CronSchedule}).
   * @throws RangeError when the expression or time zone is invalid (see {@link CronSchedule}), or
   *   an option has a bad value.
   */
  constructor(schedule: string | CronSchedule, options?: CronTimerOptions) {
    this.schedule = schedule instanceof CronSchedule ? schedule : new CronSchedule(schedule, { timeZone: options?.timeZone });
    this.#time = options?.timeProvider ?? systemTimeProvider;
    this.#overlap = checkChoice('overlap', options?.overlap ?? 'wait', ['wait', 'skip']);
    this.#catchUp = checkChoice('catchUp', options?.catchUp ?? 'run-once', ['run-once', 'skip']);
    const graceMs = options?.graceMs ?? 60_000;
    if (typeof graceMs !== 'number' || !(graceMs >= 0) || graceMs === Infinity) {
      throw new RangeError(`Expected graceMs to be a finite number >= 0, got ${describeValue(graceMs)}`);
    }
    this.#graceMs = graceMs;
    const last = options?.lastOccurrence;
    if (last !== undefined && (typeof last !== 'number' || !Number.isFinite(last))) {
      throw new RangeError(`Expected lastOccurrence to be epoch ms (a finite number), got ${describeValue(last)}`);
    }
    const now = this.#time.now();
    this.#next = this.schedule.nextAfter(last !== undefined && last < now ? last : now);
    this.#ticks = tickSpansFor(options?.name, 'cron');
    this.#timer = this.#time.createTimer(this.#onTimer, Infinity);
    // Downtime: the occurrences after the last run that have already passed are seen now.
    this.#collectDue(now, true);
    this.#arm(now);
  }

  /**
   * The occurrence (epoch ms) that the last resolved wait stands for; `undefined` before the first.
   * Read it inside the loop body.
   */
  get occurrence(): number | undefined {
    return this.#occurrence;
  }

  /**
   * The occurrence a wait would resolve with next (epoch ms): a pending one, else the next one to
   * come; `undefined` once disposed or when the schedule has no occurrence left. For status pages.
   */
  get nextOccurrence(): number | undefined {
    if (this.#disposed) return undefined;
    return this.#pending ?? this.#next;
  }

  /**
   * Waits for the next occurrence. Resolves `true` at once when one is pending, else at the next
   * occurrence; `false` once disposed (or when the schedule has no occurrence left).
   * @param signal Aborting it gives up THIS wait only, as in {@link PeriodicTimer.waitForNextTick}.
   * @returns a promise that rejects with an `Error` when another wait is already pending.
   */
  async waitForNextTick(signal?: AbortSignal): Promise<boolean> {
    return (await this.waitForNextOccurrence(signal)) !== undefined;
  }

  /**
   * {@link waitForNextTick} that resolves with the occurrence itself (epoch ms), or `undefined`
   * where that resolves `false`.
   */
  waitForNextOccurrence(signal?: AbortSignal): Promise<number | undefined> {
    const ticks = this.#ticks;
    if (ticks === undefined) return this.#waitForNextOccurrence(signal);
    ticks.end();
    return this.#waitForNextOccurrence(signal).then((occurrence) => {
      if (occurrence !== undefined) ticks.begin(occurrence);
      return occurrence;
    });
  }

  #waitForNextOccurrence(signal: AbortSignal | undefined): Promise<number | undefined> {
    if (this.#waiter !== undefined) {
      return Promise.reject(
        new Error('CronTimer.waitForNextTick() is already waiting: one waiter at a time. Await the pending call before calling it again.'),
      );
    }
    if (this.#disposed) return Promise.resolve(undefined);
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.#pending !== undefined) {
      const occurrence = this.#pending;
      this.#pending = undefined;
      this.#occurrence = occurrence;
      return Promise.resolve(occurrence);
    }
    if (this.#next === undefined) return Promise.resolve(undefined);
    return new Promise<number | undefined>((resolve, reject) => {
      const onAbort = (): void => {
        this.#waiter = undefined;
        reject(signal?.reason);
      };
      this.#waiter = { resolve, release: () => signal?.removeEventListener('abort', onAbort) };
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Yields each occurrence (epoch ms) until disposed, for `for await` loops. */
  async *occurrences(signal?: AbortSignal): AsyncGenerator<number, void, undefined> {
    for (;;) {
      const occurrence = await this.waitForNextOccurrence(signal);
      if (occurrence === undefined) return;
      yield occurrence;
    }
  }

  /** Stops the timer; the pending wait and every later wait resolve `false`. Idempotent. */
  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    this.#pending = undefined;
    this.#ticks?.end();
    this.#timer.dispose();
    this.#settle(undefined);
  }

  /** Calls {@link dispose}, so that `using` stops the timer at the end of a block. */
  [Symbol.dispose](): void {
    this.dispose();
  }

  readonly #onTimer = (): void => {
    if (this.#disposed) return;
    const now = this.#time.now();
    this.#collectDue(now);
    this.#arm(now);
  };

  /**
   * Consumes every occurrence at or before `now`: the latest becomes a tick (delivered, or kept
   * pending under overlap `wait`) unless it is missed and catch-up is `skip`.
   */
  #collectDue(now: number, atConstruction = false): void {
    const next = this.#next;
    if (next === undefined || next > now) return;
    // The latest due occurrence stands for all of them: several passed at once are one tick.
    const latest = this.schedule.previousAtOrBefore(now) ?? next;
    this.#next = this.schedule.nextAfter(now);
    const missed = now - latest > this.#graceMs;
    if (missed && this.#catchUp === 'skip') return;
    if (this.#waiter !== undefined) {
      this.#occurrence = latest;
      this.#settle(latest);
    } else if (this.#overlap === 'wait' || missed || atConstruction) {
      // Under overlap `skip` a catch-up (seen at construction, or after a sleep) is still kept:
      // no run of this timer was busy while it came.
      this.#pending = latest;
    }
  }

  #arm(now: number): void {
    if (this.#next === undefined) {
      this.#timer.change(Infinity);
      if (this.#pending === undefined) this.#settle(undefined);
      return;
    }
    this.#timer.change(Math.min(Math.max(this.#next - now, 0), maxWaitMs));
  }

  #settle(occurrence: number | undefined): void {
    const waiter = this.#waiter;
    if (waiter === undefined) return;
    this.#waiter = undefined;
    waiter.release();
    waiter.resolve(occurrence);
  }
}

function checkChoice<T extends string>(name: string, value: unknown, choices: readonly T[]): T {
  if (typeof value === 'string' && (choices as readonly string[]).includes(value)) return value as T;
  throw new RangeError(`Expected ${name} to be one of ${choices.map((c) => `'${c}'`).join(', ')}, got ${describeValue(value)}`);
}
