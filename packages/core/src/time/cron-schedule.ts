import { Cron, CronPattern } from 'croner';
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
 * - Daylight saving, decided on the zone's wall clock (the Vixie-cron rule):
 *   - Spring forward: a time inside the gap (02:30 in Berlin or New York on the spring-forward
 *     day) does not exist; it occurs once, shifted by the size of the gap (03:30). An hourly job
 *     runs 23 times that day, once per real hour.
 *   - Fall back: the wall clock shows the repeated span (02:00-02:59 in Berlin, 01:00-01:59 in
 *     New York) twice. A matching time in it occurs on the first pass, and ALSO on the second
 *     pass when the job runs hourly there, defined exactly as: its hour field matches both the
 *     repeated hour and the hour before it (`*`, a range such as `0-6`, or a list holding both).
 *     So `0 * * * *` runs 25 times on the fall-back day, once per real hour, and a job every
 *     quarter hour (`0-59/15 * * * *`) 4 times in each pass; a job at a fixed hour in the
 *     repeated span (in Berlin `30 2 * * *`, every other hour `0 0-22/2 * * *`, or
 *     `30 2,3 * * *`) runs once, on its first pass, as on any other day.
 *   Croner computes every occurrence; the second-pass instants are the first-pass ones plus the
 *   size of the fall-back, added here around a transition, which is found by comparing the
 *   zone's UTC offset (through `Intl`) a few hours either side of the instant asked about.
 */
export class CronSchedule {
  /** The expression, as given. */
  readonly expression: string;
  /** The IANA time zone it is read in. */
  readonly timeZone: string;
  readonly #cron: Cron;
  /** The fall-back transitions of the zone, shared by every schedule in it; undefined for UTC. */
  readonly #fallBacks: ZoneFallBacks | undefined;
  /** The hour field as croner parsed it (`hours[h]` is 1 when hour h matches), parsed when first needed. */
  #hours: readonly number[] | undefined = undefined;
  /** The occurrences around the last fall-back transition asked about (see {@link #aroundFallBack}). */
  #around: { readonly fallBack: FallBack; readonly occurrences: readonly number[] } | undefined = undefined;

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
    this.#fallBacks = zoneFallBacks(timeZone);
  }

  /**
   * The first occurrence strictly after `epochMs`, as epoch ms; `undefined` when there is none
   * (an expression for a date that never comes again, such as `0 0 30 2 *`). Includes the
   * second pass of a fall-back's repeated span for a job that runs hourly there (see the class).
   */
  nextAfter(epochMs: number): number | undefined {
    // Away from a fall-back croner is right; within one (first pass, second pass) the occurrences
    // are listed here, since croner maps a repeated wall-clock time to its first pass only.
    let fallBack = this.#fallBacks?.around(epochMs);
    if (fallBack === undefined) {
      const next = this.#cron.nextRun(new Date(epochMs))?.getTime();
      // croner's answer is right unless it falls in a repeated span (it may name a second pass).
      fallBack = next === undefined ? undefined : this.#fallBacks?.around(next);
      if (fallBack === undefined) return next;
    }
    for (const occurrence of this.#aroundFallBack(fallBack)) {
      if (occurrence > epochMs) return occurrence;
    }
    return undefined;
  }

  /**
   * The last occurrence at or before `epochMs`, as epoch ms; `undefined` when there is none.
   * Consistent with {@link nextAfter}, second passes included.
   */
  previousAtOrBefore(epochMs: number): number | undefined {
    let fallBack = this.#fallBacks?.around(epochMs);
    if (fallBack === undefined) {
      const previous = this.#cronPrevious(epochMs);
      // croner's answer is right unless it is a first-pass time whose second pass came later.
      fallBack = previous === undefined ? undefined : this.#fallBacks?.around(previous);
      if (fallBack === undefined) return previous;
    }
    let latest: number | undefined;
    for (const occurrence of this.#aroundFallBack(fallBack)) {
      if (occurrence > epochMs) break;
      latest = occurrence;
    }
    // None within the fall-back at or before epochMs: the last one before its first pass.
    return latest ?? this.#cronPrevious(fallBack.at - fallBack.drop - 1000);
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

  /** croner's last occurrence at or before `epochMs` (right away from a fall-back's repeated span). */
  #cronPrevious(epochMs: number): number | undefined {
    // croner looks strictly before the whole second it is given: one second on, it includes epochMs's own second.
    const reference = Math.floor(epochMs / 1000) * 1000 + 1000;
    return this.#cron.previousRuns(1, new Date(reference))[0]?.getTime();
  }

  /**
   * Every occurrence from the start of `fallBack`'s first pass to the first one after its second
   * pass, oldest first: croner's (the first pass), the second-pass ones (each first-pass one plus
   * the drop, when the job runs hourly there), then croner's next after the repeated span.
   */
  #aroundFallBack(fallBack: FallBack): readonly number[] {
    if (this.#around?.fallBack === fallBack) return this.#around.occurrences;
    const start = fallBack.at - fallBack.drop;
    const end = fallBack.at + fallBack.drop;
    // croner names each matching wall-clock time of the repeated span once, on one pass or the
    // other (the first for Berlin's hour, the second for Lord Howe's half hour): its first-pass instant.
    const matched = new Set<number>();
    let last = start - 1000;
    let next = this.#cron.nextRun(new Date(last))?.getTime();
    while (next !== undefined && next > last && next < end) {
      matched.add(next >= fallBack.at ? next - fallBack.drop : next);
      last = next;
      next = this.#cron.nextRun(new Date(last))?.getTime();
    }
    const firstPass = [...matched].sort((a, b) => a - b);
    this.#hours ??= new CronPattern(this.expression, undefined, { mode: '5-or-6-parts' }).hour;
    const hours = this.#hours;
    const secondPass = firstPass
      .filter((occurrence) => {
        const hour = new Date(occurrence + fallBack.offsetBefore).getUTCHours();
        return hours[hour] === 1 && hours[(hour + 23) % 24] === 1;
      })
      .map((occurrence) => occurrence + fallBack.drop);
    // From the span's last second croner reads an unambiguous wall-clock time, so answers right.
    const after = this.#cron.nextRun(new Date(end - 1000))?.getTime();
    const occurrences = after === undefined ? [...firstPass, ...secondPass] : [...firstPass, ...secondPass, after];
    this.#around = { fallBack, occurrences };
    return occurrences;
  }

  /** `expression` in `timeZone`, for logs and status pages: `0 * * * * (UTC)`. */
  toString(): string {
    return `${this.expression} (${this.timeZone})`;
  }
}

const expressionExpectation =
  'a cron expression of 5 fields (minute hour day-of-month month day-of-week) or 6 (second first), such as "0 * * * *"';

const hourMs = 3_600_000;

/**
 * The largest fall-back (drop of the UTC offset) looked for: real zones fall back by one hour,
 * a few by 30 minutes, Antarctica/Troll by two.
 */
const maxDropHours = 3;

/** A fall-back transition: at `at` (epoch ms) the zone's UTC offset drops by `drop` ms. */
interface FallBack {
  readonly at: number;
  readonly drop: number;
  /** The offset (ms, local minus UTC) before `at`. */
  readonly offsetBefore: number;
}

/** Zones whose offset never changes: no fall-back to look for. */
const fixedZones = new Set(['UTC', 'Etc/UTC', 'Etc/UCT', 'Etc/Universal', 'Etc/Zulu', 'GMT', 'Etc/GMT', 'Zulu', 'Universal', 'UCT']);

/**
 * The fall-back transitions of one zone, found on demand and remembered per UTC hour: the offset
 * is read through `Intl` a few hours either side of the hour, so the common answer (no fall-back
 * near) costs two `Intl` reads once per hour asked about, then a map lookup.
 */
class ZoneFallBacks {
  readonly #format: Intl.DateTimeFormat;
  /** By UTC hour (epoch ms / 1 h): the fall-back within maxDropHours of that hour, or null. */
  readonly #byHour = new Map<number, FallBack | null>();

  constructor(timeZone: string) {
    this.#format = new Intl.DateTimeFormat('en-US', { timeZone, timeZoneName: 'longOffset' });
  }

  /**
   * The fall-back whose repeated span (first pass `[at - drop, at)`, second pass `[at, at + drop)`)
   * holds `epochMs`, else undefined.
   */
  around(epochMs: number): FallBack | undefined {
    const hour = Math.floor(epochMs / hourMs);
    let fallBack = this.#byHour.get(hour);
    if (fallBack === undefined) {
      // Any transition whose span holds an instant of this hour lies in this window.
      fallBack = this.#find((hour - maxDropHours) * hourMs, (hour + maxDropHours + 1) * hourMs) ?? null;
      if (this.#byHour.size >= 100_000) this.#byHour.clear();
      this.#byHour.set(hour, fallBack);
    }
    if (fallBack === null || epochMs < fallBack.at - fallBack.drop || epochMs >= fallBack.at + fallBack.drop) return undefined;
    return fallBack;
  }

  /** The fall-back in `(from, to]`, found by bisecting the offset to the second; assumes at most one transition there. */
  #find(from: number, to: number): FallBack | undefined {
    const before = this.#offset(from);
    const after = this.#offset(to);
    if (before <= after) return undefined;
    let low = from;
    let high = to;
    while (high - low > 1000) {
      const middle = low + Math.floor((high - low) / 2000) * 1000;
      if (this.#offset(middle) === before) low = middle;
      else high = middle;
    }
    return { at: high, drop: before - after, offsetBefore: before };
  }

  /** The zone's UTC offset at `epochMs`, in ms (local minus UTC), from `Intl`'s `GMT+02:00`. */
  #offset(epochMs: number): number {
    const text = this.#format.format(epochMs);
    const match = /GMT(?:([+\-\u2212])(\d{1,2})(?::(\d{2}))?(?::(\d{2}))?)?$/.exec(text);
    if (match === null) throw new Error(`Expected Intl to format a UTC offset as "GMT+hh:mm", got ${describeValue(text)}`);
    if (match[1] === undefined) return 0;
    const size = (Number(match[2]) * 3600 + Number(match[3] ?? 0) * 60 + Number(match[4] ?? 0)) * 1000;
    return match[1] === '+' ? size : -size;
  }
}

const zoneFallBacksByZone = new Map<string, ZoneFallBacks>();

/** The shared {@link ZoneFallBacks} of `timeZone`; undefined for a zone whose offset never changes. */
function zoneFallBacks(timeZone: string): ZoneFallBacks | undefined {
  if (fixedZones.has(timeZone)) return undefined;
  let zone = zoneFallBacksByZone.get(timeZone);
  if (zone === undefined) {
    zone = new ZoneFallBacks(timeZone);
    zoneFallBacksByZone.set(timeZone, zone);
  }
  return zone;
}

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
