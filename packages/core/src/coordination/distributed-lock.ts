import { describeValue } from '../internal/describe-value.ts';
import type { Logger } from '../logging/logger.ts';
import { nullLogger } from '../logging/null-logger.ts';
import { systemTimeProvider } from '../time/system-time-provider.ts';
import type { TimeProvider } from '../time/time-provider.ts';
import type { Lease } from './lease.ts';
import { checkLeaseKey, checkPositiveMs } from './lease-arguments.ts';
import type { LeaseStore } from './lease-store.ts';
import { StoreLease } from './store-lease.ts';

/** How long a lease lasts and how often it is renewed. */
export interface LeaseOptions {
  /**
   * How long the lease lasts on the store after each acquisition or renewal, in ms. It is also how
   * long another process waits to take over after this one dies without releasing.
   */
  readonly ttlMs: number;
  /** How often the holder renews, in ms; less than `ttlMs`. @default ttlMs / 3 */
  readonly renewIntervalMs?: number | undefined;
}

/** {@link LeaseOptions} for {@link DistributedLock.acquire}, which waits. */
export interface AcquireLeaseOptions extends LeaseOptions {
  /**
   * The longest wait between two attempts, in ms. A waiter retries sooner when the store says the
   * holder's lease expires sooner, so a dead holder is replaced as soon as its lease runs out; this
   * bounds how long a waiter takes to notice a RELEASED lease.
   * @default ttlMs / 3
   */
  readonly retryIntervalMs?: number | undefined;
}

/** Options for {@link DistributedLock}. */
export interface DistributedLockOptions {
  /** The clock renewals, deadlines and retries run on. @default systemTimeProvider */
  timeProvider?: TimeProvider | undefined;
  /** Where failed renewals, lost leases and store errors are logged. @default nullLogger */
  logger?: Logger | undefined;
}

/**
 * Mutual exclusion across processes: at most one holder of a name at a time, among every process
 * sharing the {@link LeaseStore}, for as long as its {@link Lease} holds. For leader election
 * (one replica runs the scheduler), for exclusive jobs (one migration at a time).
 *
 * ```ts
 * const lock = new DistributedLock(store, { timeProvider, logger });
 * await using lease = await lock.acquire('nightly-report', { ttlMs: 15_000 }, stopping);
 * await buildReport({ signal: lease.signal, fencingToken: lease.fencingToken });
 * ```
 *
 * The lock does the holder's share of the work once for every store: it renews the lease in the
 * background, watches its deadline, and aborts `lease.signal` as soon as the lease may belong to
 * someone else (see {@link Lease}). A lease is never a guarantee against a process that is paused
 * past its deadline; give {@link Lease.fencingToken} to the resources that can check it.
 */
export class DistributedLock {
  readonly #store: LeaseStore;
  readonly #time: TimeProvider;
  readonly #logger: Logger;

  /**
   * Creates a lock over `store`; the options give its clock and logger.
   * @throws TypeError when `store` is not a LeaseStore or `timeProvider` not a TimeProvider.
   */
  constructor(store: LeaseStore, options?: DistributedLockOptions) {
    if (typeof store !== 'object' || store === null || typeof store.tryAcquire !== 'function' || typeof store.renew !== 'function' || typeof store.release !== 'function') {
      throw new TypeError(`Expected store to be a LeaseStore, got ${describeValue(store)}`);
    }
    const time = options?.timeProvider ?? systemTimeProvider;
    if (typeof time !== 'object' || time === null || typeof time.createTimer !== 'function') {
      throw new TypeError(`Expected timeProvider to be a TimeProvider, got ${describeValue(time)}`);
    }
    this.#store = store;
    this.#time = time;
    this.#logger = options?.logger ?? nullLogger;
  }

  /**
   * Takes the lease `name` if nobody holds it; does not wait.
   * @returns the lease, renewing in the background; `undefined` when another owner holds it.
   * @throws TypeError or RangeError (as a rejection) for a bad name or options; the store's error
   *   when it cannot be reached; `signal.reason` when `signal` aborts first.
   */
  async tryAcquire(name: string, options: LeaseOptions, signal?: AbortSignal): Promise<Lease | undefined> {
    checkLeaseKey('name', name);
    const { ttlMs, renewIntervalMs } = resolveLeaseOptions(options);
    signal?.throwIfAborted();
    const ownerId = crypto.randomUUID();
    const sentAt = this.#time.timestamp();
    const result = await this.#store.tryAcquire(name, ownerId, ttlMs, signal);
    if (!result.acquired) return undefined;
    return this.#lease(name, ownerId, result.fencingToken, ttlMs, renewIntervalMs, sentAt);
  }

  /**
   * Waits until the lease `name` can be taken, then takes it. Between attempts it sleeps until the
   * holder's lease would expire, or `retryIntervalMs`, whichever is shorter. A store that cannot be
   * reached is logged at warn and retried every `retryIntervalMs`, never thrown: a replica waiting
   * for leadership must survive an outage of the store.
   * @param signal Aborted to stop waiting (the host's stopping signal).
   * @throws TypeError or RangeError (as a rejection) for a bad name or options; `signal.reason`
   *   when `signal` aborts first.
   */
  async acquire(name: string, options: AcquireLeaseOptions, signal: AbortSignal): Promise<Lease> {
    checkLeaseKey('name', name);
    const { ttlMs, renewIntervalMs } = resolveLeaseOptions(options);
    const retryIntervalMs = options.retryIntervalMs === undefined ? ttlMs / 3 : checkPositiveMs('retryIntervalMs', options.retryIntervalMs);
    if (!(signal instanceof AbortSignal)) {
      throw new TypeError(`Expected signal to be an AbortSignal, got ${describeValue(signal)}`);
    }
    // One owner id for every attempt: an attempt whose answer was lost but that took effect on the
    // store is then renewed, not fought, by the next attempt.
    const ownerId = crypto.randomUUID();
    let failures = 0;
    for (;;) {
      signal.throwIfAborted();
      const sentAt = this.#time.timestamp();
      let wait: number;
      try {
        const result = await this.#store.tryAcquire(name, ownerId, ttlMs, signal);
        if (result.acquired) {
          if (failures > 0) this.#logger.info(`The lease store answers again; acquired "${name}"`, { lease: name });
          return this.#lease(name, ownerId, result.fencingToken, ttlMs, renewIntervalMs, sentAt);
        }
        failures = 0;
        wait = Math.max(1, Math.min(result.retryAfterMs, retryIntervalMs));
      } catch (error) {
        if (signal.aborted) throw signal.reason;
        failures += 1;
        this.#logger.warn(`Could not reach the lease store to acquire "${name}"; retrying in ${retryIntervalMs} ms`, {
          error,
          lease: name,
          attempt: failures,
        });
        wait = retryIntervalMs;
      }
      await this.#time.delay(wait, signal);
    }
  }

  #lease(name: string, ownerId: string, fencingToken: number, ttlMs: number, renewIntervalMs: number, acquiredSentAt: number): Lease {
    return new StoreLease({
      store: this.#store,
      name,
      ownerId,
      fencingToken,
      ttlMs,
      renewIntervalMs,
      timeProvider: this.#time,
      logger: this.#logger,
      acquiredSentAt,
    });
  }
}

/**
 * Checks lease options and fills in the default renewal interval.
 * @throws TypeError when `options` is not an object or a duration is not a number.
 * @throws RangeError when a duration is not finite and > 0, or `renewIntervalMs` is not less than `ttlMs`.
 */
function resolveLeaseOptions(options: LeaseOptions): { ttlMs: number; renewIntervalMs: number } {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`Expected options to be an object with ttlMs, got ${describeValue(options)}`);
  }
  const ttlMs = checkPositiveMs('ttlMs', options.ttlMs);
  if (options.renewIntervalMs === undefined) return { ttlMs, renewIntervalMs: ttlMs / 3 };
  const renewIntervalMs = checkPositiveMs('renewIntervalMs', options.renewIntervalMs);
  if (!(renewIntervalMs < ttlMs)) {
    throw new RangeError(`Expected renewIntervalMs to be less than ttlMs (${ttlMs}), got ${describeValue(renewIntervalMs)}`);
  }
  return { ttlMs, renewIntervalMs };
}
