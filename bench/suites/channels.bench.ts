/**
 * Channels: one producer, one consumer, a bounded buffer of 1,024, items 0..n-1.
 *
 * Every case moves the same items through the same shape of pipeline (a producer that waits for
 * room, a consumer that waits for items) and marks each item in a bitmap, so a case that lost or
 * duplicated an item fails the run instead of looking fast. The drain loop (batched) is judged
 * against a generator that yields batches of the same size; the one-await-per-item shapes against
 * the item-by-item generator. See bench/README.md for why each peer is fair.
 */
import { Effect, Fiber, Queue } from 'effect';
import fastq from 'fastq';
import { pushable } from 'it-pushable';
import { createBoundedChannel, type ChannelReader } from '../../packages/core/src/index.ts';
import {
  type BenchCase,
  ExactlyOnce,
  judgeFaster,
  atMost,
  formatCount,
  measureHeapGrowth,
  measureInterleaved,
  runSuite,
  speedRatio,
} from '../lib/harness.ts';

const CAPACITY = 1024;

const FOR_AWAIT = 'hostkit channel, for await';
const DRAIN = 'hostkit channel, tryWrite-first producer + waitToRead/tryRead drain';
const DRAIN_AWAITED_WRITES = 'hostkit channel, awaited writes + waitToRead/tryRead drain';
const IT_PUSHABLE = 'it-pushable, onEmpty at 1,024';
const EFFECT = 'effect Queue.bounded, offer/take fibers';
const GENERATOR = 'async generator, for await';
const BATCH_GENERATOR = 'async generator yielding batches of 1,024, for await + for of';
const FASTQ = 'fastq, concurrency 1, callback worker';
const MINIMAL_DRAIN = 'minimal hand-written channel (same API shape), tryWrite-first + drain (not a peer)';


async function hostkitForAwait(n: number): Promise<unknown> {
  const ch = createBoundedChannel<number>(CAPACITY);
  const produce = async (): Promise<void> => {
    for (let i = 0; i < n; i++) await ch.writer.write(i);
    ch.writer.complete();
  };
  const seen = new ExactlyOnce(n, FOR_AWAIT);
  const consume = async (): Promise<void> => {
    for await (const x of ch.reader) seen.see(x);
  };
  await Promise.all([produce(), consume()]);
  seen.expectAll();
  return ch;
}

async function hostkitDrain(n: number): Promise<void> {
  const ch = createBoundedChannel<number>(CAPACITY);
  const produce = async (): Promise<void> => {
    for (let i = 0; i < n; i++) await ch.writer.write(i);
    ch.writer.complete();
  };
  const seen = new ExactlyOnce(n, DRAIN_AWAITED_WRITES);
  await Promise.all([produce(), drainAll(ch.reader, seen)]);
  seen.expectAll();
}

/** The consumer of both drain-loop cases: wait for items, then take every buffered one at once. */
async function drainAll(reader: ChannelReader<number>, seen: ExactlyOnce): Promise<void> {
  while (await reader.waitToRead()) {
    let r;
    while ((r = reader.tryRead()).ok) seen.see(r.value);
  }
}

/**
 * The judged drain-loop case: the non-blocking pair on both sides, as .NET pairs
 * `WaitToWriteAsync`/`TryWrite` with `WaitToReadAsync`/`TryRead`. The producer only awaits when
 * the buffer is full, so it fills the buffer synchronously and each wake-up of the consumer drains
 * up to 1,024 items. (With an awaited write per item, the case above, the producer advances one
 * item per microtask, the consumer is woken once per item, and the drain loop has nothing to
 * batch: it is reported, not judged.)
 */
async function hostkitTryWriteDrain(n: number): Promise<void> {
  const ch = createBoundedChannel<number>(CAPACITY);
  const produce = async (): Promise<void> => {
    const writer = ch.writer;
    for (let i = 0; i < n; i++) if (!writer.tryWrite(i)) await writer.write(i);
    writer.complete();
  };
  const seen = new ExactlyOnce(n, DRAIN);
  await Promise.all([produce(), drainAll(ch.reader, seen)]);
  seen.expectAll();
}

async function itPushable(n: number): Promise<void> {
  const p = pushable<number>({ objectMode: true });
  const produce = async (): Promise<void> => {
    for (let i = 0; i < n; i++) {
      p.push(i);
      if (p.readableLength >= CAPACITY) await p.onEmpty();
    }
    p.end();
  };
  const seen = new ExactlyOnce(n, IT_PUSHABLE);
  const consume = async (): Promise<void> => {
    for await (const x of p) seen.see(x);
  };
  await Promise.all([produce(), consume()]);
  seen.expectAll();
}

/**
 * The Effect way: a bounded queue shared by a forked producer fiber and the main fiber as the
 * consumer, both written with `Effect.gen` and plain loops over `yield* Queue.offer` /
 * `yield* Queue.take`. Of the idiomatic shapes tried (also `Effect.loop` with `Effect.map`,
 * `Stream.fromQueue`, and `Effect.withMaxOpsBeforeYield` to rule out the scheduler's yields) this
 * was the fastest per item on both runtimes. The consumer takes a known count because an Effect
 * queue has no completion short of `shutdown`, which interrupts takers instead of ending them:
 * that only spares Effect the completion check the channels do.
 */
function effectQueue(n: number, seen: ExactlyOnce): Effect.Effect<void> {
  return Effect.gen(function* () {
    const queue = yield* Queue.bounded<number>(CAPACITY);
    const producer = yield* Effect.fork(
      Effect.gen(function* () {
        for (let i = 0; i < n; i++) yield* Queue.offer(queue, i);
      }),
    );
    for (let i = 0; i < n; i++) seen.see(yield* Queue.take(queue));
    yield* Fiber.join(producer);
  });
}

async function effect(n: number): Promise<void> {
  const seen = new ExactlyOnce(n, EFFECT);
  await Effect.runPromise(effectQueue(n, seen));
  seen.expectAll();
}

async function* numbers(n: number): AsyncGenerator<number> {
  for (let i = 0; i < n; i++) yield i;
}

/**
 * The fair peer of the drain loop: a generator that hands the consumer what it produced in
 * batches of the channel's capacity, so that both sides pay one await per batch, not per item.
 */
async function* batchesOf(n: number): AsyncGenerator<number[]> {
  let batch: number[] = [];
  for (let i = 0; i < n; i++) {
    batch.push(i);
    if (batch.length === CAPACITY) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length > 0) yield batch;
}

async function batchGenerator(n: number): Promise<void> {
  const seen = new ExactlyOnce(n, BATCH_GENERATOR);
  for await (const batch of batchesOf(n)) for (const x of batch) seen.see(x);
  seen.expectAll();
}

/**
 * fastq, the callback-style work queue (Node's most used: pino, fastify, chokidar's ancestors):
 * a worker `(item, callback)` at concurrency 1 that handles the item and calls back at once. The
 * producer pushes with a callback and, as the channel's producer does, waits for room when 1,024
 * items are queued (`q.length()`, then the `empty` hook); with a synchronous worker the queue
 * never fills, which is the callback style's advantage: no promise per item.
 */
async function fastqCase(n: number): Promise<void> {
  const seen = new ExactlyOnce(n, FASTQ);
  const worker = (item: number, done: (error: Error | null) => void): void => {
    seen.see(item);
    done(null);
  };
  const queue = fastq<unknown, number, void>(worker, 1);
  let failure: Error | null = null;
  const pushed = (error: Error | null): void => {
    if (error !== null) failure = error;
  };
  for (let i = 0; i < n; i++) {
    queue.push(i, pushed);
    if (queue.length() >= CAPACITY) await new Promise<void>((resolve) => (queue.empty = resolve));
  }
  if (!queue.idle()) await new Promise<void>((resolve) => (queue.drain = resolve));
  if (failure !== null) throw failure;
  seen.expectAll();
}

/**
 * The floor of the drain-loop API shape itself: the least code that offers `tryWrite` /
 * `write` / `waitToRead` / `tryRead` (a ring buffer, one parked reader and one parked writer, no
 * waiter lists, no signals, no completion errors, no drop modes), with the same producer and
 * consumer as the judged drain case. Not a peer: it says how much of the gap to the batched
 * generator is the shape (one `tryRead` result object per item) and how much is hostkit.
 */
class MinimalChannel {
  readonly #slots: (number | undefined)[] = Array.from({ length: CAPACITY }, () => undefined);
  #head = 0;
  #length = 0;
  #parkedReader: ((more: boolean) => void) | undefined;
  #parkedWriter: (() => void) | undefined;
  #done = false;

  tryWrite(item: number): boolean {
    if (this.#length === CAPACITY) return false;
    this.#slots[(this.#head + this.#length) % CAPACITY] = item;
    this.#length++;
    const reader = this.#parkedReader;
    if (reader !== undefined) {
      this.#parkedReader = undefined;
      reader(true);
    }
    return true;
  }

  write(item: number): Promise<void> {
    if (this.tryWrite(item)) return Promise.resolve();
    return new Promise<void>((resolve) => {
      this.#parkedWriter = () => {
        this.tryWrite(item);
        resolve();
      };
    });
  }

  complete(): void {
    this.#done = true;
    const reader = this.#parkedReader;
    this.#parkedReader = undefined;
    reader?.(false);
  }

  waitToRead(): Promise<boolean> {
    if (this.#length > 0) return Promise.resolve(true);
    if (this.#done) return Promise.resolve(false);
    return new Promise<boolean>((resolve) => (this.#parkedReader = resolve));
  }

  tryRead(): { readonly ok: true; readonly value: number } | { readonly ok: false } {
    if (this.#length === 0) return MINIMAL_EMPTY;
    const value = this.#slots[this.#head]!;
    this.#slots[this.#head] = undefined;
    this.#head = (this.#head + 1) % CAPACITY;
    this.#length--;
    const writer = this.#parkedWriter;
    if (writer !== undefined) {
      this.#parkedWriter = undefined;
      writer();
    }
    return { ok: true, value };
  }
}
const MINIMAL_EMPTY = { ok: false } as const;

async function minimalDrain(n: number): Promise<void> {
  const ch = new MinimalChannel();
  const seen = new ExactlyOnce(n, MINIMAL_DRAIN);
  const produce = async (): Promise<void> => {
    for (let i = 0; i < n; i++) if (!ch.tryWrite(i)) await ch.write(i);
    ch.complete();
  };
  const consume = async (): Promise<void> => {
    while (await ch.waitToRead()) {
      let r;
      while ((r = ch.tryRead()).ok) seen.see(r.value);
    }
  };
  await Promise.all([produce(), consume()]);
  seen.expectAll();
}

async function asyncGenerator(n: number): Promise<void> {
  const seen = new ExactlyOnce(n, GENERATOR);
  for await (const x of numbers(n)) seen.see(x);
  seen.expectAll();
}

await runSuite(import.meta.url, async ({ quick }) => {
  const items = quick ? 200_000 : 1_000_000;
  const heapItems = 1_000_000;
  const cases: BenchCase[] = [
    { name: FOR_AWAIT, run: hostkitForAwait },
    { name: DRAIN, run: hostkitTryWriteDrain },
    { name: DRAIN_AWAITED_WRITES, run: hostkitDrain },
    { name: IT_PUSHABLE, run: itPushable },
    { name: EFFECT, run: effect },
    { name: GENERATOR, run: asyncGenerator },
    { name: BATCH_GENERATOR, run: batchGenerator },
    { name: FASTQ, run: fastqCase },
    { name: MINIMAL_DRAIN, run: minimalDrain },
  ];
  const results = await measureInterleaved(cases, {
    items,
    rounds: quick ? 5 : 10,
    warmupRounds: 2,
    label: `channels, ${formatCount(items)} items`,
  });
  // The channel is returned and kept reachable through the second GC: what it still holds counts.
  const heapGrowthMb = await measureHeapGrowth(() => hostkitForAwait(heapItems));
  return {
    cases: results,
    ratios: [
      judgeFaster(results, 'hostkit for-await vs it-pushable', FOR_AWAIT, IT_PUSHABLE, 2),
      judgeFaster(results, 'hostkit for-await vs effect Queue', FOR_AWAIT, EFFECT, 3),
      judgeFaster(results, 'hostkit for-await vs async generator', FOR_AWAIT, GENERATOR, 0.8),
      judgeFaster(results, 'hostkit drain loop vs async generator yielding batches of 1,024', DRAIN, BATCH_GENERATOR, 0.8),
      judgeFaster(results, 'hostkit awaited writes + drain loop vs async generator (one await per item)', DRAIN_AWAITED_WRITES, GENERATOR, 1),
      atMost(`heap growth after ${formatCount(heapItems)} items through a bounded channel, MB`, heapGrowthMb, 5),
    ],
    notes: [
      `${formatCount(items)} items per sample, capacity ${formatCount(CAPACITY)}`,
      `not judged: hostkit drain loop vs fastq (callback worker, no promise per item) = ${speedRatio(results, DRAIN, FASTQ).toFixed(2)}; ` +
        `hostkit for-await vs fastq = ${speedRatio(results, FOR_AWAIT, FASTQ).toFixed(2)}`,
      `not judged: hostkit drain loop vs async generator one item at a time (the old judged peer) = ${speedRatio(results, DRAIN, GENERATOR).toFixed(2)}`,
      `the floor of the drain API shape: a minimal hand-written channel with the same calls vs the batched generator = ${speedRatio(results, MINIMAL_DRAIN, BATCH_GENERATOR).toFixed(2)}; ` +
        `hostkit drain loop vs that minimal channel = ${speedRatio(results, DRAIN, MINIMAL_DRAIN).toFixed(2)}`,
    ],
  };
});
