import { onAbort } from './abort-fanout.ts';

/**
 * Settles like `promise`, unless `signal` aborts first: then it rejects with `signal.reason`
 * straight away.
 *
 * Use it to stop WAITING for work that does not take a signal itself. The work is not stopped,
 * only abandoned: it runs on, and whatever it settles with later is ignored; a later rejection is
 * handled here, so it never becomes an unhandled rejection.
 *
 * The abort callback is removed as soon as either side settles, so racing many promises against
 * one long-lived signal leaves no listeners behind; all races on one signal share a single
 * listener, so racing thousands of promises at once stays linear.
 * @param signal No signal: the result simply follows `promise`. Already aborted: rejects at once.
 */
export function raceSignal<T>(promise: PromiseLike<T>, signal?: AbortSignal): Promise<T> {
  // Promise.resolve adopts any thenable, and turns a `then` that throws into a rejection.
  const work = Promise.resolve(promise);
  if (signal === undefined) return work;
  if (signal.aborted) {
    // Abandoned: its outcome is nobody's to handle any more, and the handler makes sure a later
    // rejection is not reported as unhandled. The chained promise always fulfils.
    void work.then(undefined, ignore);
    return Promise.reject(signal.reason);
  }
  return new Promise<T>((resolve, reject) => {
    const unregister = onAbort(signal, () => reject(signal.reason));
    // Both outcomes are handled here, so the chained promise always fulfils.
    void work.then(
      (value) => {
        unregister();
        resolve(value);
      },
      (error: unknown) => {
        unregister();
        // After an abort this is a no-op: the race is already lost, and the rejection is handled.
        reject(error);
      },
    );
  });
}

function ignore(): void {}
