import type { Logger } from '../logging/logger.ts';
import { recordLeaseAcquired, recordLeaseEnded } from '../telemetry/lease-telemetry.ts';
import type { Timer, TimeProvider } from '../time/time-provider.ts';
import type { Lease } from './lease.ts';
import type { LeaseStore } from './lease-store.ts';
import { LeaseLostError } from './lease-lost-error.ts';
import { LeaseReleasedError } from './lease-released-error.ts';
import { leaseDriftMarginMs } from './lease-drift-margin.ts';

/** What {@link StoreLease} needs from the lock that acquired it. */
export interface StoreLeaseInit {
  readonly store: LeaseStore;
  readonly name: string;
  readonly ownerId: string;
  readonly fencingToken: number;
  readonly ttlMs: number;
  readonly renewIntervalMs: number;
  readonly timeProvider: TimeProvider;
  readonly logger: Logger;
  /** Timestamp (on the time provider) at which the acquisition that succeeded was SENT. */
  readonly acquiredSentAt: number;
}

/**
 * The {@link Lease} that `DistributedLock` hands out: renews itself on the store and watches its
 * own deadline. Internal: only the {@link Lease} interface is exported.
 *
 * Two timers, both disposed as soon as the lease ends (lost or released):
 * - the renewal timer, one-shot and re-armed `renewIntervalMs` after each attempt ends, so a slow
 *   store never gets overlapping renewals;
 * - the deadline timer, at `ttlMs - margin` after the last successful renewal was SENT, where
 *   margin = {@link leaseDriftMarginMs} (1 % of `ttlMs` + 2 ms, as Redlock): the store measured its
 *   expiry from some moment after the send, and the margin covers this clock running up to 1 %
 *   slower than the store's plus 2 ms of timer lateness, so this side signals the loss before the
 *   store lets another owner in, even when a renewal call hangs.
 */
export class StoreLease implements Lease {
  readonly name: string;
  readonly ownerId: string;
  readonly fencingToken: number;
  readonly #store: LeaseStore;
  readonly #ttlMs: number;
  /** How long after a renewal was sent the holder gives the lease up: ttl minus the drift margin. */
  readonly #validityMs: number;
  readonly #renewIntervalMs: number;
  readonly #time: TimeProvider;
  readonly #logger: Logger;
  readonly #controller = new AbortController();
  readonly #renewTimer: Timer;
  readonly #deadlineTimer: Timer;
  #deadline: number;
  #state: 'held' | 'lost' | 'released' = 'held';
  /** The last error a background renewal met, the cause of a loss by deadline. */
  #lastError: unknown = undefined;
  #release: Promise<void> | undefined = undefined;

  constructor(init: StoreLeaseInit) {
    this.name = init.name;
    this.ownerId = init.ownerId;
    this.fencingToken = init.fencingToken;
    this.#store = init.store;
    this.#ttlMs = init.ttlMs;
    this.#renewIntervalMs = init.renewIntervalMs;
    this.#time = init.timeProvider;
    this.#logger = init.logger;
    this.#validityMs = Math.max(0, init.ttlMs - leaseDriftMarginMs(init.ttlMs));
    this.#deadline = init.acquiredSentAt + this.#validityMs;
    this.#deadlineTimer = this.#time.createTimer(this.#onDeadline, Math.max(0, this.#deadline - this.#time.timestamp()));
    this.#renewTimer = this.#time.createTimer(this.#onRenewDue, this.#renewIntervalMs);
    recordLeaseAcquired(this);
  }

  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  get held(): boolean {
    return this.#state === 'held';
  }

  async renew(signal?: AbortSignal): Promise<boolean> {
    if (this.#state !== 'held') return false;
    const sentAt = this.#time.timestamp();
    const owned = await this.#store.renew(this.name, this.ownerId, this.#ttlMs, signal);
    return this.#settleRenewal(owned, sentAt);
  }

  release(signal?: AbortSignal): Promise<void> {
    this.#release ??= this.#doRelease(signal);
    return this.#release;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.release();
  }

  async #doRelease(signal: AbortSignal | undefined): Promise<void> {
    if (this.#state !== 'held') return;
    this.#end('released', new LeaseReleasedError(`The lease "${this.name}" was released.`));
    try {
      await this.#store.release(this.name, this.ownerId, signal);
    } catch (error) {
      this.#logger.warn(`Could not release the lease "${this.name}"; it will expire in at most ${this.#ttlMs} ms`, {
        error,
        lease: this.name,
        fencingToken: this.fencingToken,
      });
    }
  }

  /** Applies a renewal's answer; `sentAt` is when it was sent. @returns whether the lease is still held. */
  #settleRenewal(owned: boolean, sentAt: number): boolean {
    if (this.#state !== 'held') return false;
    if (!owned) {
      this.#end('lost', new LeaseLostError(`The lease "${this.name}" was lost: another owner holds it, or it expired on the store.`));
      this.#logger.warn(`Lost the lease "${this.name}": another owner holds it, or it expired on the store`, {
        lease: this.name,
        fencingToken: this.fencingToken,
      });
      return false;
    }
    // An answer that overtook a later one must not move the deadline back.
    if (sentAt + this.#validityMs > this.#deadline) {
      this.#deadline = sentAt + this.#validityMs;
      this.#deadlineTimer.change(Math.max(0, this.#deadline - this.#time.timestamp()));
    }
    this.#lastError = undefined;
    return true;
  }

  readonly #onRenewDue = (): void => {
    // Every outcome is handled inside: a failure is logged and retried on the next tick.
    void this.#renewInBackground().catch((error: unknown) => {
      this.#logger.error(`Renewing the lease "${this.name}" failed unexpectedly`, { error, lease: this.name });
    });
  };

  async #renewInBackground(): Promise<void> {
    if (this.#state !== 'held') return;
    const sentAt = this.#time.timestamp();
    try {
      const owned = await this.#store.renew(this.name, this.ownerId, this.#ttlMs, this.signal);
      this.#settleRenewal(owned, sentAt);
    } catch (error) {
      if (this.#state !== 'held') return;
      this.#lastError = error;
      const left = Math.max(0, this.#deadline - this.#time.timestamp());
      this.#logger.warn(`Could not renew the lease "${this.name}"; retrying, ${left} ms left before it is given up`, {
        error,
        lease: this.name,
        fencingToken: this.fencingToken,
      });
    }
    if (this.#state === 'held') this.#renewTimer.change(this.#renewIntervalMs);
  }

  readonly #onDeadline = (): void => {
    if (this.#state !== 'held') return;
    const cause = this.#lastError;
    this.#end(
      'lost',
      new LeaseLostError(
        `The lease "${this.name}" was lost: it could not be renewed within its time-to-live (${this.#ttlMs} ms).`,
        cause === undefined ? undefined : { cause },
      ),
    );
    this.#logger.warn(`Lost the lease "${this.name}": it could not be renewed within ${this.#ttlMs} ms`, {
      error: cause,
      lease: this.name,
      fencingToken: this.fencingToken,
    });
  };

  /** Stops every timer, then aborts the signal: listeners see a lease that holds nothing any more. */
  #end(state: 'lost' | 'released', reason: unknown): void {
    this.#state = state;
    recordLeaseEnded(this, state);
    this.#renewTimer.dispose();
    this.#deadlineTimer.dispose();
    this.#controller.abort(reason);
  }
}
