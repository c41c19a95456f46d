import { getEventListeners } from 'node:events';
import process from 'node:process';
import { describe, expect, it } from 'vitest';
import { ManualTimeProvider } from '@hostkit/core/testing';
import { raceSignal } from '../../src/cancellation/index.ts';

function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void; reject: (error: unknown) => void } {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe('raceSignal', () => {
  it('resolves with the value when the promise settles first, and removes its listener', async () => {
    const controller = new AbortController();
    const work = deferred<number>();
    const raced = raceSignal(work.promise, controller.signal);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1);
    work.resolve(7);
    await expect(raced).resolves.toBe(7);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });

  it('rejects with the promise error when it rejects first, and removes its listener', async () => {
    const controller = new AbortController();
    const boom = new Error('boom');
    const raced = raceSignal(Promise.reject(boom), controller.signal);
    await expect(raced).rejects.toBe(boom);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });

  it('rejects with signal.reason as soon as the signal aborts first, and removes its listener', async () => {
    const time = new ManualTimeProvider();
    const controller = new AbortController();
    const raced = raceSignal(new Promise<never>(() => {}), controller.signal);
    let outcome: unknown = 'pending';
    void raced.catch((error: unknown) => (outcome = error));
    await time.flush();
    expect(outcome).toBe('pending');
    controller.abort('cancelled');
    await time.flush();
    expect(outcome).toBe('cancelled');
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });

  it('rejects at once with the reason when the signal has already aborted', async () => {
    await expect(raceSignal(Promise.resolve(1), AbortSignal.abort('late'))).rejects.toBe('late');
  });

  it('follows the promise when there is no signal', async () => {
    await expect(raceSignal(Promise.resolve('v'))).resolves.toBe('v');
    await expect(raceSignal(Promise.reject(new Error('e')))).rejects.toThrow('e');
  });

  it('adopts any thenable', async () => {
    const thenable: PromiseLike<string> = {
      // oxlint-disable-next-line unicorn/no-thenable -- a thenable is exactly what this test needs.
      then: (onFulfilled) => Promise.resolve(onFulfilled?.('from thenable')) as never,
    };
    await expect(raceSignal(thenable, new AbortController().signal)).resolves.toBe('from thenable');
  });

  it('does not turn a later rejection of the abandoned promise into an unhandled rejection', async () => {
    const time = new ManualTimeProvider();
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown): void => {
      unhandled.push(reason);
    };
    process.on('unhandledRejection', onUnhandled);
    try {
      const controller = new AbortController();
      const lost = deferred<number>();
      const raced = raceSignal(lost.promise, controller.signal);
      controller.abort('stop');
      await expect(raced).rejects.toBe('stop');
      lost.reject(new Error('failed after the race was lost'));

      const lostToo = deferred<number>();
      await expect(raceSignal(lostToo.promise, AbortSignal.abort('already'))).rejects.toBe('already');
      lostToo.reject(new Error('failed after an already-aborted race'));

      await time.flush();
      await time.flush();
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
    expect(unhandled).toEqual([]);
  });

  it('leaves no listener on a long-lived signal after racing many promises', async () => {
    const stopping = new AbortController().signal;
    for (let i = 0; i < 1_000; i++) await raceSignal(Promise.resolve(i), stopping);
    expect(getEventListeners(stopping, 'abort')).toHaveLength(0);
  });
});
