/**
 * Daylight saving on the manual clock: the rule (see CronSchedule) is that each wall-clock time
 * that matches occurs once. 2026 transitions: Europe/Berlin springs forward on 29 March
 * (02:00 -> 03:00 CEST) and falls back on 25 October (03:00 CEST -> 02:00 CET); America/New_York
 * springs forward on 8 March (02:00 -> 03:00 EDT) and falls back on 1 November (02:00 EDT -> 01:00 EST).
 */
import { describe, expect, it } from 'vitest';
import { ManualTimeProvider } from '@hostkit/core/testing';
import { CronTimer } from '../../src/time/index.ts';

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

      it('runs an hourly job once per wall-clock hour across both transitions, never twice for one', async () => {
        for (const [day, realHours, runsThatDay] of [
          [springDay, 23, 23],
          [fallDay, 25, 24],
        ] as const) {
          // Three local days: the one before, the transition day, the one after.
          const seen = await runs('0 * * * *', zone, dayBefore(day), 72);
          const labels = seen.map((ms) => local(ms, zone).slice(0, 13));
          // One run per wall-clock hour label: none repeated (the fall-back hour runs once).
          expect(new Set(labels).size).toBe(seen.length);
          expect(labels.filter((label) => label.startsWith(day))).toHaveLength(runsThatDay);
          // Every gap between runs is one real hour, except the one across a repeated hour.
          const gaps = seen.slice(1).map((ms, i) => (ms - (seen[i] ?? 0)) / hour);
          expect(gaps.filter((gap) => gap !== 1)).toEqual(realHours === 25 ? [2] : []);
        }
        // Six days of a timer that re-reads the wall clock every minute: thousands of firings, each
        // flushed, which takes seconds on a loaded machine.
      }, 30_000);
  });
});
