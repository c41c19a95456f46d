/**
 * Daylight saving on the manual clock, the rule of CronSchedule: a wall-clock time in the
 * spring-forward gap occurs once, shifted by the gap; one in the fall-back's repeated span occurs on
 * its first pass, and on the second pass too when the job runs hourly there (its hour field matches
 * the repeated hour and the hour before). 2026 transitions: Europe/Berlin springs forward on 29 March
 * (02:00 -> 03:00 CEST) and falls back on 25 October (03:00 CEST -> 02:00 CET); America/New_York
 * springs forward on 8 March (02:00 -> 03:00 EDT) and falls back on 1 November (02:00 EDT -> 01:00 EST).
 */
import { describe, expect, it } from 'vitest';
import { ManualTimeProvider } from '@hostkit/core/testing';
import { CronSchedule, CronTimer } from '../../src/time/index.ts';

const hour = 3_600_000;

/**
 * 18:00 UTC two days before `day` (the afternoon or evening before the day before, in Berlin and
 * New York): the 72 hours after it cover the local day before, `day`, and the day after, whole.
 */
function dayBefore(day: string): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) - 30 * hour).toISOString();
}

/** The wall-clock time of `epochMs` in `timeZone`, `YYYY-MM-DD HH:mm` with the zone's abbreviation. */
function local(epochMs: number, timeZone: string): string {
  const parts = new Intl.DateTimeFormat('en-CA', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
    timeZoneName: 'short',
  }).formatToParts(new Date(epochMs));
  const get = (type: string): string => parts.find((part) => part.type === type)?.value ?? '?';
  return `${get('year')}-${get('month')}-${get('day')} ${get('hour')}:${get('minute')} ${get('timeZoneName')}`;
}

/** Runs `expression` in `timeZone` on a manual clock from `from` for `hours`, returning each run's UTC instant. */
async function runs(expression: string, timeZone: string, from: string, hours: number): Promise<number[]> {
  const time = new ManualTimeProvider({ now: Date.parse(from) });
  const timer = new CronTimer(expression, { timeProvider: time, timeZone });
  const seen: number[] = [];
  const loop = (async () => {
    while (await timer.waitForNextTick()) {
      // Each run starts when its occurrence is due, on the provider's clock.
      expect(time.now()).toBe(timer.occurrence);
      seen.push(time.now());
    }
  })();
  await time.advance(hours * hour);
  timer.dispose();
  await loop;
  return seen;
}

const cases = [
  {
    zone: 'Europe/Berlin',
    springDay: '2026-03-29',
    fallDay: '2026-10-25',
    spring: ['2026-03-28 02:30 GMT+1', '2026-03-29 03:30 GMT+2', '2026-03-30 02:30 GMT+2'],
    fall: ['2026-10-24 02:30 GMT+2', '2026-10-25 02:30 GMT+2', '2026-10-26 02:30 GMT+1'],
  },
  {
    zone: 'America/New_York',
    springDay: '2026-03-08',
    fallDay: '2026-11-01',
    spring: ['2026-03-07 02:30 EST', '2026-03-08 03:30 EDT', '2026-03-09 02:30 EDT'],
    fall: ['2026-10-31 02:30 EDT', '2026-11-01 02:30 EST', '2026-11-02 02:30 EST'],
  },
] as const;

/** The wall-clock hour that the fall-back repeats, and the zone's abbreviations on its two passes. */
const repeatedHour = { 'Europe/Berlin': '02', 'America/New_York': '01' } as const;
const fallOffsets = { 'Europe/Berlin': ['GMT+2', 'GMT+1'], 'America/New_York': ['EDT', 'EST'] } as const;
/** The first pass's start of the repeated hour, in UTC. */
const fallFirstPassUtc = { 'Europe/Berlin': '2026-10-25T00:00:00Z', 'America/New_York': '2026-11-01T05:00:00Z' } as const;

describe('CronTimer across daylight-saving transitions', () => {
  describe.each(cases)('$zone', ({ zone, springDay, fallDay, spring, fall }) => {
      it('runs a 02:30 daily job once on the spring-forward day, at 03:30, where 02:30 does not exist', async () => {
        const seen = await runs('30 2 * * *', zone, dayBefore(springDay), 72);
        expect(seen.map((ms) => local(ms, zone))).toEqual(spring);
      });

      it('runs a 02:30 daily job once, not twice, on the fall-back day', async () => {
        const seen = await runs('30 2 * * *', zone, dayBefore(fallDay), 72);
        expect(seen.map((ms) => local(ms, zone))).toEqual(fall);
        expect(seen.filter((ms) => local(ms, zone).startsWith(fallDay))).toHaveLength(1);
      });

      it('runs an hourly job once per real hour across both transitions: 23 on the spring-forward day, 25 on the fall-back day', async () => {
        for (const [day, runsThatDay] of [
          [springDay, 23],
          [fallDay, 25],
        ] as const) {
          // Three local days: the one before, the transition day, the one after.
          const seen = await runs('0 * * * *', zone, dayBefore(day), 72);
          const labels = seen.map((ms) => local(ms, zone));
          expect(labels.filter((label) => label.startsWith(day))).toHaveLength(runsThatDay);
          // Every gap between runs is one real hour: none skipped, none twice.
          const gaps = seen.slice(1).map((ms, i) => (ms - (seen[i] ?? 0)) / hour);
          expect(gaps.filter((gap) => gap !== 1)).toEqual([]);
        }
        // Six days of a timer that re-reads the wall clock every minute: thousands of firings, each
        // flushed, which takes seconds on a loaded machine.
      }, 30_000);

      it('runs a quarter-hourly job 4 times in each pass of the repeated hour on the fall-back day', async () => {
        const seen = await runs('*/15 * * * *', zone, dayBefore(fallDay), 72);
        const inRepeatedHour = seen.map((ms) => local(ms, zone)).filter((label) => label.startsWith(`${fallDay} ${repeatedHour[zone]}:`));
        expect(inRepeatedHour).toEqual([
          ...['00', '15', '30', '45'].map((minute) => `${fallDay} ${repeatedHour[zone]}:${minute} ${fallOffsets[zone][0]}`),
          ...['00', '15', '30', '45'].map((minute) => `${fallDay} ${repeatedHour[zone]}:${minute} ${fallOffsets[zone][1]}`),
        ]);
        const gaps = new Set(seen.slice(1).map((ms, i) => ms - (seen[i] ?? 0)));
        expect([...gaps]).toEqual([hour / 4]);
      }, 30_000);

      it('gives the second-pass instant as the next occurrence of an hourly job when asked inside the first pass', () => {
        const schedule = new CronSchedule('0 * * * *', { timeZone: zone });
        const firstPass = Date.parse(fallFirstPassUtc[zone]);
        // 10 minutes into the first pass of the repeated hour: its second pass starts one real hour after the first.
        const next = schedule.nextAfter(firstPass + 10 * 60_000);
        expect(next).toBe(firstPass + hour);
        expect(local(next ?? 0, zone)).toBe(`${fallDay} ${repeatedHour[zone]}:00 ${fallOffsets[zone][1]}`);
        // And back: the latest occurrence at or after that instant is itself, before it the first pass.
        expect(schedule.previousAtOrBefore(firstPass + hour)).toBe(firstPass + hour);
        expect(schedule.previousAtOrBefore(firstPass + hour - 1)).toBe(firstPass);
        expect(schedule.nextOccurrences(3, firstPass - 1)).toEqual([firstPass, firstPass + hour, firstPass + 2 * hour]);
      });

      it('runs a fixed-hour job in the repeated hour once, on the first pass, even inside the second pass', () => {
        const schedule = new CronSchedule(`30 ${repeatedHour[zone]} * * *`, { timeZone: zone });
        const firstPass = Date.parse(fallFirstPassUtc[zone]) + 30 * 60_000;
        expect(schedule.nextAfter(firstPass - 1)).toBe(firstPass);
        // From inside the second pass the next is tomorrow's, one real day plus the hour gained later.
        expect(schedule.nextAfter(firstPass + hour - 60_000)).toBe(firstPass + 25 * hour);
        expect(schedule.previousAtOrBefore(firstPass + hour + 60_000)).toBe(firstPass);
      });
  });
});
