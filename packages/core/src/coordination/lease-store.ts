/**
 * What {@link tryAcquire} answers: the lease was taken (with its fencing token), or another owner
 * holds it (and for how much longer, as far as the store knows).
 */
export type LeaseAcquisition =
  | { readonly acquired: true; readonly fencingToken: number }
  | { readonly acquired: false; readonly retryAfterMs: number };

/**
 * The port a store fills to back {@link DistributedLock}: three atomic operations on a named
 * lease. Everything about time on the holder's side (renewing, noticing a loss, giving up when the
 * store cannot be reached) is DistributedLock's job, done once in core; a store only keeps the
 * truth. `MemoryLeaseStore` (core) keeps it in process; `RedisLeaseStore`
 * (`@hostkit/adapters/redis`) in Redis, shared by every replica.
 *
 * Rules every store follows (the contract suite in core's tests checks them):
 * - A lease has at most one owner at a time; it expires `ttlMs` after its last acquisition or
 *   renewal, measured by the store's own clock.
 * - Each successful acquisition of a name returns a fencing token strictly greater than every
 *   token returned before for that name by that store (it survives expiry and release).
 * - `renew` and `release` act only when `ownerId` still owns the lease (compare-and-set,
 *   compare-and-delete): a late call from an owner that lost the lease never touches the lease
 *   of the next owner.
 * - Every method rejects with `signal.reason` when `signal` aborts first; an aborted call may
 *   still have taken effect in the store (the holder's timing absorbs that).
 */
export interface LeaseStore {
  /**
   * Takes the lease `name` for `ownerId` for `ttlMs` if nobody holds it. When `ownerId` already
   * holds it, this is a renewal that keeps the fencing token.
   * @returns `acquired: true` with a new fencing token, or `acquired: false` with the ms until the
   * current holder's lease expires unless renewed (> 0).
   */
  tryAcquire(name: string, ownerId: string, ttlMs: number, signal?: AbortSignal): Promise<LeaseAcquisition>;

  /** Extends the lease to `ttlMs` from now. @returns whether `ownerId` still owned it (false: lost). */
  renew(name: string, ownerId: string, ttlMs: number, signal?: AbortSignal): Promise<boolean>;

  /** Ends the lease if `ownerId` owns it. @returns whether it did (false: it had been lost already). */
  release(name: string, ownerId: string, signal?: AbortSignal): Promise<boolean>;
}
