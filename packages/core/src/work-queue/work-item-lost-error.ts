/**
 * Thrown (as a rejection) by `ack`, `nack` and `extend` of a {@link WorkItem} whose delivery is
 * over: its visibility timeout passed and the entry was (or may be) delivered to another
 * consumer, it was already acked or nacked, or its queue handle was closed.
 *
 * The work may then be done twice (delivery is at least once): a handler that gets this should
 * drop its result if it can, and make the work idempotent anyway.
 */
export class WorkItemLostError extends Error {
  /** Always `'WorkItemLostError'`: what logs and `error.name` checks see. */
  override readonly name: string = 'WorkItemLostError';

  /**
   * Creates the error; `options.cause` carries why the delivery lost the entry.
   * @param message Which entry, and why its delivery is over.
   * @param options `cause`: the store's answer, if any.
   */
  constructor(message = 'The work item is no longer held by this delivery.', options?: ErrorOptions) {
    super(message, options);
  }
}
