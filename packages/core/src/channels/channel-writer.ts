/**
 * The producing side of a {@link Channel}. Any number of writers may share one channel.
 *
 * Every method that waits takes an optional `signal`: aborting it gives up THAT wait only. The
 * promise rejects with `signal.reason` and, for `write`, the item is not written. A signal that
 * is already aborted rejects at once, even when there is room. The abort listener is removed as
 * soon as the wait settles.
 */
export abstract class ChannelWriter<T> {
  /**
   * Writes `item` if that can be done without waiting.
   * @returns `true` when the item was accepted (for the drop modes, always, unless complete; the
   *   item may then be the one dropped), `false` when the channel is full in `wait` mode, when a
   *   rendezvous channel has no reader waiting, or when the channel is complete.
   */
  abstract tryWrite(item: T): boolean;

  /**
   * Waits until a write could proceed without waiting.
   *
   * Resolves `true` when there is room (a hint: another writer may take it first), `false` when
   * the channel is complete; rejects with the completion error, as is, when it was completed with
   * one. On a rendezvous channel, "room" means a reader is waiting in `read`, `for await` or a
   * stream pull; a reader waiting in `waitToRead` does not count, so pair a polling producer with
   * a blocking consumer there (or the reverse), never two polling sides.
   * @param signal Gives up this wait (rejects with `signal.reason`); the channel is unaffected.
   */
  abstract waitToWrite(signal?: AbortSignal): Promise<boolean>;

  /**
   * Writes `item`, waiting for room in `wait` mode (writers waiting together are served in order).
   * Resolves once the item is in the channel, or, on a rendezvous channel, once a reader took it.
   * @param signal Gives up this write: rejects with `signal.reason` and the item is not written.
   * @throws ChannelClosedError (as a rejection) when the channel is complete, or completes while
   *   this write waits; its `cause` is the completion error, if any.
   */
  abstract write(item: T, signal?: AbortSignal): Promise<void>;

  /**
   * Marks the channel as complete: no more items will be written. Items already buffered stay
   * readable; pending writes reject with `ChannelClosedError`, and so do pending reads once the
   * buffer is empty.
   * @param error Why the producer stopped. Readers see it: `read` rejects with a
   *   `ChannelClosedError` whose `cause` it is, `waitToRead`, `for await` and `completion` reject
   *   with it as is. `undefined` (the default) completes cleanly.
   * @throws ChannelClosedError when the channel is already complete.
   */
  abstract complete(error?: unknown): void;

  /**
   * Like {@link complete}, but returns `false` instead of throwing when the channel is already
   * complete (by the writer or by `reader.stop`).
   */
  abstract tryComplete(error?: unknown): boolean;
}
