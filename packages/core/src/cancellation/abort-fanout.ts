/**
 * One abort listener per signal, fanning out to any number of callbacks.
 *
 * Why: a host stopping 10,000 services races each stop against ONE shutdown signal. With an
 * `addEventListener`/`removeEventListener` pair per race, the signal holds 10,000 listeners at
 * once and every removal scans that list (quadratic: seconds for a concurrent stop). Here the
 * signal holds one listener, and adding or removing a callback is a `Set` operation.
 *
 * Callbacks run in registration order when the signal aborts, at the position of the fan-out's
 * own listener among the signal's listeners. The listener is removed again as soon as no callback
 * is left, so a long-lived signal keeps nothing once its races are over. Callbacks must not throw.
 * @internal
 */
interface FanOut {
  readonly callbacks: Set<() => void>;
  readonly listener: () => void;
}

const fanOuts = new WeakMap<AbortSignal, FanOut>();

/**
 * Calls `callback` when `signal` aborts, unless the returned function was called first.
 * The caller checks `signal.aborted` beforehand: an already-aborted signal never calls back.
 * @returns A function that unregisters `callback`; calling it again does nothing.
 */
export function onAbort(signal: AbortSignal, callback: () => void): () => void {
  let fanOut = fanOuts.get(signal);
  if (fanOut === undefined) {
    const callbacks = new Set<() => void>();
    const listener = (): void => {
      fanOuts.delete(signal);
      for (const pending of callbacks) pending();
      callbacks.clear();
    };
    fanOut = { callbacks, listener };
    fanOuts.set(signal, fanOut);
    signal.addEventListener('abort', listener, { once: true });
  }
  const { callbacks, listener } = fanOut;
  callbacks.add(callback);
  return (): void => {
    if (!callbacks.delete(callback) || callbacks.size > 0) return;
    if (fanOuts.get(signal)?.listener === listener) fanOuts.delete(signal);
    signal.removeEventListener('abort', listener);
  };
}
