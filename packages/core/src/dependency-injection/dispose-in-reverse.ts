/**
 * Internal: what scopes and the provider record about the instances they must dispose, and the
 * one loop that disposes them.
 * @module
 */

/** Whether `value` implements `Symbol.asyncDispose` or `Symbol.dispose`. */
export function isDisposable(value: unknown): value is AsyncDisposable | Disposable {
  if ((typeof value !== 'object' || value === null) && typeof value !== 'function') return false;
  const candidate = value as Partial<AsyncDisposable & Disposable>;
  return typeof candidate[Symbol.asyncDispose] === 'function' ||
    typeof candidate[Symbol.dispose] === 'function';
}

/**
 * Disposes the instances of `tracked` from last to first, awaiting each before the next, so a
 * service is disposed before the services it was built from. `tracked` holds pairs: the service
 * name, then the instance. Prefers `Symbol.asyncDispose` over `Symbol.dispose`, as `await using`
 * does. A failing disposal does not skip the others.
 * @returns The failures as pairs: the service name, then the error, in disposal order.
 */
export async function disposeEach(tracked: readonly unknown[]): Promise<unknown[]> {
  const failures: unknown[] = [];
  for (let i = tracked.length - 1; i > 0; i -= 2) {
    const instance = tracked[i] as Partial<AsyncDisposable & Disposable>;
    try {
      const disposeAsync = instance[Symbol.asyncDispose];
      if (typeof disposeAsync === 'function') await disposeAsync.call(instance);
      else instance[Symbol.dispose]?.();
    } catch (error) {
      failures.push(tracked[i - 1], error);
    }
  }
  return failures;
}

/**
 * Throws what {@link disposeEach} collected: nothing when empty, the one error as is, or an
 * AggregateError of all of them whose message says how many and which services failed.
 * @param owner Named in the aggregate's message: `service scope`, `service provider`.
 */
export function throwDisposalErrors(failures: readonly unknown[], owner: string): void {
  if (failures.length === 0) return;
  if (failures.length === 2) throw failures[1];
  const errors: unknown[] = [];
  const names: string[] = [];
  for (let i = 0; i < failures.length; i += 2) {
    names.push(`'${String(failures[i])}'`);
    errors.push(failures[i + 1]);
  }
  throw new AggregateError(
    errors,
    `${errors.length} services failed to dispose with the ${owner}: ${names.join(', ')}.`,
  );
}

/** {@link disposeEach} then {@link throwDisposalErrors}. */
export async function disposeInReverse(tracked: readonly unknown[], owner: string): Promise<void> {
  throwDisposalErrors(await disposeEach(tracked), owner);
}
