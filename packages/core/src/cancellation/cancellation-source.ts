import type { Timer, TimeProvider } from '../time/time-provider.ts';
import { describeValue } from '../internal/describe-value.ts';
import { createAbortError, createTimeoutError } from './abort-errors.ts';

/** Options for {@link CancellationSource} and {@link CancellationSource.linked}. */
export interface CancellationSourceOptions {
  /**
   * The clock that measures {@link delay} and {@link CancellationSource.cancelAfter}. Required for
   * either; tests pass a `ManualTimeProvider`, hosts pass the provider they were configured with.
   * @default undefined: the source cannot time out.
   */
  timeProvider?: TimeProvider | undefined;
  /**
   * Cancel after this many ms, measured on {@link timeProvider}, with a `DOMException` named
   * `'TimeoutError'` as the reason. The same as calling `cancelAfter(delay)` right after creation.
   * @default undefined: no timeout.
   */
  delay?: number | undefined;
}

/**
 * Owns an `AbortSignal` and decides when it aborts: on request ({@link cancel}), after a delay
 * measured on an injected {@link TimeProvider} ({@link cancelAfter}), or when a parent signal aborts
 * ({@link CancellationSource.linked}). The port of .NET's `CancellationTokenSource`; the signal is
 * the token.
 *
 * ```ts
 * using source = CancellationSource.linked([stopping], { timeProvider, delay: 5_000 });
 * await fetch(url, { signal: source.signal });
 * ```
 *
 * Dispose it when the work it guards is over (`using` does that): disposal removes every listener
 * it put on parent signals and cancels its timer, so a long-lived parent such as a host's stopping
 * signal does not collect one listener per unit of work. Disposal does not abort the signal.
 *
 * Differences from .NET, on purpose:
 * - Listeners on {@link signal} run in registration order, as `AbortSignal` runs them; .NET runs
 *   cancellation callbacks newest first.
 * - A disposed source can still be cancelled with {@link cancel} (it only aborts its signal);
 *   {@link cancelAfter} on a disposed source does nothing. .NET throws `ObjectDisposedException`.
 * - A timeout, even of 0 ms, always fires from the time provider's timer, never synchronously.
 */
export class CancellationSource implements Disposable {
  readonly #controller: AbortController = new AbortController();
  readonly #timeProvider: TimeProvider | undefined;
  #timer: Timer | undefined = undefined;
  /** Delay of the armed timeout, for the timeout's message. */
  #timeoutMs = 0;
  /** Parent signals this source listens to, until it aborts or is disposed. */
  #parents: AbortSignal[] | undefined = undefined;
  #onParentAbort: ((event: Event) => void) | undefined = undefined;
  #disposed = false;

  /**
   * Creates a source whose {@link signal} is not aborted yet; with `options.delay`, it aborts by itself after that many ms.
   * @throws TypeError when `delay` is given without a `timeProvider`.
   * @throws RangeError when `delay` is not a number >= 0.
   */
  constructor(options?: CancellationSourceOptions) {
    this.#timeProvider = options?.timeProvider;
    if (options?.delay !== undefined) this.cancelAfter(options.delay);
  }

  /**
   * Creates a source whose signal aborts as soon as any of `signals` aborts, with that parent's
   * reason. A parent that has already aborted makes the source born aborted (with the reason of
   * the first such parent in iteration order). `undefined` entries are skipped, so optional signals
   * can be passed as they are.
   *
   * The source listens to each parent until it aborts or is disposed, and then removes every one
   * of those listeners: dispose it when the work is over, or a long-lived parent keeps it (and its
   * listener) alive. Aborting the source does not abort the parents.
   * @param options May add a timeout: the source then aborts on whichever comes first.
   * @throws TypeError when an entry is neither an `AbortSignal` nor `undefined`.
   */
  static linked(
    signals: Iterable<AbortSignal | undefined>,
    options?: CancellationSourceOptions,
  ): CancellationSource {
    const source = new CancellationSource(options);
    try {
      source.#link(signals);
    } catch (error) {
      source.dispose();
      throw error;
    }
    return source;
  }

  /** The signal to hand to the work this source controls. */
  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  /** Whether {@link signal} has aborted, for whatever reason. */
  get isCancellationRequested(): boolean {
    return this.#controller.signal.aborted;
  }

  /**
   * Aborts {@link signal} now, running its listeners synchronously in registration order. Later
   * calls do nothing: the first reason stays.
   * @param reason @default a `DOMException` named `'AbortError'` (see `createAbortError`).
   */
  cancel(reason: unknown = createAbortError()): void {
    this.#abort(reason);
  }

  /**
   * Aborts {@link signal} `ms` milliseconds from now, measured on the time provider, with a
   * `DOMException` named `'TimeoutError'`. Calling it again re-arms the timeout from the new call
   * (earlier or later); `Infinity` disarms it. Does nothing once the source has aborted or was
   * disposed.
   * @throws RangeError when `ms` is not a number >= 0.
   * @throws TypeError when the source was created without a `timeProvider`.
   */
  cancelAfter(ms: number): void {
    if (typeof ms !== 'number' || !(ms >= 0)) {
      throw new RangeError(`Expected ms to be a number >= 0 (Infinity: never), got ${describeValue(ms)}`);
    }
    const timeProvider = this.#timeProvider;
    if (timeProvider === undefined) {
      throw new TypeError(
        'CancellationSource.cancelAfter() needs a time provider: create the source with ' +
          '{ timeProvider } (hostkit never measures time behind your back, so tests can control it).',
      );
    }
    if (this.#disposed || this.isCancellationRequested) return;
    this.#timeoutMs = ms;
    if (this.#timer !== undefined) {
      this.#timer.change(ms);
    } else if (ms !== Infinity) {
      this.#timer = timeProvider.createTimer(this.#onTimeout, ms);
    }
  }

  /**
   * Releases what the source holds: removes its listeners from every parent signal and disposes
   * its timer. Does NOT abort {@link signal}: work that still holds it is simply no longer
   * cancelled by parents or by the timeout. Idempotent.
   */
  dispose(): void {
    this.#disposed = true;
    this.#release();
  }

  /** Calls {@link dispose}, so that `using` releases the source at the end of a block. */
  [Symbol.dispose](): void {
    this.dispose();
  }

  #link(signals: Iterable<AbortSignal | undefined>): void {
    for (const parent of signals) {
      if (parent === undefined) continue;
      if (!(parent instanceof AbortSignal)) {
        throw new TypeError(
          `Expected every linked signal to be an AbortSignal or undefined, got ${describeValue(parent)}`,
        );
      }
      if (parent.aborted) {
        this.#abort(parent.reason);
        return;
      }
      this.#onParentAbort ??= (event: Event): void => {
        const aborted = event.target as AbortSignal;
        // A synthetic 'abort' event dispatched on a signal that has not aborted is not a cancellation.
        if (aborted.aborted) this.#abort(aborted.reason);
      };
      (this.#parents ??= []).push(parent);
      parent.addEventListener('abort', this.#onParentAbort);
    }
  }

  readonly #onTimeout = (): void => {
    this.#abort(createTimeoutError(`The operation was aborted due to timeout (${this.#timeoutMs} ms)`));
  };

  #abort(reason: unknown): void {
    if (this.#controller.signal.aborted) return;
    // Released first, so listeners of the signal see a source that holds nothing any more.
    this.#release();
    this.#controller.abort(reason);
  }

  #release(): void {
    this.#timer?.dispose();
    this.#timer = undefined;
    const parents = this.#parents;
    const listener = this.#onParentAbort;
    this.#parents = undefined;
    if (parents === undefined || listener === undefined) return;
    for (const parent of parents) parent.removeEventListener('abort', listener);
  }
}
