import { describe, expect, it } from 'vitest';
import { CronSchedule } from '../../src/time/index.ts';

const at = (iso: string): number => Date.parse(iso);
const iso = (ms: number | undefined): string | undefined => (ms === undefined ? undefined : new Date(ms).toISOString());

describe('CronSchedule', () => {
  it('computes the next occurrences of a 5-field expression in UTC when no time zone is given', () => {
    const schedule = new CronSchedule('0 * * * *');
    expect(schedule.timeZone).toBe('UTC');
    expect(schedule.nextOccurrences(3, at('2026-01-01T10:15:00Z')).map(iso)).toEqual([
      '2026-01-01T11:00:00.000Z',
      '2026-01-01T12:00:00.000Z',
      '2026-01-01T13:00:00.000Z',
    ]);
  });

  it('reads a 6-field expression with seconds first', () => {
    const schedule = new CronSchedule('*/15 * * * * *');
    expect(schedule.nextOccurrences(3, at('2026-01-01T10:00:05Z')).map(iso)).toEqual([
      '2026-01-01T10:00:15.000Z',
      '2026-01-01T10:00:30.000Z',
      '2026-01-01T10:00:45.000Z',
    ]);
  });

  it('returns the next occurrence strictly after the instant given, even when it matches', () => {
    const schedule = new CronSchedule('30 2 * * *');
    expect(iso(schedule.nextAfter(at('2026-03-10T02:30:00Z')))).toBe('2026-03-11T02:30:00.000Z');
    expect(iso(schedule.nextAfter(at('2026-03-10T02:29:59.500Z')))).toBe('2026-03-10T02:30:00.000Z');
  });

  it('returns the previous occurrence at or before the instant given', () => {
    const schedule = new CronSchedule('30 2 * * *');
    expect(iso(schedule.previousAtOrBefore(at('2026-03-10T02:30:00Z')))).toBe('2026-03-10T02:30:00.000Z');
    expect(iso(schedule.previousAtOrBefore(at('2026-03-10T02:30:00.700Z')))).toBe('2026-03-10T02:30:00.000Z');
    expect(iso(schedule.previousAtOrBefore(at('2026-03-10T02:29:59.999Z')))).toBe('2026-03-09T02:30:00.000Z');
  });

  it('reads the expression on the wall clock of its IANA time zone', () => {
    const berlin = new CronSchedule('0 9 * * MON-FRI', { timeZone: 'Europe/Berlin' });
    const newYork = new CronSchedule('0 9 * * MON-FRI', { timeZone: 'America/New_York' });
    // Friday 2026-01-09, 12:00 UTC: Berlin's 09:00 (08:00 UTC) has passed, so Monday; New York's (14:00 UTC) is still to come.
    expect(iso(berlin.nextAfter(at('2026-01-09T12:00:00Z')))).toBe('2026-01-12T08:00:00.000Z');
    expect(iso(newYork.nextAfter(at('2026-01-09T12:00:00Z')))).toBe('2026-01-09T14:00:00.000Z');
    expect(String(berlin)).toBe('0 9 * * MON-FRI (Europe/Berlin)');
  });

  it('returns undefined when the schedule has no occurrence left', () => {
    expect(new CronSchedule('0 0 30 2 *').nextAfter(at('2026-01-01T00:00:00Z'))).toBeUndefined();
  });

  it('rejects a bad expression with a RangeError naming the value and what was expected', () => {
    expect(() => new CronSchedule('* * *')).toThrow(RangeError);
    expect(() => new CronSchedule('* * *')).toThrow(
      /Expected expression to be a cron expression of 5 fields \(minute hour day-of-month month day-of-week\) or 6 \(second first\).*got "\* \* \*" \(string\)/,
    );
    expect(() => new CronSchedule('61 * * * *')).toThrow(/got "61 \* \* \* \*" \(string\): .*minute: 61/);
    expect(() => new CronSchedule('0 0 0 * * * 2030')).toThrow(RangeError);
    expect(() => new CronSchedule('')).toThrow(/got "" \(string\)/);
    expect(() => new CronSchedule(3 as unknown as string)).toThrow(/got 3 \(number\)/);
  });

  it('rejects an unknown time zone with a RangeError naming the value and what was expected', () => {
    expect(() => new CronSchedule('0 * * * *', { timeZone: 'Mars/Olympus_Mons' })).toThrow(
      'Expected timeZone to be an IANA time zone such as "UTC" or "Europe/Berlin", got "Mars/Olympus_Mons" (string)',
    );
    expect(() => new CronSchedule('0 * * * *', { timeZone: '' })).toThrow(RangeError);
  });
});
