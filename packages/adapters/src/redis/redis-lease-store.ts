import { type LeaseAcquisition, type LeaseStore } from '@hostkit/core';
import { checkLeaseArguments, checkPositiveMs, describeValue } from '@hostkit/core/adapter-kit';
import { LuaScript } from './lua-script.ts';
import type { RedisConnection } from './redis-connection.ts';
import { checkKeyPrefix } from './redis-keys.ts';

/** Options of {@link RedisLeaseStore}. */
export interface RedisLeaseStoreOptions {
  /** The connection to use; its owner connects and closes it. */
  readonly connection: RedisConnection;
  /**
   * Prepended to every key. A lease `name` lives in the hash `<prefix>{<name>}` and its fencing
   * counter in `<prefix>fence:{<name>}` (the `{name}` hash tag keeps both on one Cluster slot).
   * @default 'hostkit:lease:'
   */
  readonly keyPrefix?: string | undefined;
}

// KEYS[1] lease hash {owner, token}, KEYS[2] fencing counter; ARGV[1] owner, ARGV[2] ttl ms.
// A new token is max(counter + 1, the server's TIME in microseconds): see RedisLeaseStore on why.
// Lua numbers are doubles, exact up to 2^53 (9.0e15 us: the year 2255); '%.0f' writes every digit.
const tryAcquireScript = new LuaScript(`
local owner = redis.call('HGET', KEYS[1], 'owner')
if not owner then
  local t = redis.call('TIME')
  local now_us = tonumber(t[1]) * 1000000 + tonumber(t[2])
  local last = tonumber(redis.call('GET', KEYS[2]) or '0') or 0
  local token = string.format('%.0f', math.max(last + 1, now_us))
  redis.call('SET', KEYS[2], token)
  redis.call('HSET', KEYS[1], 'owner', ARGV[1], 'token', token)
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return {1, token}
end
if owner == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return {1, redis.call('HGET', KEYS[1], 'token')}
end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 1 then ttl = 1 end
return {0, ttl}
`);

const renewScript = new LuaScript(`
if redis.call('HGET', KEYS[1], 'owner') == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
return 0
`);

const releaseScript = new LuaScript(`
if redis.call('HGET', KEYS[1], 'owner') == ARGV[1] then
  redis.call('DEL', KEYS[1])
  return 1
end
return 0
`);

/**
 * A {@link LeaseStore} in Redis, shared by every replica connected to the same server: the store
 * behind `DistributedLock` in cluster mode.
 *
 * Each operation is one Lua script, so it is atomic on the server: acquire is
 * set-if-absent-or-mine, renew is compare-and-`PEXPIRE`, release is compare-and-delete. Expiry is
 * measured by the server's clock (`PEXPIRE`), never the client's. A re-acquisition by the current
 * owner keeps its token.
 *
 * Fencing tokens: each new token is `max(last + 1, T)`, where `last` is the previous token (kept
 * in a counter key that never expires) and `T` is the server's `TIME` in microseconds at the
 * acquisition. So:
 * - while the counter survives, every token is strictly greater than every earlier one, whatever
 *   the clocks do;
 * - when the counter is lost (a restart without persistence, `FLUSHALL`, a failover to a replica
 *   that missed it), the next token is `T`, which is greater than every token issued before the
 *   loss PROVIDED the server clock that issues it reads later than the clock that issued the last
 *   token before the loss did, plus the number of tokens that ran ahead of that clock (more than
 *   one acquisition in the same microsecond). With servers whose wall clocks are synchronised
 *   (NTP) and do not step back by more than the time between the last acquisition and the loss,
 *   that holds; a clock set back by hand can break it, and nothing else.
 * Tokens are integers below 2^53 (microseconds since 1970, until the year 2255).
 *
 * Like any single-Redis lock, it is only as safe as the server: a failover to a replica that had
 * not received the last writes can grant a lease twice. Fencing tokens checked by the protected
 * resource are the defence.
 */
export class RedisLeaseStore implements LeaseStore {
  readonly #connection: RedisConnection;
  readonly #prefix: string;

  /** Creates a lease store over `options.connection`, which its owner connects and closes. */
  constructor(options: RedisLeaseStoreOptions) {
    if (typeof options !== 'object' || options === null || options.connection === undefined) {
      throw new TypeError(`Expected options to be an object with a connection, got ${describeValue(options)}`);
    }
    this.#connection = options.connection;
    this.#prefix = checkKeyPrefix(options.keyPrefix, 'hostkit:lease:');
  }

  async tryAcquire(name: string, ownerId: string, ttlMs: number, signal?: AbortSignal): Promise<LeaseAcquisition> {
    const args = this.#check(name, ownerId, ttlMs, signal);
    const [acquired, value] = await this.#connection.runScript<[number, number | string]>(
      tryAcquireScript,
      [this.#leaseKey(name), this.#fenceKey(name)],
      args,
      signal,
    );
    // The token comes back as a bulk string: an integer reply from Lua would go through a double.
    return acquired === 1 ? { acquired: true, fencingToken: Number(value) } : { acquired: false, retryAfterMs: Number(value) };
  }

  async renew(name: string, ownerId: string, ttlMs: number, signal?: AbortSignal): Promise<boolean> {
    const args = this.#check(name, ownerId, ttlMs, signal);
    return (await this.#connection.runScript<number>(renewScript, [this.#leaseKey(name)], args, signal)) === 1;
  }

  async release(name: string, ownerId: string, signal?: AbortSignal): Promise<boolean> {
    checkLeaseArguments(name, ownerId, signal);
    return (await this.#connection.runScript<number>(releaseScript, [this.#leaseKey(name)], [ownerId], signal)) === 1;
  }

  #leaseKey(name: string): string {
    return `${this.#prefix}{${name}}`;
  }

  #fenceKey(name: string): string {
    return `${this.#prefix}fence:{${name}}`;
  }

  #check(name: string, ownerId: string, ttlMs: number, signal: AbortSignal | undefined): string[] {
    checkLeaseArguments(name, ownerId);
    checkPositiveMs('ttlMs', ttlMs);
    signal?.throwIfAborted();
    // PEXPIRE takes whole ms; rounding up never shortens a lease.
    return [ownerId, String(Math.ceil(ttlMs))];
  }
}
