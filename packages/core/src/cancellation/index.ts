/**
 * Cancellation: `AbortSignal` is the token; these are the helpers .NET's CancellationToken users
 * miss. Sources with timeouts measured by an injected TimeProvider, linked sources that
 * unregister from their parents, and a predicate that tells cancellation from failure.
 * @module
 */
export { CancellationSource, type CancellationSourceOptions } from './cancellation-source.ts';
export { createAbortError, createTimeoutError } from './abort-errors.ts';
export { isCancellation } from './is-cancellation.ts';
export { raceSignal } from './race-signal.ts';
export { throwIfAborted } from './throw-if-aborted.ts';
export { whenAborted } from './when-aborted.ts';
