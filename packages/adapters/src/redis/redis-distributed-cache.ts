import { Buffer } from 'node:buffer';
import { throwIfAborted, type DistributedCache, type DistributedCacheEntryOptions } from '@hostkit/core';
import { checkCacheEntryOptions, checkCacheKey, checkCacheValue, describeValue } from '@hostkit/core/adapter-kit';
import type { TypeMapping } from 'redis';
import { RESP_TYPES } from '../optional-peers/redis.ts';
import { LuaScript } from './lua-script.ts';
import type { RedisConnection } from './redis-connection.ts';
import { checkKeyPrefix } from './redis-keys.ts';

/** Options of {@link RedisDistributedCache}. */
export interface RedisDistributedCacheOptions {
  /** The connection to use; its owner connects and closes it. */
  readonly connection: RedisConnection;
  /** Prepended to every cache key. @default 'hostkit:cache:' */
  readonly keyPrefix?: string | undefined;
}

const nowMs = `
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
`;

// ARGV: value, sliding ms or '', absolute epoch ms or '', relative ms or ''.
const setScript = new LuaScript(`${nowMs}
redis.call('DEL', KEYS[1])
local now = now_ms()
local sliding = tonumber(ARGV[2])
local deadline = nil
if ARGV[3] ~= '' then deadline = tonumber(ARGV[3]) elseif ARGV[4] ~= '' then deadline = now + tonumber(ARGV[4]) end
if deadline and deadline <= now then return 0 end
redis.call('HSET', KEYS[1], 'v', ARGV[1])
if sliding then
  local ttl = sliding
  redis.call('HSET', KEYS[1], 's', sliding)
  if deadline then
    redis.call('HSET', KEYS[1], 'a', deadline)
    if deadline - now < ttl then ttl = deadline - now end
  end
  redis.call('PEXPIRE', KEYS[1], ttl)
elseif deadline then
  redis.call('PEXPIREAT', KEYS[1], deadline)
end
return 1
`);

// Reads (ARGV[1] = '1') or only touches the entry, restarting its sliding window, never past its absolute deadline.
const touchScript = new LuaScript(`${nowMs}
local r = redis.call('HMGET', KEYS[1], 'v', 's', 'a')
if not r[1] then return false end
if r[2] then
  local ttl = tonumber(r[2])
  if r[3] then
    local left = tonumber(r[3]) - now_ms()
    if left <= 0 then
      redis.call('DEL', KEYS[1])
      return false
    end
    if left < ttl then ttl = left end
  end
  redis.call('PEXPIRE', KEYS[1], ttl)
end
if ARGV[1] == '1' then return r[1] end
return 1
`);

const bufferReplies: TypeMapping = { [RESP_TYPES.BLOB_STRING]: Buffer };

/**
 * A {@link DistributedCache} in Redis: each entry is a hash {value, sliding ms, absolute deadline}
 * under `<prefix><key>`, expired by Redis itself (`PEXPIRE` / `PEXPIREAT`). Reads and refreshes
 * restart a sliding window in one Lua script, to `min(sliding, deadline - now)` on the server's
 * clock, so the entry never outlives its absolute deadline. Values are binary-safe.
 *
 * `absoluteExpiration` is an instant on the wall clock, checked against this process's clock at
 * `set` and enforced by the server's: keep the clocks in sync (NTP) or prefer
 * `absoluteExpirationRelativeToNow`, which only the server measures.
 */
export class RedisDistributedCache implements DistributedCache {
  readonly #connection: RedisConnection;
  readonly #prefix: string;

  /** Creates a cache over `options.connection`, which its owner connects and closes. */
  constructor(options: RedisDistributedCacheOptions) {
    if (typeof options !== 'object' || options === null || options.connection === undefined) {
      throw new TypeError(`Expected options to be an object with a connection, got ${describeValue(options)}`);
    }
    this.#connection = options.connection;
    this.#prefix = checkKeyPrefix(options.keyPrefix, 'hostkit:cache:');
  }

  async get(key: string, signal?: AbortSignal): Promise<Uint8Array | undefined> {
    throwIfAborted(signal);
    checkCacheKey(key);
    const value = await this.#connection.runScript<Buffer | null>(touchScript, [this.#prefix + key], ['1'], signal, bufferReplies);
    // A copy the caller owns, not a view into the client's receive buffer.
    return value === null ? undefined : new Uint8Array(value);
  }

  async set(key: string, value: Uint8Array, options?: DistributedCacheEntryOptions, signal?: AbortSignal): Promise<void> {
    throwIfAborted(signal);
    checkCacheKey(key);
    checkCacheValue(value);
    const { absoluteExpiration, absoluteExpirationRelativeToNow, slidingExpiration } = checkCacheEntryOptions(options, Date.now());
    const text = (ms: number | undefined): string => (ms === undefined ? '' : String(Math.ceil(ms)));
    await this.#connection.runScript(
      setScript,
      [this.#prefix + key],
      [Buffer.from(value), text(slidingExpiration), text(absoluteExpiration), text(absoluteExpirationRelativeToNow)],
      signal,
    );
  }

  async refresh(key: string, signal?: AbortSignal): Promise<void> {
    throwIfAborted(signal);
    checkCacheKey(key);
    await this.#connection.runScript(touchScript, [this.#prefix + key], ['0'], signal);
  }

  async remove(key: string, signal?: AbortSignal): Promise<void> {
    throwIfAborted(signal);
    checkCacheKey(key);
    await this.#connection.sendCommand(['UNLINK', this.#prefix + key], signal);
  }
}
