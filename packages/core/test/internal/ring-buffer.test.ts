import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RingBuffer } from '../../src/internal/ring-buffer.ts';

describe('RingBuffer', () => {
  it('behaves like an array used as a deque, across growth and wrap-around', () => {
    const operation = fc.oneof(
      fc.record({ op: fc.constant('push' as const), value: fc.integer() }),
      fc.constant({ op: 'shift' as const }),
      fc.constant({ op: 'pop' as const }),
    );
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 40 }), fc.array(operation, { maxLength: 300 }), (initialCapacity, operations) => {
        const buffer = new RingBuffer<number>(initialCapacity);
        const model: number[] = [];
        // What each step returned and the length after it, from the buffer and from the model.
        const actual: (number | undefined)[] = [];
        const expected: (number | undefined)[] = [];
        for (const step of operations) {
          if (step.op === 'push') {
            buffer.push(step.value);
            model.push(step.value);
          } else if (model.length > 0) {
            actual.push(buffer.peek(), step.op === 'shift' ? buffer.shift() : buffer.pop());
            expected.push(model[0], step.op === 'shift' ? model.shift() : model.pop());
          }
          actual.push(buffer.length);
          expected.push(model.length);
        }
        while (buffer.length > 0) actual.push(buffer.shift());
        expected.push(...model);
        expect(actual).toEqual(expected);
      }),
    );
  });

  it('keeps undefined items and tells emptiness by length', () => {
    const buffer = new RingBuffer<undefined>();
    buffer.push(undefined);
    expect(buffer.length).toBe(1);
    expect(buffer.shift()).toBeUndefined();
    expect(buffer.length).toBe(0);
  });
});
