/**
 * A lease held on a name through {@link DistributedLock}: the right to be the only one, across
 * every process sharing the store, to do what the name stands for, for as long as
 * {@link signal} is not aborted.
 *
 * The holder renews it in the background every `renewIntervalMs` (a third of the time-to-live by
 * default). It is lost, and {@link signal} aborts with a `LeaseLostError`, when:
 * - a renewal finds another owner (the lease expired on the store, e.g. this process paused);
 * - the store cannot be reached for long enough that the lease may have expired there: the holder
 *   gives up at `sentAt + ttlMs - margin`, where `sentAt` is when it SENT its last successful
 *   renewal (or the acquisition) and margin = `ttlMs * 1% + 2 ms` (`leaseDriftMarginMs`). The
 *   store starts the time-to-live after `sentAt` by its own clock, so {@link signal} aborts before
 *   the store lets another owner in PROVIDED this process's monotonic clock runs no more than 1 %
 *   slower than the store's and its timer fires no more than 2 ms late (plus whatever of the 1 %
 *   the clocks leave unused). An event loop blocked longer than that, a paused process or VM, or
 *   work that ignores {@link signal} can still run past that moment: the fencing token is the
 *   defence there.
 *
 * Pass {@link signal} to every piece of work done under the lease, and {@link fencingToken} to
 * every resource that can check it: a process paused past its lease (a long GC pause, a frozen
 * VM) cannot know in time, but a resource that remembers the highest token it saw can refuse it.
 *
 * Release it with `await using` or {@link release}.
 */
export interface Lease extends AsyncDisposable {
  /** The name the lease is on. */
  readonly name: string;
  /** This acquisition's owner id: random, unique per acquisition. */
  readonly ownerId: string;
  /** Strictly greater than the token of every earlier acquisition of {@link name} on the same store. */
  readonly fencingToken: number;
  /**
   * Aborts when the lease is lost (reason: a `LeaseLostError`) or released (reason: a
   * `LeaseReleasedError`, which `isCancellation` recognises as a clean end).
   */
  readonly signal: AbortSignal;
  /** Whether the lease is still held, as far as this process knows. */
  readonly held: boolean;
  /**
   * Renews now, outside the background schedule.
   * @returns true when still held; false when it was lost (and {@link signal} has aborted).
   * @throws the store's error when it cannot be reached (the lease is still held until its time runs out).
   */
  renew(signal?: AbortSignal): Promise<boolean>;
  /**
   * Stops renewing and releases the lease on the store if still its owner (compare-and-delete),
   * so another process can take it at once instead of after the time-to-live. Idempotent. A
   * store that cannot be reached is logged, not thrown: the lease then simply expires.
   */
  release(signal?: AbortSignal): Promise<void>;
}
