import { ChannelCore, ChannelImpl } from './channel-core.ts';
import type { BoundedChannelFullMode, BoundedChannelOptions } from './channel-options.ts';
import type { Channel } from './channel.ts';
import { describeValue } from '../internal/describe-value.ts';

const FULL_MODES: readonly BoundedChannelFullMode[] = ['wait', 'dropNewest', 'dropOldest', 'dropWrite'];

/**
 * Creates a channel that buffers at most `capacity` items; what a write does when the buffer is
 * full depends on `fullMode` (default `wait`: the write waits for room).
 *
 * Capacity 0 makes a rendezvous channel: nothing is buffered, and a write completes only when a
 * reader takes its item (`tryWrite` succeeds only when a reader is already waiting). .NET requires
 * capacity >= 1; 0 is the hand-off channel that Go calls unbuffered.
 *
 * @param capacityOrOptions The capacity, or options with the capacity and the full mode.
 * @throws TypeError when the capacity is not a number, `fullMode` not a string, `itemDropped`
 *   not a function, or the options not an object.
 * @throws TypeError when `name` is given and is not a string; RangeError when it is empty.
 * @throws RangeError when the capacity is not an integer >= 0 (use {@link createUnboundedChannel}
 *   for no limit), `fullMode` is not a known mode, or a drop mode is asked of capacity 0.
 * @example
 * const channel = createBoundedChannel<Job>({ capacity: 100, fullMode: 'dropOldest' });
 * await channel.writer.write(job, signal);
 * for await (const job of channel.reader.readAll(signal)) await run(job);
 */
export function createBoundedChannel<T>(capacityOrOptions: number | BoundedChannelOptions<T>): Channel<T> {
  if (typeof capacityOrOptions !== 'object' && typeof capacityOrOptions !== 'number') {
    throw new TypeError(
      `Expected capacity to be an integer >= 0 or an options object, got ${describeValue(capacityOrOptions)}`,
    );
  }
  // `null` falls through to the capacity check below, which names it.
  const options: BoundedChannelOptions<T> =
    typeof capacityOrOptions === 'number' || capacityOrOptions === null
      ? { capacity: capacityOrOptions as number }
      : capacityOrOptions;
  const { capacity, fullMode = 'wait', itemDropped } = options;
  if (typeof capacity !== 'number') {
    throw new TypeError(`Expected capacity to be an integer >= 0, got ${describeValue(capacity)}`);
  }
  if (!Number.isInteger(capacity) || capacity < 0) {
    const hint = capacity === Infinity ? '; use createUnboundedChannel for a channel without a limit' : '';
    throw new RangeError(`Expected capacity to be an integer >= 0, got ${describeValue(capacity)}${hint}`);
  }
  if (typeof fullMode !== 'string') {
    throw new TypeError(
      `Expected fullMode to be one of ${FULL_MODES.map((m) => `'${m}'`).join(', ')}, got ${describeValue(fullMode)}`,
    );
  }
  if (!FULL_MODES.includes(fullMode)) {
    throw new RangeError(
      `Expected fullMode to be one of ${FULL_MODES.map((m) => `'${m}'`).join(', ')}, got ${describeValue(fullMode)}`,
    );
  }
  if (capacity === 0 && fullMode !== 'wait') {
    throw new RangeError(
      `Expected fullMode to be 'wait' when capacity is 0 (a rendezvous channel has no buffer to drop from), got ${describeValue(fullMode)}`,
    );
  }
  if (itemDropped !== undefined && typeof itemDropped !== 'function') {
    throw new TypeError(`Expected itemDropped to be a function, got ${describeValue(itemDropped)}`);
  }
  return new ChannelImpl(new ChannelCore<T>(capacity, fullMode, itemDropped, checkChannelName(options.name)));
}

/** Checks a channel's telemetry name: undefined, or a non-empty string. */
export function checkChannelName(name: unknown): string | undefined {
  if (name === undefined) return undefined;
  if (typeof name !== 'string') throw new TypeError(`Expected name to be a non-empty string, got ${describeValue(name)}`);
  if (name === '') throw new RangeError(`Expected name to be a non-empty string, got ${describeValue(name)}`);
  return name;
}
