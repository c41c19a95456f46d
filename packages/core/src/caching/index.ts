/**
 * Caching: the {@link DistributedCache} port (bytes under string keys, with absolute and sliding
 * expirations), JSON helpers over it, and {@link MemoryDistributedCache}, the in-process
 * implementation. The argument checks every implementation shares are in
 * `@hostkit/core/adapter-kit`.
 * @module
 */
export type { DistributedCache, DistributedCacheEntryOptions } from './distributed-cache.ts';
export { getJson, setJson } from './distributed-cache-json.ts';
export { MemoryDistributedCache, type MemoryDistributedCacheOptions } from './memory-distributed-cache.ts';
