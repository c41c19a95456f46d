/**
 * What a bounded channel does with a write that finds the buffer full.
 *
 * - `wait`: the write waits for room (`tryWrite` returns `false`); waiting writers are served
 *   in the order they started waiting.
 * - `dropNewest`: the newest BUFFERED item is removed to make room; the write succeeds at once.
 * - `dropOldest`: the oldest buffered item is removed to make room; the write succeeds at once.
 * - `dropWrite`: the item being written is discarded; the write still reports success.
 */
export type BoundedChannelFullMode = 'wait' | 'dropNewest' | 'dropOldest' | 'dropWrite';

/** Options for {@link createBoundedChannel}. */
export interface BoundedChannelOptions<T> {
  /**
   * How many items the channel buffers. `0` makes a rendezvous channel: nothing is buffered and a
   * write completes only when a reader takes its item.
   */
  capacity: number;
  /**
   * What a write does when the buffer is full. Must be `wait` when `capacity` is `0`: with no
   * buffer there is nothing a drop mode could drop but the new item, which would silently turn
   * every write without a waiting reader into a loss.
   * @default 'wait'
   */
  fullMode?: BoundedChannelFullMode;
  /**
   * Called synchronously, inside the `tryWrite` or `write` that caused it, with each item a drop
   * mode discards: the removed buffered item for `dropNewest` and `dropOldest`, the new item for
   * `dropWrite`. It runs after the channel's state is updated; if it throws, the error propagates
   * to that `tryWrite` (thrown) or `write` (rejected), but the write itself has happened.
   * @default undefined (dropped items are only counted, in `Channel.droppedCount`)
   */
  itemDropped?: (item: T) => void;
  /**
   * The channel's name in telemetry: a named channel reports its depth, items written, read and
   * dropped, and how long writes waited (`hostkit.channel.*`, attribute `hostkit.channel.name`)
   * to an installed OpenTelemetry SDK. Give each channel its own name.
   * @default undefined: the channel is not measured.
   */
  name?: string | undefined;
}

/**
 * Options for {@link createUnboundedChannel}. None yet: the .NET options (single reader or writer,
 * synchronous continuations) tune thread-pool behaviour that has no counterpart on one event loop.
 * The bag exists so options can be added without changing the factory's signature.
 */
export interface UnboundedChannelOptions {
  /** The channel's name in telemetry; see {@link BoundedChannelOptions.name}. @default undefined: not measured. */
  name?: string | undefined;
}
