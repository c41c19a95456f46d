import { describe, expect, it } from 'vitest';
import { ChannelClosedError } from '../../src/channels/index.ts';

describe('ChannelClosedError', () => {
  it('is an Error named ChannelClosedError with a default message', () => {
    const error = new ChannelClosedError();
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('ChannelClosedError');
    expect(error.message).toBe('The channel is closed.');
    expect('cause' in error).toBe(false);
  });

  it('carries the completion error as its cause', () => {
    const cause = new Error('producer failed');
    const error = new ChannelClosedError('closed', { cause });
    expect(error.message).toBe('closed');
    expect(error.cause).toBe(cause);
  });
});
