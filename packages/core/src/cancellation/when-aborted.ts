/** One promise per signal: repeated calls on a long-lived signal share a single listener. */
const pending = new WeakMap<AbortSignal, Promise<unknown>>();

/**
 * Resolves with `signal.reason` when `signal` aborts (at once if it already has). Never rejects.
 *
 * For code that has nothing to do but wait for the stop, such as a background service that only
 * reacts to events: `await whenAborted(stopping)`; or to race a wait against the stop:
 * `await Promise.race([next, whenAborted(stopping)])`.
 *
 * Every call for the same signal returns the same promise, backed by one `abort` listener, so
 * calling it in a loop does not pile listeners onto a long-lived signal. That listener stays until
 * the signal aborts (or both are garbage); to stop waiting earlier, use {@link raceSignal} instead,
 * which removes its listener as soon as the work settles.
 */
export function whenAborted(signal: AbortSignal): Promise<unknown> {
  if (signal.aborted) return Promise.resolve(signal.reason);
  let promise = pending.get(signal);
  if (promise === undefined) {
    promise = new Promise<unknown>((resolve) => {
      signal.addEventListener(
        'abort',
        () => {
          pending.delete(signal);
          resolve(signal.reason);
        },
        { once: true },
      );
    });
    pending.set(signal, promise);
  }
  return promise;
}
