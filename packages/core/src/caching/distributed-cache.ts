/**
 * When a cache entry expires. All optional: an entry without any expiration stays until it is
 * removed, overwritten or evicted to make room.
 *
 * At most one of {@link absoluteExpiration} and {@link absoluteExpirationRelativeToNow} may be
 * given. A sliding expiration combined with either expires at whichever comes first: reading the
 * entry extends the sliding window, never beyond the absolute deadline.
 */
export interface DistributedCacheEntryOptions {
  /**
   * The wall-clock instant the entry expires at, as epoch ms or a `Date`. Must be in the future
   * when `set` is called. It follows the wall clock: if the clock is set forward, the entry
   * expires sooner.
   * @default undefined: no absolute deadline.
   */
  absoluteExpiration?: number | Date | undefined;
  /**
   * The entry expires this many ms after `set`, measured on a monotonic clock (a wall-clock
   * change does not move the deadline). A finite number > 0.
   * @default undefined: no absolute deadline.
   */
  absoluteExpirationRelativeToNow?: number | undefined;
  /**
   * The entry expires once it has not been read ({@link DistributedCache.get}) or refreshed
   * ({@link DistributedCache.refresh}) for this many ms. A finite number > 0.
   * @default undefined: reading does not matter.
   */
  slidingExpiration?: number | undefined;
}

/**
 * The port of a cache shared between processes (.NET's `IDistributedCache`): bytes under string
 * keys, with expirations. Small on purpose, so that a network store (Redis, a database table)
 * implements it directly; `MemoryDistributedCache` implements it in process, for tests and single
 * instances. Store JSON with {@link getJson} and {@link setJson}.
 *
 * A cache may forget an entry at any time (eviction, a restart of the store): callers treat a
 * miss as normal and recompute.
 *
 * Every method takes an optional `signal`: aborting it gives up THAT call, which rejects with
 * `signal.reason`. An already aborted signal rejects before anything is done. For a networked
 * implementation a `set`, `refresh` or `remove` aborted in flight may still have taken effect on
 * the server; the caller cannot tell, which is harmless for a cache.
 *
 * Every method rejects with a `TypeError` or `RangeError` naming the bad value when a key, value
 * or option is invalid (see {@link checkCacheKey}, {@link checkCacheEntryOptions}); nothing is
 * done then.
 */
export interface DistributedCache {
  /**
   * Reads the value under `key`, or `undefined` when there is none or it has expired. Extends the
   * entry's sliding expiration, if it has one. The caller may keep and modify the bytes it gets:
   * they are its own copy.
   */
  get(key: string, signal?: AbortSignal): Promise<Uint8Array | undefined>;

  /**
   * Stores `value` under `key`, replacing any entry there, along with its expiration (an entry
   * set without options no longer expires, whatever the previous one said). The cache keeps its
   * own copy: changing `value` afterwards does not change the entry.
   */
  set(key: string, value: Uint8Array, options?: DistributedCacheEntryOptions, signal?: AbortSignal): Promise<void>;

  /**
   * Resets the sliding expiration of the entry under `key` without reading it, as a read would.
   * Called by code that knows the value is still in use (a session touched by a request that does
   * not need its data). Does nothing when there is no entry or it has no sliding expiration.
   */
  refresh(key: string, signal?: AbortSignal): Promise<void>;

  /** Removes the entry under `key`. Does nothing when there is none. */
  remove(key: string, signal?: AbortSignal): Promise<void>;
}
