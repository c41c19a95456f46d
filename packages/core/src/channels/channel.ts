import type { ChannelReader } from './channel-reader.ts';
import type { ChannelWriter } from './channel-writer.ts';

/**
 * An async queue between producers and consumers: a {@link ChannelWriter} and a
 * {@link ChannelReader} over one buffer. Create one with `createBoundedChannel` or
 * `createUnboundedChannel`; hand the writer to producers and the reader to consumers.
 */
export interface Channel<T> {
  /** The consumers' side: reads, waits for items, sees completion. */
  readonly reader: ChannelReader<T>;
  /** The producers' side: writes (waiting or dropping when full), completes the channel. */
  readonly writer: ChannelWriter<T>;
  /**
   * How many items the channel's full mode has discarded so far (each one also went to
   * `itemDropped`, if given). Always `0` for `wait` mode and unbounded channels. Beyond .NET,
   * which leaves counting to the callback.
   */
  readonly droppedCount: number;
}
