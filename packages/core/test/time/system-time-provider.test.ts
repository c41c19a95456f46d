import { afterEach, describe, expect, it, vi } from 'vitest';
import { PeriodicTimer, SystemTimeProvider, systemTimeProvider, TimeProvider, type Timer } from '../../src/time/index.ts';

interface ScriptedTimeout {
  readonly callback: () => void;
  readonly delay: number;
  cancelled: boolean;
  ran: boolean;
}

/**
 * The real scheduling logic, on a scripted clock: timestamp() reads `clock`, and platform timeouts
 * are recorded instead of armed, so a test decides when each one "wakes up". This checks the
 * arithmetic (fixed rate, skipping, chaining, early wake-ups) exactly, without waiting on anything.
 */
class ScriptedSystemTimeProvider extends SystemTimeProvider {
  clock = 0;
  readonly timeouts: ScriptedTimeout[] = [];
  readonly reported: unknown[] = [];
  reportErrors = true;

  override timestamp(): number {
    return this.clock;
  }

  /** The one timeout still waiting to run. */
  get live(): ScriptedTimeout {
    const live = this.timeouts.filter((timeout) => !timeout.cancelled && !timeout.ran);
    if (live.length !== 1) throw new Error(`expected exactly one live timeout, found ${live.length}`);
    return live[0]!;
  }

  get liveCount(): number {
    return this.timeouts.filter((timeout) => !timeout.cancelled && !timeout.ran).length;
  }

  /** Moves the clock to `at` and runs the live timeout, as the platform would when it wakes. */
  wakeAt(at: number): void {
    const timeout = this.live;
    this.clock = at;
    timeout.ran = true;
    timeout.callback();
  }

  protected override scheduleTimeout(callback: () => void, delay: number): unknown {
    const timeout: ScriptedTimeout = { callback, delay, cancelled: false, ran: false };
    this.timeouts.push(timeout);
    return timeout;
  }

  protected override cancelTimeout(handle: unknown): void {
    (handle as ScriptedTimeout).cancelled = true;
  }

  protected override reportCallbackError(error: unknown): void {
    if (this.reportErrors) this.reported.push(error);
    else super.reportCallbackError(error);
  }
}

/** Polls `condition` until it holds or `deadline` ms pass: real-time tests never assert exact times. */
async function eventually(condition: () => boolean, deadline = 2_000): Promise<void> {
  const start = performance.now();
  while (!condition()) {
    if (performance.now() - start > deadline) throw new Error(`condition not met within ${deadline} ms`);
    await systemTimeProvider.delay(2);
  }
}

describe('SystemTimeProvider', () => {
  afterEach(() => {
    vi.unstubAllGlobals();
  });

  describe('scheduling (scripted clock)', () => {
    it('arms one platform timeout for the due time, in whole milliseconds of at least 1', () => {
      const time = new ScriptedSystemTimeProvider();
      time.createTimer(() => {}, 10.2);
      expect(time.live.delay).toBe(11);
      const zero = new ScriptedSystemTimeProvider();
      zero.createTimer(() => {}, 0);
      expect(zero.live.delay).toBe(1);
    });

    it('computes each period from the first due time, so late wake-ups and slow callbacks add no drift', () => {
      const time = new ScriptedSystemTimeProvider();
      const calledAt: number[] = [];
      time.createTimer(() => {
        calledAt.push(time.clock);
        time.clock += 40; // a slow callback
      }, 100, 100);
      time.wakeAt(103);
      expect(time.live.delay).toBe(97); // due at 200, from 103
      time.wakeAt(205);
      expect(time.live.delay).toBe(95); // due at 300
      time.wakeAt(300);
      expect(calledAt).toEqual([103, 205, 300]);
    });

    it('skips the periods missed while the event loop was blocked instead of replaying them in a burst', () => {
      const time = new ScriptedSystemTimeProvider();
      let calls = 0;
      time.createTimer(() => calls++, 100, 100);
      time.wakeAt(450); // due at 100; 200, 300 and 400 were missed
      expect(calls).toBe(1);
      expect(time.live.delay).toBe(50); // back on the grid: 500
      time.wakeAt(500);
      expect(calls).toBe(2);
    });

    it('treats a wake-up less than 1 ms early as on time, and re-arms for the rest otherwise', () => {
      const time = new ScriptedSystemTimeProvider();
      let calls = 0;
      time.createTimer(() => calls++, 100);
      time.wakeAt(97);
      expect(calls).toBe(0);
      expect(time.live.delay).toBe(3);
      time.wakeAt(99.5);
      expect(calls).toBe(1);
      expect(time.liveCount).toBe(0);
    });

    it('chains platform timeouts for a due time beyond the 2^31-1 ms that setTimeout honours', () => {
      const time = new ScriptedSystemTimeProvider();
      let calls = 0;
      const dueTime = 3_000_000_000;
      time.createTimer(() => calls++, dueTime);
      expect(time.live.delay).toBe(2_147_483_647);
      time.wakeAt(2_147_483_647);
      expect(calls).toBe(0);
      expect(time.live.delay).toBe(dueTime - 2_147_483_647);
      time.wakeAt(dueTime);
      expect(calls).toBe(1);
    });

    it('keeps later periods coming when a callback throws, and reports the error', () => {
      const time = new ScriptedSystemTimeProvider();
      const boom = new Error('boom');
      let calls = 0;
      time.createTimer(() => {
        calls++;
        throw boom;
      }, 10, 10);
      time.wakeAt(10);
      time.wakeAt(20);
      expect(calls).toBe(2);
      expect(time.reported).toEqual([boom, boom]);
      expect(time.liveCount).toBe(1);
    });

    it('lets change() or dispose() inside the callback replace the next period', () => {
      const time = new ScriptedSystemTimeProvider();
      const changing: { timer?: Timer } = {};
      changing.timer = time.createTimer(() => changing.timer!.change(500), 10, 10);
      time.wakeAt(10);
      expect(time.live.delay).toBe(500);

      const disposing = new ScriptedSystemTimeProvider();
      const holder: { timer?: Timer } = {};
      holder.timer = disposing.createTimer(() => holder.timer!.dispose(), 10, 10);
      disposing.wakeAt(10);
      expect(disposing.liveCount).toBe(0);
    });

    it('cancels the platform timeout when disposed, and reports false from change afterwards', () => {
      const time = new ScriptedSystemTimeProvider();
      const timer = time.createTimer(() => {}, 100, 100);
      const armed = time.live;
      timer.dispose();
      expect(armed.cancelled).toBe(true);
      expect(timer.change(1)).toBe(false);
      expect(time.liveCount).toBe(0);
    });

    it('re-arms from the time of the change, and idles on an infinite due time', () => {
      const time = new ScriptedSystemTimeProvider();
      let calls = 0;
      const timer = time.createTimer(() => calls++, 100);
      time.clock = 40;
      expect(timer.change(100, 50)).toBe(true);
      expect(time.live.delay).toBe(100);
      time.wakeAt(140);
      expect(time.live.delay).toBe(50);
      timer.change(Infinity);
      expect(time.liveCount).toBe(0);
      expect(calls).toBe(1);
    });

    it('rejects a negative or NaN dueTime or period with a RangeError naming the value and its type', () => {
      const time = new ScriptedSystemTimeProvider();
      expect(() => time.createTimer(() => {}, -1)).toThrow(
        'Expected dueTime to be a number >= 0 (Infinity: never), got -1 (number)',
      );
      expect(() => time.createTimer(() => {}, 1, Number.NaN)).toThrow(/Expected period .* got NaN \(number\)/);
      const timer = time.createTimer(() => {}, 1);
      expect(() => timer.change(-2)).toThrow(RangeError);
      expect(time.timeouts).toHaveLength(1);
    });

    it('hands a callback error to the web-standard reportError where the runtime has it', () => {
      const reportError = vi.fn<(error: unknown) => void>();
      vi.stubGlobal('reportError', reportError);
      const time = new ScriptedSystemTimeProvider();
      time.reportErrors = false;
      const boom = new Error('boom');
      time.createTimer(() => {
        throw boom;
      }, 1);
      time.wakeAt(1);
      expect(reportError).toHaveBeenCalledWith(boom);
    });

    it('rethrows a callback error from a microtask where the runtime has no reportError', () => {
      const microtasks: Array<() => void> = [];
      vi.stubGlobal('reportError', undefined);
      vi.stubGlobal('queueMicrotask', (task: () => void) => microtasks.push(task));
      const time = new ScriptedSystemTimeProvider();
      time.reportErrors = false;
      const boom = new Error('boom');
      time.createTimer(() => {
        throw boom;
      }, 1);
      time.wakeAt(1);
      vi.unstubAllGlobals();
      expect(microtasks).toHaveLength(1);
      expect(() => microtasks[0]!()).toThrow(boom);
    });
  });

  describe('real clock', () => {
    it('reads the wall clock from Date.now() and the monotonic clock from performance.now()', () => {
      const before = Date.now();
      const now = systemTimeProvider.now();
      expect(now).toBeGreaterThanOrEqual(before);
      expect(now).toBeLessThanOrEqual(Date.now());
      const t0 = systemTimeProvider.timestamp();
      const t1 = systemTimeProvider.timestamp();
      expect(t1).toBeGreaterThanOrEqual(t0);
      expect(Math.abs(t1 - performance.now())).toBeLessThan(1_000);
    });

    it('exports one shared SystemTimeProvider', () => {
      expect(systemTimeProvider).toBeInstanceOf(SystemTimeProvider);
      expect(systemTimeProvider).toBeInstanceOf(TimeProvider);
    });

    it('fires a one-shot timer once, no earlier than its due time', async () => {
      const start = systemTimeProvider.timestamp();
      const firedAt: number[] = [];
      using _timer = systemTimeProvider.createTimer(() => firedAt.push(systemTimeProvider.timestamp()), 20);
      await eventually(() => firedAt.length > 0);
      // 1 ms of slack: Node's millisecond loop clock may run a hair ahead of performance.now().
      expect(firedAt[0]! - start).toBeGreaterThanOrEqual(19);
      await systemTimeProvider.delay(30);
      expect(firedAt).toHaveLength(1);
    });

    it('fires a periodic timer repeatedly until disposed', async () => {
      let calls = 0;
      const timer = systemTimeProvider.createTimer(() => calls++, 1, 5);
      await eventually(() => calls >= 3);
      timer.dispose();
      const atDispose = calls;
      await systemTimeProvider.delay(30);
      expect(calls).toBe(atDispose);
    });

    it('passes every platform timeout of a periodic timer through scheduleTimeout, so an adapter can unref each', async () => {
      const handles: unknown[] = [];
      class UnrefTimeProvider extends SystemTimeProvider {
        protected override scheduleTimeout(callback: () => void, delay: number): unknown {
          const handle = super.scheduleTimeout(callback, delay);
          (handle as { unref?: () => void }).unref?.();
          handles.push(handle);
          return handle;
        }
      }
      const time = new UnrefTimeProvider();
      let calls = 0;
      const timer = time.createTimer(() => calls++, 1, 2);
      await eventually(() => calls >= 3);
      timer.dispose();
      expect(handles.length).toBeGreaterThanOrEqual(3);
    });

    it('drives a PeriodicTimer by default', async () => {
      using timer = new PeriodicTimer(5);
      await expect(timer.waitForNextTick()).resolves.toBe(true);
      await expect(timer.waitForNextTick()).resolves.toBe(true);
    });
  });
});
