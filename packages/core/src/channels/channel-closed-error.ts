/**
 * Thrown (as a rejection) by operations on a channel that has been completed: a `write` after
 * completion or pending when it happened, a `read` once the channel is complete and drained, and a
 * second `complete()`.
 *
 * When the channel was completed with an error, that error is the `cause`, so a consumer can tell
 * a clean end from a failed producer: `err.cause === undefined` means the writer finished cleanly.
 */
export class ChannelClosedError extends Error {
  /** Always `'ChannelClosedError'`: what logs and `error.name` checks see. */
  override readonly name: string = 'ChannelClosedError';

  /**
   * Creates the error; `options.cause` carries the reason the writer completed with, if any.
   * @param message What was attempted on the closed channel.
   * @param options `cause`: the error the channel was completed with, if any.
   */
  constructor(message = 'The channel is closed.', options?: ErrorOptions) {
    super(message, options);
  }
}
