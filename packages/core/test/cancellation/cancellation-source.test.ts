import { getEventListeners, setMaxListeners } from 'node:events';
import process from 'node:process';
import { describe, expect, it } from 'vitest';
import { ManualTimeProvider } from '@hostkit/core/testing';
import { CancellationSource, isCancellation } from '../../src/cancellation/index.ts';

function abortListeners(signal: AbortSignal): number {
  return getEventListeners(signal, 'abort').length;
}

describe('CancellationSource', () => {
  describe('cancel', () => {
    it('starts with a signal that has not aborted', () => {
      using source = new CancellationSource();
      expect(source.signal).toBeInstanceOf(AbortSignal);
      expect(source.signal.aborted).toBe(false);
      expect(source.isCancellationRequested).toBe(false);
    });

    it('aborts the signal with a DOMException named AbortError when cancelled without a reason', () => {
      using source = new CancellationSource();
      source.cancel();
      expect(source.isCancellationRequested).toBe(true);
      expect(source.signal.reason).toBeInstanceOf(DOMException);
      expect((source.signal.reason as DOMException).name).toBe('AbortError');
    });

    it('aborts the signal with the reason given, whatever value it is', () => {
      using source = new CancellationSource();
      source.cancel('shutting down');
      expect(source.signal.reason).toBe('shutting down');
    });

    it('keeps the first reason when cancelled twice', () => {
      using source = new CancellationSource();
      const first = new Error('first');
      source.cancel(first);
      source.cancel(new Error('second'));
      expect(source.signal.reason).toBe(first);
    });

    it('runs listeners on its signal in registration order, unlike .NET (newest first)', () => {
      using source = new CancellationSource();
      const order: number[] = [];
      for (const n of [1, 2, 3]) source.signal.addEventListener('abort', () => order.push(n));
      source.cancel();
      expect(order).toEqual([1, 2, 3]);
    });
  });

  describe('timeouts', () => {
    it('aborts with a TimeoutError after the delay measured on the injected time provider', async () => {
      const time = new ManualTimeProvider();
      using source = new CancellationSource({ timeProvider: time, delay: 1_000 });
      await time.advance(999);
      expect(source.isCancellationRequested).toBe(false);
      await time.advance(1);
      expect(source.isCancellationRequested).toBe(true);
      const reason = source.signal.reason as DOMException;
      expect(reason).toBeInstanceOf(DOMException);
      expect(reason.name).toBe('TimeoutError');
      expect(isCancellation(reason)).toBe(true);
      expect(time.pendingTimerCount).toBe(0);
    });

    it('aborts only from the provider timer, even with a delay of 0', async () => {
      const time = new ManualTimeProvider();
      using source = new CancellationSource({ timeProvider: time, delay: 0 });
      expect(source.isCancellationRequested).toBe(false);
      await time.advance(0);
      expect(source.isCancellationRequested).toBe(true);
    });

    it('re-arms the timeout from the new call when cancelAfter is called again, later or earlier', async () => {
      const time = new ManualTimeProvider();
      using source = new CancellationSource({ timeProvider: time, delay: 100 });
      await time.advance(80);
      source.cancelAfter(100); // now due at 180, not 100
      await time.advance(99);
      expect(source.isCancellationRequested).toBe(false);
      source.cancelAfter(10); // now due at 189
      await time.advance(10);
      expect(source.isCancellationRequested).toBe(true);
      expect(time.timestamp()).toBe(189);
    });

    it('disarms the timeout when cancelAfter is called with Infinity', async () => {
      const time = new ManualTimeProvider();
      using source = new CancellationSource({ timeProvider: time, delay: 100 });
      source.cancelAfter(Infinity);
      expect(time.pendingTimerCount).toBe(0);
      await time.advance(1_000);
      expect(source.isCancellationRequested).toBe(false);
    });

    it('throws a TypeError naming the missing time provider when a timeout is asked for without one', () => {
      expect(() => new CancellationSource({ delay: 10 })).toThrow(TypeError);
      using source = new CancellationSource();
      expect(() => source.cancelAfter(10)).toThrow(/needs a time provider: create the source with \{ timeProvider \}/);
    });

    it('rejects a negative or NaN timeout with a RangeError naming the value and its type', () => {
      const time = new ManualTimeProvider();
      expect(() => new CancellationSource({ timeProvider: time, delay: -1 })).toThrow(
        'Expected ms to be a number >= 0 (Infinity: never), got -1 (number)',
      );
      using source = new CancellationSource({ timeProvider: time });
      expect(() => source.cancelAfter(Number.NaN)).toThrow(RangeError);
      expect(time.pendingTimerCount).toBe(0);
    });

    it('releases its timer when cancelled before the timeout, and ignores cancelAfter afterwards', async () => {
      const time = new ManualTimeProvider();
      using source = new CancellationSource({ timeProvider: time, delay: 100 });
      source.cancel('manual');
      expect(time.pendingTimerCount).toBe(0);
      source.cancelAfter(5);
      expect(time.pendingTimerCount).toBe(0);
      await time.advance(200);
      expect(source.signal.reason).toBe('manual');
    });
  });

  describe('dispose', () => {
    it('disposes its timer without aborting the signal', async () => {
      const time = new ManualTimeProvider();
      const source = new CancellationSource({ timeProvider: time, delay: 100 });
      source.dispose();
      expect(time.pendingTimerCount).toBe(0);
      await time.advance(200);
      expect(source.isCancellationRequested).toBe(false);
    });

    it('ignores cancelAfter once disposed, but still aborts on an explicit cancel', () => {
      const time = new ManualTimeProvider();
      const source = new CancellationSource({ timeProvider: time });
      source.dispose();
      source.dispose();
      source.cancelAfter(10);
      expect(time.pendingTimerCount).toBe(0);
      source.cancel('late');
      expect(source.signal.reason).toBe('late');
    });

    it('releases everything at the end of a using block', () => {
      const time = new ManualTimeProvider();
      const parent = new AbortController();
      {
        using _source = CancellationSource.linked([parent.signal], { timeProvider: time, delay: 50 });
        expect(abortListeners(parent.signal)).toBe(1);
        expect(time.pendingTimerCount).toBe(1);
      }
      expect(abortListeners(parent.signal)).toBe(0);
      expect(time.pendingTimerCount).toBe(0);
    });
  });

  describe('linked', () => {
    it('aborts when any parent aborts, with that parent reason', () => {
      const a = new AbortController();
      const b = new AbortController();
      using source = CancellationSource.linked([a.signal, b.signal]);
      expect(source.isCancellationRequested).toBe(false);
      const reason = { why: 'b stopped' };
      b.abort(reason);
      expect(source.signal.reason).toBe(reason);
      a.abort('later');
      expect(source.signal.reason).toBe(reason);
    });

    it('is born aborted, with the reason of the first aborted parent, when a parent has already aborted', () => {
      const live = new AbortController();
      using source = CancellationSource.linked([live.signal, AbortSignal.abort('first'), AbortSignal.abort('second')]);
      expect(source.isCancellationRequested).toBe(true);
      expect(source.signal.reason).toBe('first');
      expect(abortListeners(live.signal)).toBe(0);
    });

    it('skips undefined parents, so optional signals can be passed as they are', () => {
      const parent = new AbortController();
      const optional: AbortSignal | undefined = undefined;
      using source = CancellationSource.linked([optional, parent.signal, undefined]);
      parent.abort('x');
      expect(source.signal.reason).toBe('x');
    });

    it('accepts any iterable of signals', () => {
      const parent = new AbortController();
      using source = CancellationSource.linked(new Set([parent.signal]));
      parent.abort('from a set');
      expect(source.signal.reason).toBe('from a set');
    });

    it('rejects a parent that is not an AbortSignal with a TypeError and leaves no listener behind', () => {
      const parent = new AbortController();
      expect(() => CancellationSource.linked([parent.signal, 'nope' as unknown as AbortSignal])).toThrow(
        'Expected every linked signal to be an AbortSignal or undefined, got "nope" (string)',
      );
      expect(abortListeners(parent.signal)).toBe(0);
    });

    it('unregisters from every parent once it aborts', () => {
      const a = new AbortController();
      const b = new AbortController();
      const c = new AbortController();
      using source = CancellationSource.linked([a.signal, b.signal, c.signal]);
      expect([a, b, c].map((controller) => abortListeners(controller.signal))).toEqual([1, 1, 1]);
      b.abort();
      expect(source.isCancellationRequested).toBe(true);
      expect([a, c].map((controller) => abortListeners(controller.signal))).toEqual([0, 0]);
    });

    it('unregisters from every parent once it is cancelled or times out', async () => {
      const time = new ManualTimeProvider();
      const parent = new AbortController();
      const cancelled = CancellationSource.linked([parent.signal]);
      const timedOut = CancellationSource.linked([parent.signal], { timeProvider: time, delay: 10 });
      expect(abortListeners(parent.signal)).toBe(2);
      cancelled.cancel();
      expect(abortListeners(parent.signal)).toBe(1);
      await time.advance(10);
      expect((timedOut.signal.reason as DOMException).name).toBe('TimeoutError');
      expect(abortListeners(parent.signal)).toBe(0);
    });

    it('unregisters from every parent when disposed, without aborting', () => {
      const a = new AbortController();
      const b = new AbortController();
      const source = CancellationSource.linked([a.signal, b.signal]);
      source.dispose();
      expect(abortListeners(a.signal)).toBe(0);
      expect(abortListeners(b.signal)).toBe(0);
      a.abort();
      expect(source.isCancellationRequested).toBe(false);
    });

    it('never aborts its parents', () => {
      const parent = new AbortController();
      using source = CancellationSource.linked([parent.signal]);
      source.cancel();
      expect(parent.signal.aborted).toBe(false);
    });

    it('aborts on whichever comes first of a parent and its own timeout', async () => {
      const time = new ManualTimeProvider();
      const parent = new AbortController();
      using source = CancellationSource.linked([parent.signal], { timeProvider: time, delay: 100 });
      await time.advance(50);
      parent.abort('parent first');
      expect(source.signal.reason).toBe('parent first');
      expect(time.pendingTimerCount).toBe(0);
    });

    it('ignores a synthetic abort event on a parent that has not aborted', () => {
      const parent = new AbortController();
      using source = CancellationSource.linked([parent.signal]);
      parent.signal.dispatchEvent(new Event('abort'));
      expect(source.isCancellationRequested).toBe(false);
    });

    it('leaves a long-lived parent with zero listeners and no MaxListenersExceededWarning after 1,000,000 linked sources are created and disposed', async () => {
      const parent = new AbortController().signal;
      // Node 24 no longer warns for AbortSignal by default: set the classic limit of 10 so that
      // accumulating listeners would warn here, and this test could fail.
      setMaxListeners(10, parent);
      const warnings: Error[] = [];
      const onWarning = (warning: Error): void => {
        warnings.push(warning);
      };
      process.on('warning', onWarning);
      try {
        // Ten batches of 100,000, checked after each so a leak fails fast: adding to a long
        // listener list costs O(n), and a million leaked listeners would take minutes.
        for (let batch = 0; batch < 10; batch++) {
          for (let i = 0; i < 100_000; i++) {
            const source = CancellationSource.linked([parent]);
            source.dispose();
          }
          expect(getEventListeners(parent, 'abort')).toHaveLength(0);
        }
        expect(getEventListeners(parent, 'abort')).toHaveLength(0);
        // Warnings are emitted on process.nextTick: let them arrive before looking.
        await new Promise<void>((resolve) => process.nextTick(resolve));
        await new ManualTimeProvider().flush();
      } finally {
        process.off('warning', onWarning);
      }
      expect(warnings.map((warning) => `${warning.name}: ${warning.message}`)).toEqual([]);
    });
  });
});
