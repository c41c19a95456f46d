import { describeValue } from '../internal/describe-value.ts';
import type { DistributedCache, DistributedCacheEntryOptions } from './distributed-cache.ts';

const encoder = new TextEncoder();
// fatal: bytes that are not UTF-8 are a corrupt entry, reported rather than turned into U+FFFD.
const decoder = new TextDecoder('utf-8', { fatal: true });

/**
 * Reads the entry under `key` and parses it as UTF-8 JSON, for any {@link DistributedCache}.
 *
 * `T` is what the caller expects, not something this function checks: validate the result when
 * other programs write to the same cache.
 * @returns the parsed value, or `undefined` on a miss.
 * @throws SyntaxError (as a rejection) when the entry is not JSON; TypeError when it is not UTF-8.
 */
export async function getJson<T>(cache: DistributedCache, key: string, signal?: AbortSignal): Promise<T | undefined> {
  const bytes = await cache.get(key, signal);
  if (bytes === undefined) return undefined;
  return JSON.parse(decoder.decode(bytes)) as T;
}

/**
 * Stores `value` as UTF-8 JSON under `key`, for any {@link DistributedCache}.
 * @throws TypeError (as a rejection) when `value` has no JSON form (`undefined`, a function, a
 *   symbol) or cannot be serialised (a BigInt, a cycle).
 */
export async function setJson(
  cache: DistributedCache,
  key: string,
  value: unknown,
  options?: DistributedCacheEntryOptions,
  signal?: AbortSignal,
): Promise<void> {
  const json = JSON.stringify(value) as string | undefined;
  if (json === undefined) {
    throw new TypeError(`Expected value to have a JSON form, got ${describeValue(value)}`);
  }
  await cache.set(key, encoder.encode(json), options, signal);
}
