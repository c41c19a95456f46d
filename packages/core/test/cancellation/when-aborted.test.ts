import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { ManualTimeProvider } from '@hostkit/core/testing';
import { whenAborted } from '../../src/cancellation/index.ts';

describe('whenAborted', () => {
  it('resolves with the reason when the signal aborts, and not before', async () => {
    const time = new ManualTimeProvider();
    const controller = new AbortController();
    let resolved: unknown = 'pending';
    void whenAborted(controller.signal).then((reason) => (resolved = reason));
    await time.flush();
    expect(resolved).toBe('pending');
    controller.abort('stopping');
    await time.flush();
    expect(resolved).toBe('stopping');
  });

  it('resolves at once with the reason when the signal has already aborted', async () => {
    await expect(whenAborted(AbortSignal.abort('done'))).resolves.toBe('done');
  });

  it('shares one listener between all calls for the same signal, so loops do not pile listeners up', async () => {
    const controller = new AbortController();
    const first = whenAborted(controller.signal);
    for (let i = 0; i < 100; i++) expect(whenAborted(controller.signal)).toBe(first);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1);
    controller.abort('x');
    await expect(first).resolves.toBe('x');
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });
});
