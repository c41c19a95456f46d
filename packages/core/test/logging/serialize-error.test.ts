import { describe, expect, it } from 'vitest';
import { maxCauseDepth, safeJsonStringify, serializeError } from '../../src/adapter-kit/index.ts';

describe('serializeError', () => {
  it('keeps the name, message, stack and own properties of an error', () => {
    const error = Object.assign(new TypeError('bad input'), { code: 'E_BAD', status: 400 });
    const serialized = serializeError(error);
    expect(serialized).toMatchObject({ name: 'TypeError', message: 'bad input', code: 'E_BAD', status: 400 });
    expect(serialized.stack).toContain('bad input');
  });

  it('follows the cause chain and keeps a cause that is not an error as it is', () => {
    const serialized = serializeError(new Error('outer', { cause: new Error('middle', { cause: { url: '/x' } }) }));
    expect(serialized.cause).toMatchObject({ name: 'Error', message: 'middle', cause: { url: '/x' } });
  });

  it('stops at a cause chain that loops, and at a chain deeper than the limit', () => {
    const looping = new Error('a');
    looping.cause = looping;
    expect(serializeError(looping).cause).toBe('[Circular]');

    let deep = new Error('0');
    for (let index = 1; index <= maxCauseDepth + 5; index++) deep = new Error(String(index), { cause: deep });
    let link: unknown = serializeError(deep);
    let depth = 0;
    while (typeof link === 'object' && link !== null && 'cause' in link) {
      link = link.cause;
      depth++;
    }
    expect(link).toBe('[Truncated]');
    expect(depth).toBe(maxCauseDepth + 1);
  });

  it('serialises the errors of an AggregateError', () => {
    const serialized = serializeError(new AggregateError([new Error('one'), 'two'], 'both failed'));
    expect(serialized.errors).toEqual([expect.objectContaining({ message: 'one' }), 'two']);
  });

  it('describes values that are not errors as NonError', () => {
    expect(serializeError('plain')).toEqual({ name: 'NonError', message: 'plain' });
    expect(serializeError(undefined)).toEqual({ name: 'NonError', message: 'undefined' });
    expect(serializeError({ code: 1n })).toEqual({ name: 'NonError', message: '{"code":"1"}' });
  });

  it('treats an object with a string message as an error, as errors from another realm are', () => {
    expect(serializeError({ name: 'RemoteError', message: 'over there' })).toEqual({ name: 'RemoteError', message: 'over there' });
  });

  it('does not throw when reading the error throws', () => {
    const hostile = new Error('hostile');
    Object.defineProperty(hostile, 'stack', {
      get() {
        throw new Error('no stack for you');
      },
    });
    expect(serializeError(hostile)).toMatchObject({ message: 'hostile', stack: '[Unreadable: no stack for you]' });
  });
});

describe('safeJsonStringify', () => {
  it('marks only references back to an ancestor as circular', () => {
    const shared = { v: 1 };
    const root: Record<string, unknown> = { left: shared, right: shared };
    root['back'] = root;
    expect(JSON.parse(safeJsonStringify(root) ?? '')).toEqual({ left: { v: 1 }, right: { v: 1 }, back: '[Circular]' });
  });

  it('returns a JSON string describing the failure when a toJSON throws', () => {
    const value = {
      toJSON() {
        throw new Error('nope');
      },
    };
    expect(JSON.parse(safeJsonStringify(value) ?? '')).toBe('[Unserializable: Error: nope]');
  });
});
