import type { ConsoleRuntime, StopSignal } from './console-runtime.ts';

/** One subscription; an object of its own, so the same function may subscribe twice. */
interface Subscriber {
  readonly onSignal: (signal: StopSignal) => void;
}

/**
 * One process-level registration of the stop signals, shared by every console lifetime of a
 * runtime: the first subscriber installs one listener per signal, each signal is handed to every
 * subscriber in subscription order, and the last one to leave removes the listeners, which
 * gives the signals back their default action (end the process).
 *
 * Why shared: several hosts may run in one process (tests do). With one listener each, a host
 * that stops would take away nothing from the others, but the listener count would grow with
 * every host, and Node warns past ten listeners for a signal.
 */
export class SignalFanOut {
  readonly #runtime: ConsoleRuntime;
  readonly #subscribers = new Set<Subscriber>();
  readonly #listeners = new Map<StopSignal, () => void>();

  constructor(runtime: ConsoleRuntime) {
    this.#runtime = runtime;
  }

  /** How many subscriptions are live. */
  get subscriberCount(): number {
    return this.#subscribers.size;
  }

  /**
   * Calls `onSignal` with each stop signal the process receives until the result is disposed.
   * The first subscription installs the process listeners.
   * @throws whatever the runtime throws for a signal it cannot listen for; nothing stays installed.
   */
  subscribe(onSignal: (signal: StopSignal) => void): Disposable {
    const subscriber: Subscriber = { onSignal };
    if (this.#subscribers.size === 0) this.#install();
    this.#subscribers.add(subscriber);
    return {
      [Symbol.dispose]: (): void => {
        if (this.#subscribers.delete(subscriber) && this.#subscribers.size === 0) this.#uninstall();
      },
    };
  }

  #install(): void {
    try {
      for (const signal of this.#runtime.stopSignals) {
        const listener = (): void => {
          this.#dispatch(signal);
        };
        this.#runtime.addSignalListener(signal, listener);
        this.#listeners.set(signal, listener);
      }
    } catch (error) {
      this.#uninstall();
      throw error;
    }
  }

  #uninstall(): void {
    for (const [signal, listener] of this.#listeners) this.#runtime.removeSignalListener(signal, listener);
    this.#listeners.clear();
  }

  #dispatch(signal: StopSignal): void {
    // Live iteration: a subscriber removed while the signal is handed out is skipped.
    for (const subscriber of this.#subscribers) subscriber.onSignal(signal);
  }
}

const fanOuts = new WeakMap<ConsoleRuntime, SignalFanOut>();

/** The one {@link SignalFanOut} of `runtime` in this process. */
export function signalFanOutOf(runtime: ConsoleRuntime): SignalFanOut {
  let fanOut = fanOuts.get(runtime);
  if (fanOut === undefined) {
    fanOut = new SignalFanOut(runtime);
    fanOuts.set(runtime, fanOut);
  }
  return fanOut;
}
