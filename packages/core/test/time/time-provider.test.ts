import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { ManualTimeProvider } from '@hostkit/core/testing';

// The derived members of the TimeProvider port, exercised through the manual implementation.
describe('TimeProvider', () => {
  describe('delay', () => {
    it('resolves after the given time measured by the provider, not before', async () => {
      const time = new ManualTimeProvider();
      let resolved = false;
      void time.delay(100).then(() => (resolved = true));
      await time.advance(99);
      expect(resolved).toBe(false);
      await time.advance(1);
      expect(resolved).toBe(true);
      expect(time.pendingTimerCount).toBe(0);
    });

    it('rejects with signal.reason, disposes its timer and removes its listener when the signal aborts first', async () => {
      const time = new ManualTimeProvider();
      const controller = new AbortController();
      const reason = new Error('stop');
      const delayed = time.delay(100, controller.signal);
      expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1);
      controller.abort(reason);
      await expect(delayed).rejects.toBe(reason);
      expect(time.pendingTimerCount).toBe(0);
      expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
    });

    it('removes its abort listener when it resolves, so a long-lived signal collects none', async () => {
      const time = new ManualTimeProvider();
      const signal = new AbortController().signal;
      for (let i = 0; i < 20; i++) {
        const delayed = time.delay(1, signal);
        await time.advance(1);
        await delayed;
      }
      expect(getEventListeners(signal, 'abort')).toHaveLength(0);
    });

    it('rejects at once with the reason when the signal has already aborted', async () => {
      const time = new ManualTimeProvider();
      await expect(time.delay(10, AbortSignal.abort('gone'))).rejects.toBe('gone');
      expect(time.pendingTimerCount).toBe(0);
    });

    it('rejects a negative or NaN delay with a RangeError naming the value and its type', async () => {
      const time = new ManualTimeProvider();
      await expect(time.delay(-5)).rejects.toThrow('Expected ms to be a number >= 0, got -5 (number)');
      await expect(time.delay(Number.NaN)).rejects.toThrow(RangeError);
    });
  });

  describe('elapsedSince', () => {
    it('measures on the monotonic timestamp, unaffected by wall-clock jumps', async () => {
      const time = new ManualTimeProvider();
      const start = time.timestamp();
      await time.advance(300);
      time.setWallClock(0);
      expect(time.elapsedSince(start)).toBe(300);
    });
  });
});
