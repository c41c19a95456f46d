import { Cron } from 'croner';
import { describeValue } from '../internal/describe-value.ts';

/** Options for {@link CronSchedule}. */
export interface CronScheduleOptions {
  /**
   * The IANA time zone the expression is read in (`Europe/Berlin`, `America/New_York`).
   * @default 'UTC', never the process's local zone, so a schedule means the same on every machine.
   */
  timeZone?: string | undefined;
}

/**
 * A cron expression in a time zone, and the instants it matches: parsing and matching are
 * croner's, and the schedule only computes; it never reads a clock or arms a timer. The
 * {@link CronTimer} asks it for occurrences relative to its `TimeProvider`'s `now()`.
 *
 * - Expressions have 5 fields (`minute hour day-of-month month day-of-week`) or 6 (`second`
 *   first). Names (`MON`, `JAN`), ranges, lists, steps, `L` and `#` work as croner reads them;
 *   day-of-month and day-of-week combine with OR, as in Vixie cron.
 * - Occurrences are whole seconds, as epoch ms.
 * - Daylight saving, decided on the zone's wall clock: each wall-clock time that matches occurs
 *   ONCE. On the spring-forward day a time inside the gap (02:30 in Berlin or New York) occurs
 *   once, shifted by the size of the gap (03:30); on the fall-back day a time inside the repeated
 *   hour occurs once, on its first pass. So an hourly job runs 23 times on the spring-forward day,
 *   24 times on the fall-back day (the repeated hour once), never twice for one hour and never
 *   skipping an hour that the wall clock shows.
 */
export class CronSchedule {
  /** The expression, as given. */
  readonly expression: string;
  /** The IANA time zone it is read in. */
  readonly timeZone: string;
  readonly #cron: Cron;

  /**
   * Parses `expression` in `options.timeZone`.
   * @throws RangeError naming the value and what was expected when `expression` is not a 5- or
   *   6-field cron expression, or `options.timeZone` is not an IANA time zone this runtime knows.
   */
  constructor(expression: string, options?: CronScheduleOptions) {
    const timeZone = checkTimeZone(options?.timeZone ?? 'UTC');
    if (typeof expression !== 'string' || expression.trim() === '') {
      throw new RangeError(`Expected expression to be ${expressionExpectation}, got ${describeValue(expression)}`);
    }
    let cron: Cron;
    try {
      cron = new Cron(expression, { timezone: timeZone, mode: '5-or-6-parts' });
    } catch (error) {
      throw new RangeError(
        `Expected expression to be ${expressionExpectation}, got ${describeValue(expression)}: ${
          error instanceof Error ? error.message : String(error)
        }`,
        { cause: error },
      );
    }
    this.expression = expression;
    this.timeZone = timeZone;
    this.#cron = cron;
  }

  /**
   * The first occurrence strictly after `epochMs`, as epoch ms; `undefined` when there is none
   * (an expression for a date that never comes again, such as `0 0 30 2 *`).
   */
  nextAfter(epochMs: number): number | undefined {
    return this.#cron.nextRun(new Date(epochMs))?.getTime();
  }

  /** The last occurrence at or before `epochMs`, as epoch ms; `undefined` when there is none. */
  previousAtOrBefore(epochMs: number): number | undefined {
    // croner looks strictly before the whole second it is given: one second on, it includes epochMs's own second.
    const reference = Math.floor(epochMs / 1000) * 1000 + 1000;
    const previous = this.#cron.previousRuns(1, new Date(reference))[0];
    return previous?.getTime();
  }

  /** The next `count` occurrences strictly after `epochMs`, oldest first. */
  nextOccurrences(count: number, epochMs: number): number[] {
    if (!Number.isInteger(count) || count < 0) {
      throw new RangeError(`Expected count to be an integer >= 0, got ${describeValue(count)}`);
    }
    const out: number[] = [];
    let from = epochMs;
    while (out.length < count) {
      const next = this.nextAfter(from);
      if (next === undefined) break;
      out.push(next);
      from = next;
    }
    return out;
  }

  /** `expression` in `timeZone`, for logs and status pages: `0 * * * * (UTC)`. */
  toString(): string {
    return `${this.expression} (${this.timeZone})`;
  }
}

const expressionExpectation =
  'a cron expression of 5 fields (minute hour day-of-month month day-of-week) or 6 (second first), such as "0 * * * *"';

/** Zones already checked: constructing an `Intl.DateTimeFormat` costs microseconds per schedule. */
const knownTimeZones = new Set<string>(['UTC']);

/**
 * Checks that `timeZone` is an IANA zone the runtime's `Intl` knows.
 * @throws RangeError naming the value otherwise.
 */
export function checkTimeZone(timeZone: unknown, name = 'timeZone'): string {
  if (typeof timeZone === 'string' && knownTimeZones.has(timeZone)) return timeZone;
  if (typeof timeZone === 'string' && timeZone !== '') {
    try {
      new Intl.DateTimeFormat('en-US', { timeZone });
      knownTimeZones.add(timeZone);
      return timeZone;
    } catch {
      // Reported below with the value.
    }
  }
  throw new RangeError(
    `Expected ${name} to be an IANA time zone such as "UTC" or "Europe/Berlin", got ${describeValue(timeZone)}`,
  );
}
