import type { TryReadResult } from './try-read-result.ts';

/**
 * The consuming side of a {@link Channel}. Any number of readers may share one channel; each item
 * goes to exactly one of them, and readers waiting at the same time are served in the order they
 * started waiting.
 *
 * Every method that waits takes an optional `signal`: aborting it gives up THAT wait only. The
 * promise rejects with `signal.reason` and no item is lost (an item is either delivered to the
 * wait before the abort or left for the next reader). A signal that is already aborted rejects at
 * once, even when an item is available. The abort listener is removed as soon as the wait
 * settles, so a long-lived signal can be passed to many waits.
 */
export abstract class ChannelReader<T> {
  /**
   * Takes the next item if one is available now. Reports empty whether or not the channel is
   * complete: use {@link waitToRead} or {@link completion} to tell "not yet" from "never".
   */
  abstract tryRead(): TryReadResult<T>;

  /** Like {@link tryRead}, but leaves the item in the channel. */
  abstract tryPeek(): TryReadResult<T>;

  /**
   * Waits until an item is available.
   *
   * Called by consumers that drain in batches: `while (await r.waitToRead(s)) while ((x = r.tryRead()).ok) ...`.
   * Resolves `true` when an item is there, which is only a hint: another reader may take it
   * first. Resolves `false` when the channel is complete and drained; rejects with the completion
   * error, as is (not wrapped), when it was completed with one.
   * @param signal Gives up this wait (rejects with `signal.reason`); the channel is unaffected.
   */
  abstract waitToRead(signal?: AbortSignal): Promise<boolean>;

  /**
   * Takes the next item, waiting for one if needed.
   * @param signal Gives up this read (rejects with `signal.reason`); an item that arrives later
   *   goes to the next reader instead, never to an abandoned read.
   * @throws ChannelClosedError (as a rejection) when the channel is complete and drained; its
   *   `cause` is the completion error, if any.
   */
  abstract read(signal?: AbortSignal): Promise<T>;

  /**
   * Iterates over items until the channel is complete and drained, for `for await`.
   *
   * The loop ends cleanly on a clean completion and throws the completion error, as is, when the
   * channel was completed with one. Leaving the loop early (`break`, `return`, a throw) stops
   * iterating but does not complete the channel: remaining items stay for other readers.
   * @param signal Ends the iteration: the pending or next step rejects with `signal.reason`
   *   (so `for await` throws it). Pass the host's stopping signal here: a loop that only polls the
   *   signal between items never notices it while waiting for one.
   */
  abstract readAll(signal?: AbortSignal): AsyncIterableIterator<T>;

  /**
   * A `ReadableStream` view of this reader, for Web Streams code (`pipeTo`, `pipeThrough`,
   * `Response` bodies).
   *
   * The stream pulls: it takes an item from the channel only when its own consumer asks for one
   * (high-water mark 0), so it never hoards items that other readers could take. It closes when
   * the channel is complete and drained, and errors with the completion error when there is one.
   *
   * Cancelling the stream only detaches it: its pending take is withdrawn without losing an item,
   * and the channel stays open for other readers and for writers. To tell producers the consumer
   * has stopped, also call {@link stop}. One edge: a take that was pending when its stream reader
   * released its lock (`releaseLock()` during a `read()`) still completes, and the item then waits
   * in the stream for the next stream reader; cancelling the stream at that point discards it,
   * as it would any chunk queued in a `ReadableStream`.
   *
   * Each call returns a new stream; several streams (and other readers) may share the channel.
   */
  abstract toReadableStream(): ReadableStream<T>;

  /**
   * The number of items a reader could take right now without waiting. For a rendezvous channel
   * (capacity 0) that is the number of writers waiting to hand over an item; for other channels
   * the number of buffered items (writers waiting for room are not counted).
   */
  abstract get count(): number;

  /**
   * Settles once the channel is complete AND every item has been read: resolves after a clean
   * completion, rejects with the completion error otherwise. Marked as handled internally, so a
   * channel completed with an error whose completion nobody observes does not cause an unhandled
   * rejection; awaiting it still rejects.
   */
  abstract get completion(): Promise<void>;

  /**
   * Tells producers that the consumer side has stopped: completes the channel as
   * `writer.tryComplete(reason)` would, so pending and later writes reject with
   * `ChannelClosedError` (cause `reason`) and `waitToWrite` reports it. Items already buffered
   * stay readable by other readers.
   *
   * Beyond .NET, where only the writer can complete a channel (dotnet/runtime#26235).
   * @param reason Why the consumer stopped; becomes the completion error. `undefined` stops cleanly.
   * @returns `false` when the channel was already complete (nothing changes), `true` otherwise.
   */
  abstract stop(reason?: unknown): boolean;

  /** Same as {@link readAll} without a signal, so a reader can be used directly in `for await`. */
  [Symbol.asyncIterator](): AsyncIterableIterator<T> {
    return this.readAll();
  }
}
