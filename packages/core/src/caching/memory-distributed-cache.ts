import { systemTimeProvider } from '../time/system-time-provider.ts';
import type { TimeProvider } from '../time/time-provider.ts';
import { describeValue } from '../internal/describe-value.ts';
import { checkCacheEntryOptions, checkCacheKey, checkCacheValue } from './cache-arguments.ts';
import type { DistributedCache, DistributedCacheEntryOptions } from './distributed-cache.ts';

/** Options for {@link MemoryDistributedCache}. */
export interface MemoryDistributedCacheOptions {
  /**
   * The clock expirations are measured on: `now()` for absolute expirations (epoch ms),
   * `timestamp()` for relative and sliding ones. Tests pass a `ManualTimeProvider`.
   * @default systemTimeProvider
   */
  timeProvider?: TimeProvider | undefined;
  /**
   * The most entries kept. Setting one more evicts the least recently used (set, read or
   * refreshed) entry.
   * @default 10_000
   */
  maxEntries?: number | undefined;
  /**
   * The most bytes of values kept (keys are not counted). Setting a value that would go beyond
   * evicts least recently used entries until it fits; a value larger than this on its own is not
   * stored at all (and any previous entry under its key is removed).
   * @default 67_108_864 (64 MiB)
   */
  maxBytes?: number | undefined;
  /**
   * How often, at most, an operation also removes every expired entry, in ms on the time
   * provider. Between sweeps an expired entry is removed when it is accessed, and counts towards
   * the limits until then. No timer is involved: an idle cache does no work.
   * @default 60_000
   */
  expirationScanInterval?: number | undefined;
}

/** One stored value and its deadlines. */
interface Entry {
  readonly value: Uint8Array;
  /** Wall-clock deadline (epoch ms), from `absoluteExpiration`. */
  readonly expiresAt: number | undefined;
  /** Monotonic deadline, from `absoluteExpirationRelativeToNow`. */
  readonly expiresAtTimestamp: number | undefined;
  readonly slidingExpiration: number | undefined;
  /** Monotonic deadline of the sliding window; moved by reads and refreshes. */
  slidingExpiresAtTimestamp: number | undefined;
}

const defaultMaxEntries = 10_000;
const defaultMaxBytes = 64 * 1024 * 1024;
const defaultExpirationScanInterval = 60_000;

/**
 * A {@link DistributedCache} in the process's memory: for tests, development and single-instance
 * apps (.NET's `MemoryDistributedCache`). Nothing is shared between processes or kept across
 * restarts.
 *
 * - Expiration is measured on the injected {@link TimeProvider}; expired entries are never
 *   returned. They are removed lazily when accessed, and by a sweep that operations run at most
 *   every `expirationScanInterval` (or {@link removeExpired}, on demand). No timers.
 * - Bounded: at most `maxEntries` entries and `maxBytes` bytes of values; beyond either, the least
 *   recently used entries are evicted.
 * - Values are copied in and out, so the cache behaves as a networked one would: changing an
 *   array after `set`, or one returned by `get`, does not change the entry.
 * - Calls complete synchronously (the promise is already settled on return, apart from
 *   promise-resolution ticks), so a signal only matters when it is already aborted.
 */
export class MemoryDistributedCache implements DistributedCache {
  readonly #time: TimeProvider;
  readonly #maxEntries: number;
  readonly #maxBytes: number;
  readonly #scanInterval: number;
  /** In least recently used first order: every use deletes and re-inserts the key. */
  readonly #entries = new Map<string, Entry>();
  #bytes = 0;
  #lastScan: number;

  /**
   * Creates an empty cache in this process.
   * @throws TypeError when `timeProvider` is not a TimeProvider.
   * @throws RangeError when `maxEntries` or `maxBytes` is not an integer >= 1, or
   *   `expirationScanInterval` is not a number >= 0.
   */
  constructor(options?: MemoryDistributedCacheOptions) {
    const time = options?.timeProvider ?? systemTimeProvider;
    if (typeof time !== 'object' || time === null || typeof time.timestamp !== 'function') {
      throw new TypeError(`Expected timeProvider to be a TimeProvider, got ${describeValue(time)}`);
    }
    this.#time = time;
    this.#maxEntries = checkLimit('maxEntries', options?.maxEntries ?? defaultMaxEntries);
    this.#maxBytes = checkLimit('maxBytes', options?.maxBytes ?? defaultMaxBytes);
    const scanInterval = options?.expirationScanInterval ?? defaultExpirationScanInterval;
    if (typeof scanInterval !== 'number' || !(scanInterval >= 0)) {
      throw new RangeError(`Expected expirationScanInterval to be a number >= 0, got ${describeValue(scanInterval)}`);
    }
    this.#scanInterval = scanInterval;
    this.#lastScan = time.timestamp();
  }

  /** Entries held now, including expired ones not yet removed. */
  get count(): number {
    return this.#entries.size;
  }

  /** Bytes of values held now, including those of expired entries not yet removed. */
  get byteSize(): number {
    return this.#bytes;
  }

  async get(key: string, signal?: AbortSignal): Promise<Uint8Array | undefined> {
    signal?.throwIfAborted();
    checkCacheKey(key);
    this.#scanIfDue();
    const entry = this.#live(key);
    if (entry === undefined) return undefined;
    this.#touch(key, entry);
    return new Uint8Array(entry.value);
  }

  async set(
    key: string,
    value: Uint8Array,
    options?: DistributedCacheEntryOptions,
    signal?: AbortSignal,
  ): Promise<void> {
    signal?.throwIfAborted();
    checkCacheKey(key);
    checkCacheValue(value);
    const expiration = checkCacheEntryOptions(options, this.#time.now());
    this.#scanIfDue();
    this.#delete(key);
    if (value.byteLength > this.#maxBytes) return;

    const now = this.#time.timestamp();
    const { slidingExpiration, absoluteExpirationRelativeToNow: relative } = expiration;
    this.#entries.set(key, {
      // new Uint8Array(x) copies; Buffer#slice would not.
      value: new Uint8Array(value),
      expiresAt: expiration.absoluteExpiration,
      expiresAtTimestamp: relative === undefined ? undefined : now + relative,
      slidingExpiration,
      slidingExpiresAtTimestamp: slidingExpiration === undefined ? undefined : now + slidingExpiration,
    });
    this.#bytes += value.byteLength;
    this.#evict();
  }

  async refresh(key: string, signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted();
    checkCacheKey(key);
    this.#scanIfDue();
    const entry = this.#live(key);
    if (entry !== undefined) this.#touch(key, entry);
  }

  async remove(key: string, signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted();
    checkCacheKey(key);
    this.#scanIfDue();
    this.#delete(key);
  }

  /**
   * Removes every expired entry now, rather than waiting for the next access or sweep.
   * @returns how many entries were removed.
   */
  removeExpired(): number {
    const now = this.#time.now();
    const timestamp = this.#time.timestamp();
    this.#lastScan = timestamp;
    let removed = 0;
    for (const [key, entry] of this.#entries) {
      if (isExpired(entry, now, timestamp)) {
        this.#delete(key);
        removed += 1;
      }
    }
    return removed;
  }

  /** Removes every entry. */
  clear(): void {
    this.#entries.clear();
    this.#bytes = 0;
  }

  /** The entry under `key` if it has not expired; an expired one is removed on the way. */
  #live(key: string): Entry | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    if (isExpired(entry, this.#time.now(), this.#time.timestamp())) {
      this.#delete(key);
      return undefined;
    }
    return entry;
  }

  /** Marks the entry used: extends its sliding window and makes it the most recently used. */
  #touch(key: string, entry: Entry): void {
    if (entry.slidingExpiration !== undefined) {
      entry.slidingExpiresAtTimestamp = this.#time.timestamp() + entry.slidingExpiration;
    }
    this.#entries.delete(key);
    this.#entries.set(key, entry);
  }

  #delete(key: string): void {
    const entry = this.#entries.get(key);
    if (entry === undefined) return;
    this.#entries.delete(key);
    this.#bytes -= entry.value.byteLength;
  }

  /** Evicts least recently used entries until both limits hold. */
  #evict(): void {
    for (const key of this.#entries.keys()) {
      if (this.#entries.size <= this.#maxEntries && this.#bytes <= this.#maxBytes) return;
      this.#delete(key);
    }
  }

  #scanIfDue(): void {
    if (this.#time.timestamp() - this.#lastScan >= this.#scanInterval) this.removeExpired();
  }
}

function isExpired(entry: Entry, now: number, timestamp: number): boolean {
  return (
    (entry.expiresAt !== undefined && now >= entry.expiresAt) ||
    (entry.expiresAtTimestamp !== undefined && timestamp >= entry.expiresAtTimestamp) ||
    (entry.slidingExpiresAtTimestamp !== undefined && timestamp >= entry.slidingExpiresAtTimestamp)
  );
}

function checkLimit(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
    throw new RangeError(`Expected ${name} to be an integer >= 1, got ${describeValue(value)}`);
  }
  return value;
}
