export { createBoundedChannel } from './bounded-channel.ts';
export { createUnboundedChannel } from './unbounded-channel.ts';
export type { Channel } from './channel.ts';
export { ChannelReader } from './channel-reader.ts';
export { ChannelWriter } from './channel-writer.ts';
export { ChannelClosedError } from './channel-closed-error.ts';
export type { BoundedChannelFullMode, BoundedChannelOptions, UnboundedChannelOptions } from './channel-options.ts';
export type { TryReadResult } from './try-read-result.ts';
