/**
 * The outcome of a non-blocking read (`tryRead`, `tryPeek`).
 *
 * A discriminated union rather than `T | undefined` because `undefined` is a legitimate item:
 * check `ok` before reading `value`.
 */
export type TryReadResult<T> = { readonly ok: true; readonly value: T } | { readonly ok: false };

/**
 * The one "nothing there" result, shared and frozen so that an empty poll allocates nothing.
 * @internal
 */
export const TRY_READ_EMPTY: { readonly ok: false } = Object.freeze({ ok: false as const });
