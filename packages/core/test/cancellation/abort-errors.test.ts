import { describe, expect, it } from 'vitest';
import { createAbortError, createTimeoutError } from '../../src/cancellation/index.ts';

describe('createAbortError', () => {
  it('creates a DOMException named AbortError with a default or given message', () => {
    const error = createAbortError();
    expect(error).toBeInstanceOf(DOMException);
    expect(error.name).toBe('AbortError');
    expect(error.message).toBe('This operation was aborted');
    expect(createAbortError('stopped by user').message).toBe('stopped by user');
  });
});

describe('createTimeoutError', () => {
  it('creates a DOMException named TimeoutError with a default or given message', () => {
    const error = createTimeoutError();
    expect(error).toBeInstanceOf(DOMException);
    expect(error.name).toBe('TimeoutError');
    expect(error.message).toBe('The operation was aborted due to timeout');
    expect(createTimeoutError('too slow').message).toBe('too slow');
  });
});
