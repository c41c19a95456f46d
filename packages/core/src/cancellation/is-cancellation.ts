/**
 * Tells cancellation from failure: `true` when `error` means the work was cancelled, so a caller
 * should stop quietly instead of logging an error or retrying.
 *
 * True for:
 * - `signal.reason` itself, when `signal` is given and has aborted. Reasons can be any value
 *   (`controller.abort('shutdown')`), so this is the only reliable test for a custom reason: pass
 *   the signal the work was given.
 * - a `DOMException` named `'AbortError'` or `'TimeoutError'`: what `AbortController.abort()`,
 *   `fetch`, {@link CancellationSource} and `AbortSignal.timeout()` reject with.
 * - any `Error` named `'AbortError'`, such as the `AbortError` Node's own APIs
 *   (`node:timers/promises`, streams, `events.once`) throw when their signal aborts.
 *
 * Everything else is a failure, including plain `Error`s named `'TimeoutError'`: libraries use
 * that name for operations that took too long, which is a failure, not a cancellation. An error
 * that merely wraps a cancellation in its `cause` is also a failure: unwrap it first if that is
 * what you mean.
 * @example
 * try { await job(stopping) }
 * catch (error) { if (!isCancellation(error, stopping)) logger.error('job failed', error) }
 */
export function isCancellation(error: unknown, signal?: AbortSignal): boolean {
  if (signal?.aborted === true && Object.is(error, signal.reason)) return true;
  if (typeof error !== 'object' || error === null) return false;
  const name = (error as { name?: unknown }).name;
  if (error instanceof DOMException) return name === 'AbortError' || name === 'TimeoutError';
  return error instanceof Error && name === 'AbortError';
}
