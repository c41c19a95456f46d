/**
 * Thrown (as a rejection) by a {@link WorkQueue} handle's operations once `close()` was called on
 * it, including a `receive` that was waiting when it happened. Other handles on the same queue
 * are not affected.
 */
export class WorkQueueClosedError extends Error {
  /** Always `'WorkQueueClosedError'`: what logs and `error.name` checks see. */
  override readonly name: string = 'WorkQueueClosedError';

  /**
   * Creates the error that calls on a closed queue reject with.
   * @param message Which queue, and what was attempted.
   */
  constructor(message = 'The work queue is closed.', options?: ErrorOptions) {
    super(message, options);
  }
}
