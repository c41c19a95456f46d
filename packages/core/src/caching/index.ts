/**
 * Caching: the {@link DistributedCache} port (bytes under string keys, with absolute and sliding
 * expirations), JSON helpers over it, the argument checks every implementation shares, and
 * {@link MemoryDistributedCache}, the in-process implementation.
 * @module
 */
export type { DistributedCache, DistributedCacheEntryOptions } from './distributed-cache.ts';
export { getJson, setJson } from './distributed-cache-json.ts';
export {
  type CacheEntryExpiration,
  checkCacheEntryOptions,
  checkCacheKey,
  checkCacheValue,
} from './cache-arguments.ts';
export { MemoryDistributedCache, type MemoryDistributedCacheOptions } from './memory-distributed-cache.ts';
