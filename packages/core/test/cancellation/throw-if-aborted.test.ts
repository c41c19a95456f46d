import { describe, expect, it } from 'vitest';
import { throwIfAborted } from '../../src/cancellation/index.ts';

describe('throwIfAborted', () => {
  it('does nothing when there is no signal or it has not aborted', () => {
    expect(() => throwIfAborted()).not.toThrow();
    expect(() => throwIfAborted(undefined)).not.toThrow();
    expect(() => throwIfAborted(new AbortController().signal)).not.toThrow();
  });

  it('throws the reason itself, whatever value it is, when the signal has aborted', () => {
    const reason = new Error('stop');
    expect(() => throwIfAborted(AbortSignal.abort(reason))).toThrow(reason);
    let thrown: unknown;
    try {
      throwIfAborted(AbortSignal.abort(42));
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBe(42);
  });
});
