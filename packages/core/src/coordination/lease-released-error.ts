/**
 * The reason a `Lease`'s signal aborts with when its holder releases it (`release()`,
 * `await using`): a clean end, not a failure.
 *
 * A `DOMException` named `'AbortError'`, so that `isCancellation` (and anything else that knows
 * abort errors) treats work stopped by it as cancelled, not faulted; `instanceof
 * LeaseReleasedError` still tells it from other cancellations.
 */
export class LeaseReleasedError extends DOMException {
  /**
   * Creates the error that a released lease's signal is aborted with.
   * @param message What was released.
   */
  constructor(message = 'The lease was released.') {
    super(message, 'AbortError');
  }
}
