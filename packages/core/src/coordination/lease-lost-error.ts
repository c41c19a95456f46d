/**
 * The reason a `Lease`'s signal aborts with when the lease is lost: a renewal found another owner
 * (the lease expired on the store while this process was paused or cut off), or the store could
 * not be reached until the lease's time ran out. Work under the lease must stop: another process
 * may already be doing it.
 *
 * `cause` says why: the store's last error when it could not be reached, `undefined` when a
 * renewal answered that the lease belongs to someone else.
 */
export class LeaseLostError extends Error {
  /** Always `'LeaseLostError'`: what logs and `error.name` checks see. */
  override readonly name: string = 'LeaseLostError';

  /**
   * Creates the error; `options.cause` carries why the lease was lost (an expiry, a store error).
   * @param message What was lost and how.
   * @param options `cause`: the store error that kept the lease from being renewed, if any.
   */
  constructor(message = 'The lease was lost.', options?: ErrorOptions) {
    super(message, options);
  }
}
