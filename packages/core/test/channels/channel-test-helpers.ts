/**
 * Shared by the channel suites: observe promises without awaiting them, let queued promise
 * reactions run, and count a signal's abort listeners. No timers: everything a channel does
 * settles within a few microtask turns.
 */
import { createBoundedChannel, createUnboundedChannel } from '../../src/channels/index.ts';
import type { BoundedChannelFullMode, Channel } from '../../src/channels/index.ts';

export interface Tracked<T> {
  status: 'pending' | 'fulfilled' | 'rejected';
  value?: T;
  reason?: unknown;
}

/** Observes `promise` (and marks it handled) so a test can assert on it while it may still be pending. */
export function track<T>(promise: Promise<T>): Tracked<T> {
  const tracked: Tracked<T> = { status: 'pending' };
  // Observed through `tracked`; the handlers also keep a rejection from being reported unhandled.
  void promise.then(
    (value) => {
      tracked.status = 'fulfilled';
      tracked.value = value;
    },
    (reason: unknown) => {
      tracked.status = 'rejected';
      tracked.reason = reason;
    },
  );
  return tracked;
}

/** Lets every promise reaction that is already queued, and those they queue, run. */
export async function flush(): Promise<void> {
  for (let i = 0; i < 50; i++) await Promise.resolve();
}

/** Resolves with the rejection reason of `promise`; fails when it fulfils instead. */
export async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('Expected the promise to reject, but it fulfilled');
}

/** An AbortController whose signal reports how many abort listeners are registered on it. */
export function listenedController(): { controller: AbortController; signal: AbortSignal; listeners: () => number } {
  const controller = new AbortController();
  const signal = controller.signal;
  const registered = new Set<unknown>();
  signal.addEventListener = ((type: string, listener: EventListenerOrEventListenerObject | null, options?: boolean | AddEventListenerOptions): void => {
    if (type === 'abort') registered.add(listener);
    EventTarget.prototype.addEventListener.call(signal, type, listener, options);
  }) as AbortSignal['addEventListener'];
  signal.removeEventListener = ((type: string, listener: EventListenerOrEventListenerObject | null, options?: boolean | EventListenerOptions): void => {
    if (type === 'abort') registered.delete(listener);
    EventTarget.prototype.removeEventListener.call(signal, type, listener, options);
  }) as AbortSignal['removeEventListener'];
  return { controller, signal, listeners: () => registered.size };
}

/** One way to create a channel, as the contract suite and the property tests iterate over them. */
export interface ChannelKind {
  readonly name: string;
  /** 0 for rendezvous, Infinity for unbounded. */
  readonly capacity: number;
  readonly fullMode: BoundedChannelFullMode;
  create<T>(itemDropped?: (item: T) => void): Channel<T>;
}

function bounded(capacity: number, fullMode: BoundedChannelFullMode): ChannelKind {
  return {
    name: capacity === 0 ? 'rendezvous channel' : `bounded channel (capacity ${capacity}, ${fullMode})`,
    capacity,
    fullMode,
    create: <T>(itemDropped?: (item: T) => void) =>
      createBoundedChannel<T>(itemDropped === undefined ? { capacity, fullMode } : { capacity, fullMode, itemDropped }),
  };
}

export const CHANNEL_KINDS: readonly ChannelKind[] = [
  bounded(1, 'wait'),
  bounded(3, 'wait'),
  bounded(3, 'dropNewest'),
  bounded(3, 'dropOldest'),
  bounded(3, 'dropWrite'),
  bounded(0, 'wait'),
  { name: 'unbounded channel', capacity: Infinity, fullMode: 'wait', create: <T>() => createUnboundedChannel<T>() },
];
