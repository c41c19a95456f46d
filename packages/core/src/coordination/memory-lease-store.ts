import { describeValue } from '../internal/describe-value.ts';
import { systemTimeProvider } from '../time/system-time-provider.ts';
import type { TimeProvider } from '../time/time-provider.ts';
import { checkLeaseArguments, checkPositiveMs } from './lease-arguments.ts';
import type { LeaseAcquisition, LeaseStore } from './lease-store.ts';

/** Options for {@link MemoryLeaseStore}. */
export interface MemoryLeaseStoreOptions {
  /**
   * The clock leases expire on (its monotonic `timestamp()`). Tests pass a `ManualTimeProvider`.
   * @default systemTimeProvider
   */
  timeProvider?: TimeProvider | undefined;
}

/** The current holder of one name. */
interface HeldLease {
  readonly ownerId: string;
  readonly fencingToken: number;
  /** Monotonic deadline, on the time provider's `timestamp()`. */
  expiresAt: number;
}

/**
 * A {@link LeaseStore} in the process's memory: for tests, and for several components of ONE
 * process that must not run the same work at once. It coordinates nothing across processes; use
 * `RedisLeaseStore` for that.
 *
 * - Expiry is measured on the injected {@link TimeProvider}, lazily: no timers, so an idle store
 *   does no work.
 * - The fencing counter of a name outlives its leases (expiry, release): tokens only grow.
 * - Calls complete synchronously (the promise is already settled on return), so a signal only
 *   matters when it is already aborted.
 */
export class MemoryLeaseStore implements LeaseStore {
  readonly #time: TimeProvider;
  readonly #leases = new Map<string, HeldLease>();
  /** The last fencing token given out per name; kept when the lease ends. */
  readonly #tokens = new Map<string, number>();

  /**
   * Creates a store with no leases, on `options.timeProvider` (the system clock by default).
   * @throws TypeError when `timeProvider` is not a TimeProvider.
   */
  constructor(options?: MemoryLeaseStoreOptions) {
    const time = options?.timeProvider ?? systemTimeProvider;
    if (typeof time !== 'object' || time === null || typeof time.timestamp !== 'function') {
      throw new TypeError(`Expected timeProvider to be a TimeProvider, got ${describeValue(time)}`);
    }
    this.#time = time;
  }

  async tryAcquire(name: string, ownerId: string, ttlMs: number, signal?: AbortSignal): Promise<LeaseAcquisition> {
    checkLeaseArguments(name, ownerId);
    checkPositiveMs('ttlMs', ttlMs);
    signal?.throwIfAborted();
    const now = this.#time.timestamp();
    const held = this.#live(name, now);
    if (held !== undefined) {
      if (held.ownerId !== ownerId) return { acquired: false, retryAfterMs: Math.max(1, held.expiresAt - now) };
      held.expiresAt = now + ttlMs;
      return { acquired: true, fencingToken: held.fencingToken };
    }
    const fencingToken = (this.#tokens.get(name) ?? 0) + 1;
    this.#tokens.set(name, fencingToken);
    this.#leases.set(name, { ownerId, fencingToken, expiresAt: now + ttlMs });
    return { acquired: true, fencingToken };
  }

  async renew(name: string, ownerId: string, ttlMs: number, signal?: AbortSignal): Promise<boolean> {
    checkLeaseArguments(name, ownerId);
    checkPositiveMs('ttlMs', ttlMs);
    signal?.throwIfAborted();
    const now = this.#time.timestamp();
    const held = this.#live(name, now);
    if (held === undefined || held.ownerId !== ownerId) return false;
    held.expiresAt = now + ttlMs;
    return true;
  }

  async release(name: string, ownerId: string, signal?: AbortSignal): Promise<boolean> {
    checkLeaseArguments(name, ownerId, signal);
    const held = this.#live(name, this.#time.timestamp());
    if (held === undefined || held.ownerId !== ownerId) return false;
    this.#leases.delete(name);
    return true;
  }

  /** The lease on `name` if it has not expired; an expired one is removed on the way. */
  #live(name: string, now: number): HeldLease | undefined {
    const held = this.#leases.get(name);
    if (held === undefined) return undefined;
    if (now >= held.expiresAt) {
      this.#leases.delete(name);
      return undefined;
    }
    return held;
  }
}
