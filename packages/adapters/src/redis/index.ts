/**
 * `@hostkit/adapters/redis`: core's coordination, work-queue and caching ports on Redis, over
 * the official `redis` client (node-redis 6). This module only chooses the implementation: the
 * contracts (`LeaseStore`, `WorkQueue`, `DistributedCache`) and their errors live in
 * `@hostkit/core`, and each class here passes core's contract suite against a real server.
 *
 * - {@link RedisConnection}: one client that never crashes the host; it reconnects with capped,
 *   jittered backoff, logs an outage once, and makes commands fail fast while disconnected.
 * - {@link RedisLeaseStore}: leases for `DistributedLock`, atomic Lua scripts timed by the
 *   server's clock, with FENCING tokens that only grow (pass them to the resources you protect).
 * - {@link RedisWorkQueue}: a Redis Stream with a consumer group; delivery is AT LEAST ONCE
 *   (a consumer that dies mid-job has its entries redelivered after the visibility timeout), with
 *   delayed retries and a dead-letter list.
 * - {@link RedisDistributedCache}: bytes with absolute and sliding expirations.
 *
 * Durability is the server's: run Redis with AOF (`appendonly yes`, `appendfsync everysec` or
 * `always`) if queued work and fencing counters must survive a Redis restart. Every key sits
 * under a prefix option and a `{name}` hash tag, so one name's keys share a Redis Cluster slot
 * (this module connects to one server; Cluster routing is not wired).
 * @module
 */
export { createRedisConnection, RedisConnection } from './redis-connection.ts';
export type { RedisConnectionOptions } from './redis-connection-options.ts';
export { RedisLeaseStore, type RedisLeaseStoreOptions } from './redis-lease-store.ts';
export { RedisWorkQueue, type RedisWorkQueueOptions } from './redis-work-queue.ts';
export { RedisDistributedCache, type RedisDistributedCacheOptions } from './redis-distributed-cache.ts';
export { RedisLogEvents } from './redis-log-events.ts';
/** A script that {@link RedisConnection.runScript} runs (EVALSHA, falling back to EVAL). */
export type { LuaScript } from './lua-script.ts';
