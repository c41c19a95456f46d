import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { onAbort } from '../../src/cancellation/abort-fanout.ts';
import { raceSignal } from '../../src/cancellation/race-signal.ts';

describe('onAbort', () => {
  it('puts one listener on the signal however many callbacks wait on it', () => {
    const controller = new AbortController();
    const unregister = Array.from({ length: 1_000 }, () => onAbort(controller.signal, () => {}));
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1);
    for (const remove of unregister) remove();
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });

  it('calls every registered callback in registration order when the signal aborts', () => {
    const controller = new AbortController();
    const calls: number[] = [];
    for (let i = 0; i < 3; i++) onAbort(controller.signal, () => calls.push(i));
    controller.abort();
    expect(calls).toEqual([0, 1, 2]);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });

  it('does not call a callback that was unregistered, and unregistering twice is harmless', () => {
    const controller = new AbortController();
    const calls: string[] = [];
    const removeFirst = onAbort(controller.signal, () => calls.push('first'));
    onAbort(controller.signal, () => calls.push('second'));
    removeFirst();
    removeFirst();
    controller.abort();
    expect(calls).toEqual(['second']);
  });

  it('registers afresh after the last callback left, so a reused signal still calls back', () => {
    const controller = new AbortController();
    onAbort(controller.signal, () => {})();
    const calls: string[] = [];
    onAbort(controller.signal, () => calls.push('again'));
    controller.abort();
    expect(calls).toEqual(['again']);
  });
});

describe('raceSignal on one shared signal', () => {
  it('holds one listener while thousands of races are pending and none once they settle', async () => {
    const controller = new AbortController();
    const resolvers: (() => void)[] = [];
    const races = Array.from({ length: 5_000 }, () => raceSignal(new Promise<void>((resolve) => resolvers.push(resolve)), controller.signal));
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1);
    for (const resolve of resolvers) resolve();
    await Promise.all(races);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });
});
