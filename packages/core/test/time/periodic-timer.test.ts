import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { ManualTimeProvider } from '@hostkit/core/testing';
import { PeriodicTimer } from '../../src/time/index.ts';

/** Settles within one flush, or reports 'pending': lets a test tell "not yet" from "resolved". */
async function state<T>(promise: Promise<T>, time: ManualTimeProvider): Promise<T | 'pending'> {
  let result: T | 'pending' = 'pending';
  void promise.then(
    (value) => (result = value),
    () => {},
  );
  await time.flush();
  return result;
}

describe('PeriodicTimer', () => {
  describe('ticks', () => {
    it('resolves a wait with true when the period has elapsed, and not before', async () => {
      const time = new ManualTimeProvider();
      using timer = new PeriodicTimer(100, { timeProvider: time });
      const tick = timer.waitForNextTick();
      await time.advance(99);
      expect(await state(tick, time)).toBe('pending');
      await time.advance(1);
      expect(await state(tick, time)).toBe(true);
    });

    it('ticks at fixed rate, so the time the work takes adds no drift', async () => {
      const time = new ManualTimeProvider();
      using timer = new PeriodicTimer(100, { timeProvider: time });
      const ticksAt: number[] = [];
      const loop = (async () => {
        while (await timer.waitForNextTick()) {
          ticksAt.push(time.timestamp());
          if (ticksAt.length === 5) return;
          await time.delay(30); // the work: 30 ms of a 100 ms period
        }
      })();
      await time.advance(500);
      await loop;
      // Fixed-delay would give 100, 230, 360, 490, 620.
      expect(ticksAt).toEqual([100, 200, 300, 400, 500]);
    });

    it('coalesces ticks missed while the consumer is busy into one pending tick', async () => {
      const time = new ManualTimeProvider();
      using timer = new PeriodicTimer(100, { timeProvider: time });
      await time.advance(550); // five ticks pass with nobody waiting
      expect(await state(timer.waitForNextTick(), time)).toBe(true);
      const next = timer.waitForNextTick();
      expect(await state(next, time)).toBe('pending');
      await time.advance(49);
      expect(await state(next, time)).toBe('pending');
      await time.advance(1);
      expect(await state(next, time)).toBe(true);
    });

    it('never replays missed ticks in a burst after a slow run', async () => {
      const time = new ManualTimeProvider();
      using timer = new PeriodicTimer(100, { timeProvider: time });
      const runsAt: number[] = [];
      const loop = (async () => {
        while (await timer.waitForNextTick()) {
          runsAt.push(time.timestamp());
          // The first run overruns three periods.
          if (runsAt.length === 1) await time.delay(350);
        }
      })();
      await time.advance(700);
      timer.dispose();
      await loop;
      // 100: run (until 450, missing 200, 300, 400); 450: the ONE pending tick; then 500, 600, 700.
      expect(runsAt).toEqual([100, 450, 500, 600, 700]);
    });

    it('iterates once per tick with ticks() and ends the loop when disposed', async () => {
      const time = new ManualTimeProvider();
      const timer = new PeriodicTimer(10, { timeProvider: time });
      const seenAt: number[] = [];
      const loop = (async () => {
        for await (const _ of timer.ticks()) {
          seenAt.push(time.timestamp());
          if (seenAt.length === 3) timer.dispose();
        }
      })();
      await time.advance(100);
      await expect(loop).resolves.toBeUndefined();
      expect(seenAt).toEqual([10, 20, 30]);
    });

    it('throws the abort reason from ticks() when its signal aborts during a wait', async () => {
      const time = new ManualTimeProvider();
      using timer = new PeriodicTimer(10, { timeProvider: time });
      const controller = new AbortController();
      let count = 0;
      const loop = (async () => {
        for await (const _ of timer.ticks(controller.signal)) count++;
      })();
      await time.advance(25);
      controller.abort('stopping');
      await expect(loop).rejects.toBe('stopping');
      expect(count).toBe(2);
    });
  });

  describe('waiters', () => {
    it('rejects a second concurrent wait with a clear error and keeps the first', async () => {
      const time = new ManualTimeProvider();
      using timer = new PeriodicTimer(100, { timeProvider: time });
      const first = timer.waitForNextTick();
      await expect(timer.waitForNextTick()).rejects.toThrow(/already waiting: one waiter at a time/);
      await time.advance(100);
      await expect(first).resolves.toBe(true);
      // The rule is about concurrency only: once the first settled, waiting again is fine.
      const again = timer.waitForNextTick();
      await time.advance(100);
      await expect(again).resolves.toBe(true);
    });

    it('rejects a cancelled wait with signal.reason and keeps the timer running', async () => {
      const time = new ManualTimeProvider();
      using timer = new PeriodicTimer(100, { timeProvider: time });
      const controller = new AbortController();
      const reason = new Error('give up');
      const wait = timer.waitForNextTick(controller.signal);
      await time.advance(50);
      controller.abort(reason);
      await expect(wait).rejects.toBe(reason);
      expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
      // The schedule is untouched: the next tick is still at 100, not 100 after the cancellation.
      const next = timer.waitForNextTick();
      await time.advance(50);
      await expect(next).resolves.toBe(true);
      expect(time.timestamp()).toBe(100);
    });

    it('rejects at once without consuming the pending tick when the signal has already aborted', async () => {
      const time = new ManualTimeProvider();
      using timer = new PeriodicTimer(100, { timeProvider: time });
      await time.advance(100);
      await expect(timer.waitForNextTick(AbortSignal.abort('no'))).rejects.toBe('no');
      expect(await state(timer.waitForNextTick(), time)).toBe(true);
    });

    it('removes its abort listener when a wait resolves, so a long-lived signal collects none', async () => {
      const time = new ManualTimeProvider();
      using timer = new PeriodicTimer(10, { timeProvider: time });
      const stopping = new AbortController().signal;
      for (let i = 0; i < 20; i++) {
        const tick = timer.waitForNextTick(stopping);
        expect(getEventListeners(stopping, 'abort')).toHaveLength(1);
        await time.advance(10);
        await expect(tick).resolves.toBe(true);
      }
      expect(getEventListeners(stopping, 'abort')).toHaveLength(0);
    });
  });

  describe('dispose', () => {
    it('resolves the pending wait and every later wait with false', async () => {
      const time = new ManualTimeProvider();
      const timer = new PeriodicTimer(100, { timeProvider: time });
      const controller = new AbortController();
      const pending = timer.waitForNextTick(controller.signal);
      timer.dispose();
      await expect(pending).resolves.toBe(false);
      expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
      await expect(timer.waitForNextTick()).resolves.toBe(false);
      await expect(timer.waitForNextTick(controller.signal)).resolves.toBe(false);
      controller.abort();
      await expect(timer.waitForNextTick(controller.signal)).resolves.toBe(false);
    });

    it('drops a tick that was pending when disposed', async () => {
      const time = new ManualTimeProvider();
      const timer = new PeriodicTimer(100, { timeProvider: time });
      await time.advance(100);
      timer.dispose();
      await expect(timer.waitForNextTick()).resolves.toBe(false);
    });

    it('stops the underlying timer, is idempotent, and runs at the end of a using block', async () => {
      const time = new ManualTimeProvider();
      {
        using timer = new PeriodicTimer(100, { timeProvider: time });
        expect(time.pendingTimerCount).toBe(1);
        timer.dispose();
        timer.dispose();
        expect(time.pendingTimerCount).toBe(0);
      }
      {
        using _timer = new PeriodicTimer(100, { timeProvider: time });
        expect(time.pendingTimerCount).toBe(1);
      }
      expect(time.pendingTimerCount).toBe(0);
    });
  });

  describe('period', () => {
    it('makes the next tick come one new period after the change, when lengthened', async () => {
      const time = new ManualTimeProvider();
      using timer = new PeriodicTimer(100, { timeProvider: time });
      await time.advance(30);
      timer.period = 200;
      expect(timer.period).toBe(200);
      const tick = timer.waitForNextTick();
      await time.advance(199);
      expect(await state(tick, time)).toBe('pending');
      await time.advance(1);
      expect(await state(tick, time)).toBe(true);
      expect(time.timestamp()).toBe(230);
      const next = timer.waitForNextTick();
      await time.advance(200);
      expect(await state(next, time)).toBe(true);
    });

    it('makes the next tick come one new period after the change, when shortened', async () => {
      const time = new ManualTimeProvider();
      using timer = new PeriodicTimer(1_000, { timeProvider: time });
      await time.advance(500);
      timer.period = 100;
      const tickedAt: number[] = [];
      const loop = (async () => {
        while (tickedAt.length < 3 && (await timer.waitForNextTick())) tickedAt.push(time.timestamp());
      })();
      await time.advance(300);
      await loop;
      expect(tickedAt).toEqual([600, 700, 800]);
    });

    it('rejects a period that is not a finite number > 0 with a RangeError naming the value', () => {
      const time = new ManualTimeProvider();
      expect(() => new PeriodicTimer(0, { timeProvider: time })).toThrow(
        'Expected period to be a finite number > 0, got 0 (number)',
      );
      expect(() => new PeriodicTimer(-10, { timeProvider: time })).toThrow(RangeError);
      expect(() => new PeriodicTimer(Number.NaN, { timeProvider: time })).toThrow(/got NaN \(number\)/);
      expect(() => new PeriodicTimer(Infinity, { timeProvider: time })).toThrow(/got Infinity \(number\)/);
      expect(time.pendingTimerCount).toBe(0);
      using timer = new PeriodicTimer(10, { timeProvider: time });
      expect(() => (timer.period = 0)).toThrow(RangeError);
      expect(timer.period).toBe(10);
    });
  });
});
