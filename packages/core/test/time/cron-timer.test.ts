import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { ManualTimeProvider } from '@hostkit/core/testing';
import { CronSchedule, CronTimer } from '../../src/time/index.ts';

const at = (iso: string): number => Date.parse(iso);
const iso = (ms: number | undefined): string | undefined => (ms === undefined ? undefined : new Date(ms).toISOString());
const minute = 60_000;
const hour = 60 * minute;

/** Settles within one flush, or reports 'pending'. */
async function state<T>(promise: Promise<T>, time: ManualTimeProvider): Promise<T | 'pending'> {
  let result: T | 'pending' = 'pending';
  void promise.then(
    (value) => (result = value),
    () => {},
  );
  await time.flush();
  return result;
}

/** Runs a loop that records each occurrence (ISO) and whose body takes `workMs`, until disposed. */
function record(timer: CronTimer, time: ManualTimeProvider, workMs = 0): { seen: string[]; done: Promise<void> } {
  const seen: string[] = [];
  const done = (async () => {
    while (await timer.waitForNextTick()) {
      seen.push(iso(timer.occurrence) ?? 'none');
      if (workMs > 0) await time.delay(workMs);
    }
  })();
  return { seen, done };
}

describe('CronTimer', () => {
  describe('ticks', () => {
    it('resolves a wait at the next occurrence on the provider wall clock, and not before', async () => {
      const time = new ManualTimeProvider({ now: at('2026-05-01T10:15:00Z') });
      using timer = new CronTimer('0 * * * *', { timeProvider: time });
      expect(iso(timer.nextOccurrence)).toBe('2026-05-01T11:00:00.000Z');
      const tick = timer.waitForNextOccurrence();
      await time.advance(45 * minute - 1);
      expect(await state(tick, time)).toBe('pending');
      await time.advance(1);
      expect(iso((await state(tick, time)) as number)).toBe('2026-05-01T11:00:00.000Z');
      expect(iso(timer.occurrence)).toBe('2026-05-01T11:00:00.000Z');
      expect(iso(timer.nextOccurrence)).toBe('2026-05-01T12:00:00.000Z');
    });

    it('delivers each occurrence of a seconds schedule once, in order', async () => {
      const time = new ManualTimeProvider({ now: at('2026-05-01T10:00:00Z') });
      const timer = new CronTimer('*/20 * * * * *', { timeProvider: time });
      const { seen, done } = record(timer, time);
      await time.advance(60_000);
      timer.dispose();
      await done;
      expect(seen).toEqual(['2026-05-01T10:00:20.000Z', '2026-05-01T10:00:40.000Z', '2026-05-01T10:01:00.000Z']);
    });

    it('waits on the wall clock, so a wall-clock jump forward is noticed within a minute', async () => {
      const time = new ManualTimeProvider({ now: at('2026-05-01T10:00:00Z') });
      using timer = new CronTimer('0 12 * * *', { timeProvider: time });
      const tick = timer.waitForNextOccurrence();
      // The machine slept two hours: its monotonic clock stood still, the wall clock did not.
      time.setWallClock(at('2026-05-01T12:00:30Z'));
      await time.advance(minute);
      expect(iso((await state(tick, time)) as number)).toBe('2026-05-01T12:00:00.000Z');
    });

    it('does not tick early when the wall clock jumps back', async () => {
      const time = new ManualTimeProvider({ now: at('2026-05-01T11:59:00Z') });
      using timer = new CronTimer('0 12 * * *', { timeProvider: time });
      const tick = timer.waitForNextOccurrence();
      time.setWallClock(at('2026-05-01T11:30:00Z'));
      await time.advance(minute);
      expect(await state(tick, time)).toBe('pending');
      await time.advance(29 * minute);
      expect(iso((await state(tick, time)) as number)).toBe('2026-05-01T12:00:00.000Z');
    });

    it('iterates occurrences with for await and ends the loop when disposed', async () => {
      const time = new ManualTimeProvider({ now: at('2026-05-01T00:00:00Z') });
      const timer = new CronTimer('0 0 * * *', { timeProvider: time });
      const seen: string[] = [];
      const loop = (async () => {
        for await (const occurrence of timer.occurrences()) {
          seen.push(iso(occurrence) ?? '');
          if (seen.length === 2) timer.dispose();
        }
      })();
      await time.advance(3 * 24 * hour);
      await loop;
      expect(seen).toEqual(['2026-05-02T00:00:00.000Z', '2026-05-03T00:00:00.000Z']);
    });

    it('resolves false when the schedule has no occurrence left', async () => {
      const time = new ManualTimeProvider();
      using timer = new CronTimer('0 0 30 2 *', { timeProvider: time });
      await expect(timer.waitForNextTick()).resolves.toBe(false);
      expect(timer.nextOccurrence).toBeUndefined();
    });

    it('accepts a CronSchedule and keeps its time zone', () => {
      const time = new ManualTimeProvider({ now: at('2026-01-09T12:00:00Z') });
      using timer = new CronTimer(new CronSchedule('0 9 * * *', { timeZone: 'America/New_York' }), { timeProvider: time });
      expect(iso(timer.nextOccurrence)).toBe('2026-01-09T14:00:00.000Z');
    });
  });

  describe('overlap', () => {
    it('keeps one pending occurrence that came during a slow run, by default (wait), without a burst', async () => {
      const time = new ManualTimeProvider({ now: at('2026-05-01T10:00:00Z') });
      const timer = new CronTimer('* * * * *', { timeProvider: time });
      // The first run takes 3.5 minutes: three occurrences come meanwhile; the latest runs once it ends.
      const seen: string[] = [];
      const done = (async () => {
        while (await timer.waitForNextTick()) {
          seen.push(iso(timer.occurrence) ?? '');
          if (seen.length === 1) await time.delay(3.5 * minute);
        }
      })();
      await time.advance(6 * minute);
      timer.dispose();
      await done;
      expect(seen).toEqual([
        '2026-05-01T10:01:00.000Z',
        '2026-05-01T10:04:00.000Z', // at 10:04:30, when the slow run ended
        '2026-05-01T10:05:00.000Z',
        '2026-05-01T10:06:00.000Z',
      ]);
    });

    it('drops occurrences that came during a run under overlap skip', async () => {
      const time = new ManualTimeProvider({ now: at('2026-05-01T10:00:00Z') });
      const timer = new CronTimer('* * * * *', { timeProvider: time, overlap: 'skip' });
      const seen: string[] = [];
      const done = (async () => {
        while (await timer.waitForNextTick()) {
          seen.push(`${iso(timer.occurrence)} at ${iso(time.now())}`);
          if (seen.length === 1) await time.delay(3.5 * minute);
        }
      })();
      await time.advance(6 * minute);
      timer.dispose();
      await done;
      expect(seen).toEqual([
        '2026-05-01T10:01:00.000Z at 2026-05-01T10:01:00.000Z',
        '2026-05-01T10:05:00.000Z at 2026-05-01T10:05:00.000Z',
        '2026-05-01T10:06:00.000Z at 2026-05-01T10:06:00.000Z',
      ]);
    });
  });

  describe('catch-up', () => {
    it('runs the occurrences missed during downtime once, for the latest, by default (run-once)', async () => {
      const time = new ManualTimeProvider({ now: at('2026-05-01T10:20:00Z') });
      using timer = new CronTimer('0 * * * *', { timeProvider: time, lastOccurrence: at('2026-05-01T07:00:00Z') });
      // 08:00, 09:00 and 10:00 were missed: one tick, for 10:00, at once.
      expect(iso((await state(timer.waitForNextOccurrence(), time)) as number)).toBe('2026-05-01T10:00:00.000Z');
      const next = timer.waitForNextOccurrence();
      expect(await state(next, time)).toBe('pending');
      await time.advance(40 * minute);
      expect(iso((await state(next, time)) as number)).toBe('2026-05-01T11:00:00.000Z');
    });

    it('skips the occurrences missed during downtime under catch-up skip', async () => {
      const time = new ManualTimeProvider({ now: at('2026-05-01T10:20:00Z') });
      using timer = new CronTimer('0 * * * *', {
        timeProvider: time,
        catchUp: 'skip',
        overlap: 'skip',
        lastOccurrence: at('2026-05-01T07:00:00Z'),
      });
      const tick = timer.waitForNextOccurrence();
      expect(await state(tick, time)).toBe('pending');
      await time.advance(40 * minute);
      expect(iso((await state(tick, time)) as number)).toBe('2026-05-01T11:00:00.000Z');
    });

    it('keeps an occurrence due at construction for the first wait even under overlap skip', async () => {
      const time = new ManualTimeProvider({ now: at('2026-05-01T10:00:10Z') });
      using timer = new CronTimer('0 * * * *', { timeProvider: time, overlap: 'skip', lastOccurrence: at('2026-05-01T09:00:00Z') });
      await time.advance(1_000);
      expect(iso((await state(timer.waitForNextOccurrence(), time)) as number)).toBe('2026-05-01T10:00:00.000Z');
    });

    it('runs an occurrence seen within graceMs of its time even under catch-up skip', async () => {
      const time = new ManualTimeProvider({ now: at('2026-05-01T10:00:30Z') });
      using timer = new CronTimer('0 * * * *', {
        timeProvider: time,
        catchUp: 'skip',
        lastOccurrence: at('2026-05-01T09:00:00Z'),
      });
      expect(iso((await state(timer.waitForNextOccurrence(), time)) as number)).toBe('2026-05-01T10:00:00.000Z');
    });

    it('treats a late wake-up (a machine asleep past occurrences) by the catch-up policy', async () => {
      for (const catchUp of ['run-once', 'skip'] as const) {
        const time = new ManualTimeProvider({ now: at('2026-05-01T09:59:00Z') });
        using timer = new CronTimer('0 * * * *', { timeProvider: time, catchUp });
        const tick = timer.waitForNextOccurrence();
        time.setWallClock(at('2026-05-01T12:30:00Z'));
        await time.advance(minute);
        const outcome = await state(tick, time);
        expect(typeof outcome === 'number' ? iso(outcome) : outcome).toBe(catchUp === 'run-once' ? '2026-05-01T12:00:00.000Z' : 'pending');
        expect(iso(timer.nextOccurrence)).toBe('2026-05-01T13:00:00.000Z');
      }
    });
  });

  describe('waiters and dispose', () => {
    it('rejects a second concurrent wait and keeps the first', async () => {
      const time = new ManualTimeProvider({ now: at('2026-05-01T10:00:00Z') });
      using timer = new CronTimer('* * * * *', { timeProvider: time });
      const first = timer.waitForNextTick();
      await expect(timer.waitForNextTick()).rejects.toThrow(/already waiting: one waiter at a time/);
      await time.advance(minute);
      await expect(first).resolves.toBe(true);
    });

    it('rejects a cancelled wait with signal.reason, removes its listener and keeps the schedule', async () => {
      const time = new ManualTimeProvider({ now: at('2026-05-01T10:00:00Z') });
      using timer = new CronTimer('* * * * *', { timeProvider: time });
      const controller = new AbortController();
      const wait = timer.waitForNextTick(controller.signal);
      await time.advance(30_000);
      controller.abort('give up');
      await expect(wait).rejects.toBe('give up');
      expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
      const next = timer.waitForNextOccurrence();
      await time.advance(30_000);
      expect(iso((await state(next, time)) as number)).toBe('2026-05-01T10:01:00.000Z');
    });

    it('resolves the pending and later waits with false once disposed, and stops its timer', async () => {
      const time = new ManualTimeProvider({ now: at('2026-05-01T10:00:00Z') });
      const timer = new CronTimer('* * * * *', { timeProvider: time });
      expect(time.pendingTimerCount).toBe(1);
      const pending = timer.waitForNextTick();
      timer.dispose();
      timer.dispose();
      await expect(pending).resolves.toBe(false);
      await expect(timer.waitForNextTick()).resolves.toBe(false);
      expect(timer.nextOccurrence).toBeUndefined();
      expect(time.pendingTimerCount).toBe(0);
    });

    it('rejects bad options with a RangeError naming the value', () => {
      const time = new ManualTimeProvider();
      expect(() => new CronTimer('* * * * *', { timeProvider: time, overlap: 'allow' as 'wait' })).toThrow(
        `Expected overlap to be one of 'wait', 'skip', got "allow" (string)`,
      );
      expect(() => new CronTimer('* * * * *', { timeProvider: time, catchUp: 'all' as 'skip' })).toThrow(RangeError);
      expect(() => new CronTimer('* * * * *', { timeProvider: time, graceMs: -1 })).toThrow(/graceMs/);
      expect(() => new CronTimer('* * * * *', { timeProvider: time, lastOccurrence: Number.NaN })).toThrow(/lastOccurrence/);
      expect(() => new CronTimer('* * * * *', { timeProvider: time, timeZone: 'Nowhere/Town' })).toThrow(/"Nowhere\/Town"/);
      expect(time.pendingTimerCount).toBe(0);
    });
  });
});
