/**
 * Creates the reason a signal carries when an operation is cancelled on request: a
 * `DOMException` named `'AbortError'`, as `AbortController.abort()` uses when given no reason.
 * {@link isCancellation} recognises it.
 * @param message @default 'This operation was aborted'
 */
export function createAbortError(message = 'This operation was aborted'): DOMException {
  return new DOMException(message, 'AbortError');
}

/**
 * Creates the reason a signal carries when an operation is cancelled because its time ran out: a
 * `DOMException` named `'TimeoutError'`, as `AbortSignal.timeout()` uses (which hostkit does not
 * use: it cannot be faked in tests). {@link isCancellation} recognises it.
 * @param message @default 'The operation was aborted due to timeout'
 */
export function createTimeoutError(message = 'The operation was aborted due to timeout'): DOMException {
  return new DOMException(message, 'TimeoutError');
}
