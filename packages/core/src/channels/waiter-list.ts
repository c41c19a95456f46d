/**
 * One pending wait on a channel: a read, a write, a `waitToRead`/`waitToWrite`, an iterator step or
 * a stream pull. Waiters are allocated only when an operation really has to wait.
 *
 * A waiter is its own abort listener (`handleEvent`), so a wait with a signal allocates no
 * closure, and it unregisters itself the moment it settles: a long-lived signal passed to many
 * waits never holds more than the current one.
 * @internal
 */
export abstract class Waiter {
  prev: Waiter | undefined = undefined;
  next: Waiter | undefined = undefined;
  /** The list this waiter is queued in; `undefined` once it was served, cancelled or closed. */
  list: WaiterList<Waiter> | undefined = undefined;
  #signal: AbortSignal | undefined = undefined;

  /** Starts listening to `signal`; the caller has checked that it is not aborted yet. */
  listen(signal: AbortSignal | undefined): void {
    if (signal === undefined) return;
    this.#signal = signal;
    signal.addEventListener('abort', this);
  }

  /** Stops listening; called by every path that settles the waiter. */
  unlisten(): void {
    const signal = this.#signal;
    if (signal === undefined) return;
    this.#signal = undefined;
    signal.removeEventListener('abort', this);
  }

  /**
   * The abort listener. A waiter still queued is withdrawn before it is rejected, in the same
   * synchronous step, so an item can never be handed to a wait that was given up: either the
   * item was delivered before the abort (the wait resolves with it) or the waiter is gone.
   */
  handleEvent(): void {
    const signal = this.#signal;
    const list = this.list;
    this.unlisten();
    if (list === undefined || signal === undefined) return;
    list.remove(this);
    this.abandon(signal.reason);
  }

  /** Rejects the wait with `reason` after it was withdrawn because its signal aborted. */
  protected abstract abandon(reason: unknown): void;
}

/**
 * An intrusive doubly-linked FIFO of waiters: O(1) push, shift and removal from the middle, so a
 * cancelled wait leaves the queue at once instead of lingering until an item or room comes along
 * (a consumer polling an idle channel with short-lived signals would otherwise grow it forever).
 * @internal
 */
export class WaiterList<W extends Waiter> {
  #head: W | undefined = undefined;
  #tail: W | undefined = undefined;
  #size = 0;

  get size(): number {
    return this.#size;
  }

  /** The waiter that has waited longest, left in place. */
  get head(): W | undefined {
    return this.#head;
  }

  push(waiter: W): void {
    waiter.list = this as WaiterList<Waiter>;
    waiter.prev = this.#tail;
    waiter.next = undefined;
    if (this.#tail === undefined) this.#head = waiter;
    else this.#tail.next = waiter;
    this.#tail = waiter;
    this.#size++;
  }

  /** Removes and returns the waiter that has waited longest. */
  shift(): W | undefined {
    const waiter = this.#head;
    if (waiter !== undefined) this.#unlink(waiter);
    return waiter;
  }

  /** @returns `false` when `waiter` is not in this list (already served, cancelled or closed). */
  remove(waiter: W): boolean {
    if (waiter.list !== (this as WaiterList<Waiter>)) return false;
    this.#unlink(waiter);
    return true;
  }

  #unlink(waiter: W): void {
    const { prev, next } = waiter;
    if (prev === undefined) this.#head = next as W | undefined;
    else prev.next = next;
    if (next === undefined) this.#tail = prev as W | undefined;
    else next.prev = prev;
    waiter.prev = undefined;
    waiter.next = undefined;
    waiter.list = undefined;
    this.#size--;
  }
}
