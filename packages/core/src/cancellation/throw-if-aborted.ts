/**
 * Throws `signal.reason` when `signal` has aborted; does nothing when it has not or when there is
 * no signal. The same as `signal?.throwIfAborted()`, spelled for code that takes an optional
 * signal and wants one call at each checkpoint of a long job.
 * @throws the signal's reason, whatever value it is.
 */
export function throwIfAborted(signal?: AbortSignal): void {
  // An abort reason can be any value; it is thrown as is, as AbortSignal.throwIfAborted does.
  if (signal?.aborted === true) throw signal.reason;
}
