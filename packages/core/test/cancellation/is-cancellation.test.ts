import { describe, expect, it } from 'vitest';
import { createAbortError, createTimeoutError, isCancellation } from '../../src/cancellation/index.ts';

describe('isCancellation', () => {
  it('recognises a DOMException named AbortError or TimeoutError as cancellation', () => {
    expect(isCancellation(createAbortError())).toBe(true);
    expect(isCancellation(createTimeoutError())).toBe(true);
    expect(isCancellation(new DOMException('x', 'AbortError'))).toBe(true);
    const controller = new AbortController();
    controller.abort();
    expect(isCancellation(controller.signal.reason)).toBe(true);
  });

  it('recognises the signal reason itself, whatever value it is, when that signal has aborted', () => {
    const controller = new AbortController();
    const reason = { code: 'SHUTDOWN' };
    expect(isCancellation(reason, controller.signal)).toBe(false);
    controller.abort(reason);
    expect(isCancellation(reason, controller.signal)).toBe(true);
    expect(isCancellation('stop', AbortSignal.abort('stop'))).toBe(true);
    expect(isCancellation(new Error('stop'), AbortSignal.abort('stop'))).toBe(false);
  });

  it('recognises an Error named AbortError, as Node APIs throw when their signal aborts', () => {
    const nodeStyle = Object.assign(new Error('The operation was aborted'), { name: 'AbortError' });
    expect(isCancellation(nodeStyle)).toBe(true);
  });

  it('treats everything else as failure', () => {
    expect(isCancellation(new Error('boom'))).toBe(false);
    expect(isCancellation(new DOMException('x', 'NotFoundError'))).toBe(false);
    expect(isCancellation(Object.assign(new Error('slow'), { name: 'TimeoutError' }))).toBe(false);
    expect(isCancellation({ name: 'AbortError' })).toBe(false);
    expect(isCancellation('AbortError')).toBe(false);
    expect(isCancellation(undefined)).toBe(false);
    expect(isCancellation(null, new AbortController().signal)).toBe(false);
    expect(isCancellation(new Error('wrapped', { cause: createAbortError() }))).toBe(false);
  });
});
