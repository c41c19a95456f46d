import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ChannelClosedError } from '../../src/channels/index.ts';
import type { Channel } from '../../src/channels/index.ts';
import { CHANNEL_KINDS, flush, track } from './channel-test-helpers.ts';

/**
 * Random interleavings of producers and consumers, with random cancellations and a random
 * completion, on every channel kind. fast-check's scheduler decides which of the pending steps
 * (each producer's and consumer's next operation, each abort, the completion) runs next, and
 * shrinks a failure to a minimal schedule.
 *
 * What must hold whatever the interleaving:
 * - no loss: every item whose write succeeded is read exactly once, or is still buffered at the
 *   end, or (drop modes) was reported dropped;
 * - nothing invented: nothing is read or dropped that was not successfully written (in
 *   particular, nothing from a cancelled write);
 * - no duplicates;
 * - per-producer order: each consumer sees each producer's items in the order they were written;
 * - only expected errors: the abort reason, ChannelClosedError, or the completion error.
 */

type ProducerOp = { readonly mode: 'write' | 'tryWrite' | 'waitToWrite'; readonly cancel: boolean };
type ConsumerOp = {
  readonly mode: 'read' | 'tryRead' | 'waitToRead' | 'iterate' | 'stream';
  readonly take: number;
  readonly cancel: boolean;
};

const producerOp: fc.Arbitrary<ProducerOp> = fc.record({
  mode: fc.constantFrom('write', 'write', 'tryWrite', 'waitToWrite'),
  cancel: fc.boolean(),
});
const consumerOp: fc.Arbitrary<ConsumerOp> = fc.record({
  mode: fc.constantFrom('read', 'tryRead', 'waitToRead', 'iterate', 'stream'),
  take: fc.integer({ min: 1, max: 3 }),
  cancel: fc.boolean(),
});

const CANCELLED = new Error('cancelled by the test');
const FAILED = new Error('completed with an error by the test');

describe('channels under random interleavings', () => {
  it.each(CHANNEL_KINDS.map((kind) => [kind.name, kind] as const))(
    '%s loses, duplicates and reorders nothing, with cancellations and completion',
    async (_name, kind) => {
      await fc.assert(
        fc.asyncProperty(
          fc.scheduler(),
          fc.array(fc.array(producerOp, { maxLength: 6 }), { minLength: 1, maxLength: 3 }),
          fc.array(fc.array(consumerOp, { maxLength: 6 }), { minLength: 1, maxLength: 3 }),
          fc.option(fc.record({ withError: fc.boolean(), byReader: fc.boolean() })),
          async (s, producers, consumers, completion) => {
            const dropped: number[] = [];
            const channel: Channel<number> = kind.create<number>((item) => dropped.push(item));
            const { reader, writer } = channel;
            const written: number[] = [];
            const received: number[][] = consumers.map(() => []);
            const unexpected: unknown[] = [];
            const expectError = (error: unknown): void => {
              if (error !== CANCELLED && error !== FAILED && !(error instanceof ChannelClosedError)) unexpected.push(error);
            };
            const turn = (): Promise<void> => s.schedule(Promise.resolve());
            /** A signal the scheduler aborts at a point of its choosing, or none. */
            const maybeCancelled = (cancel: boolean): AbortSignal | undefined => {
              if (!cancel) return undefined;
              const controller = new AbortController();
              void turn().then(() => controller.abort(CANCELLED));
              return controller.signal;
            };

            const produce = async (ops: readonly ProducerOp[], producer: number): Promise<void> => {
              for (const [sequence, op] of ops.entries()) {
                await turn();
                const item = producer * 100 + sequence;
                const signal = maybeCancelled(op.cancel);
                try {
                  if (op.mode === 'write') {
                    await writer.write(item, signal);
                    written.push(item);
                  } else if (op.mode === 'tryWrite') {
                    if (writer.tryWrite(item)) written.push(item);
                  } else if ((await writer.waitToWrite(signal)) && writer.tryWrite(item)) {
                    written.push(item);
                  }
                } catch (error) {
                  expectError(error);
                }
              }
            };

            const consume = async (ops: readonly ConsumerOp[], into: number[]): Promise<void> => {
              for (const op of ops) {
                await turn();
                const signal = maybeCancelled(op.cancel);
                try {
                  if (op.mode === 'read') {
                    into.push(await reader.read(signal));
                  } else if (op.mode === 'tryRead') {
                    const result = reader.tryRead();
                    if (result.ok) into.push(result.value);
                  } else if (op.mode === 'waitToRead') {
                    if (await reader.waitToRead(signal)) {
                      const result = reader.tryRead();
                      if (result.ok) into.push(result.value);
                    }
                  } else if (op.mode === 'iterate') {
                    let taken = 0;
                    for await (const item of reader.readAll(signal)) {
                      into.push(item);
                      if (++taken === op.take) break;
                    }
                  } else {
                    const streamReader = reader.toReadableStream().getReader();
                    if (op.cancel) void turn().then(() => streamReader.cancel(CANCELLED).catch(expectError));
                    try {
                      for (let taken = 0; taken < op.take; taken++) {
                        const result = await streamReader.read();
                        if (result.done) break;
                        into.push(result.value);
                      }
                    } finally {
                      await streamReader.cancel().catch(expectError);
                    }
                  }
                } catch (error) {
                  expectError(error);
                }
              }
            };

            if (completion !== null) {
              const error = completion.withError ? FAILED : undefined;
              void turn().then(() => (completion.byReader ? reader.stop(error) : writer.tryComplete(error)));
            }
            const tasks = [
              ...producers.map((ops, producer) => produce(ops, producer)),
              ...consumers.map((ops, consumer) => consume(ops, received[consumer] as number[])),
            ];
            await s.waitIdle();
            // Whatever still waits on the channel (a full buffer, an absent reader) ends here.
            writer.tryComplete();
            await s.waitFor(Promise.all(tasks));

            const leftovers: number[] = [];
            for (let result = reader.tryRead(); result.ok; result = reader.tryRead()) leftovers.push(result.value);
            const read = [...received.flat(), ...leftovers];
            const accounted = [...read, ...dropped];

            expect(unexpected).toEqual([]);
            expect(new Set(accounted).size).toBe(accounted.length);
            expect(sorted(accounted)).toEqual(sorted(written));
            for (const sequence of [...received, leftovers]) {
              for (let producer = 0; producer < producers.length; producer++) {
                const mine = sequence.filter((item) => Math.floor(item / 100) === producer);
                expect(mine).toEqual(sorted(mine));
              }
            }
            expect(channel.droppedCount).toBe(dropped.length);
            expect(kind.fullMode === 'wait' ? dropped : []).toEqual([]);
            expect(reader.count).toBe(0);
            const settled = track(reader.completion);
            await flush();
            expect(settled.status).not.toBe('pending');
          },
        ),
        { numRuns: 150 },
      );
    },
  );
});

function sorted(items: readonly number[]): number[] {
  return [...items].sort((a, b) => a - b);
}
