import { ChannelCore, ChannelImpl } from './channel-core.ts';
import type { UnboundedChannelOptions } from './channel-options.ts';
import type { Channel } from './channel.ts';
import { describeValue } from '../internal/describe-value.ts';
import { checkChannelName } from './bounded-channel.ts';

/**
 * Creates a channel without a capacity limit: writes never wait and `tryWrite` succeeds until the
 * channel is complete.
 *
 * Prefer {@link createBoundedChannel} for anything fed from outside the process: an unbounded
 * buffer turns a consumer that falls behind into memory growth instead of backpressure.
 * @param options The telemetry name; see {@link UnboundedChannelOptions}.
 * @throws TypeError when `options` is given and is not an object, or `name` not a string.
 * @throws RangeError when `name` is empty.
 */
export function createUnboundedChannel<T>(options?: UnboundedChannelOptions): Channel<T> {
  if (options !== undefined && (typeof options !== 'object' || options === null)) {
    throw new TypeError(`Expected options to be an object, got ${describeValue(options)}`);
  }
  return new ChannelImpl(new ChannelCore<T>(Infinity, 'wait', undefined, checkChannelName(options?.name)));
}
