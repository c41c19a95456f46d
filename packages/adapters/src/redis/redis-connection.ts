import { raceSignal, throwIfAborted, type Logger } from '@hostkit/core';
import type { RedisArgument, RedisClientType, TypeMapping } from 'redis';
import { createClient } from '../optional-peers/redis.ts';
import { isNoScriptError, type LuaScript } from './lua-script.ts';
import {
  redactUrl,
  resolveRedisConnectionOptions,
  type RedisConnectionOptions,
  type ResolvedRedisConnectionOptions,
} from './redis-connection-options.ts';
import { RedisLogEvents } from './redis-log-events.ts';

/**
 * One connection to Redis (a node-redis 6 client) that never takes the host down: an `error`
 * listener is always attached, a lost connection is re-established in the background with capped
 * exponential backoff and jitter, and the outage is logged once at `warn` ("Redis connection
 * lost ... reconnecting") and its end once at `info`, with how long it lasted.
 *
 * Commands fail fast while the connection is down (node-redis's `disableOfflineQueue`): they
 * reject at once with the client's `ClientOfflineError` instead of waiting in an unbounded queue
 * for a reconnection that may take minutes. Callers with deadlines (a lease renewal, which must
 * know in time that it cannot reach the store) learn of the outage promptly and decide. Commands
 * in flight when the connection drops reject with the socket's error; a command that gets no
 * reply within {@link RedisConnectionOptions.commandTimeoutMs} rejects with a `TimeoutError`.
 *
 * The stores of this module share one connection (commands issued in the same tick go out as one
 * pipeline); a work queue duplicates it for its blocking reads.
 */
export class RedisConnection implements AsyncDisposable {
  readonly #options: ResolvedRedisConnectionOptions;
  readonly #client: RedisClientType;
  readonly #logger: Logger | undefined;
  /** Epoch ms when the current outage began; undefined while connected (or never connected). */
  #downSince: number | undefined;
  #everReady = false;
  #connecting: Promise<void> | undefined;
  #connectErrorLogged = false;
  #closed = false;

  /** Use {@link createRedisConnection}. */
  constructor(options: RedisConnectionOptions) {
    this.#options = resolveRedisConnectionOptions(options);
    this.#logger = this.#options.logger;
    const { reconnectInitialMs, reconnectMaxMs } = this.#options;
    this.#client = createClient({
      url: this.#options.url,
      ...(this.#options.name === undefined ? {} : { name: this.#options.name }),
      disableOfflineQueue: true,
      commandOptions: { timeout: this.#options.commandTimeoutMs },
      socket: {
        connectTimeout: this.#options.connectTimeoutMs,
        reconnectStrategy: (retries: number): number => {
          const ceiling = Math.min(reconnectMaxMs, reconnectInitialMs * 2 ** Math.min(retries, 30));
          return Math.round(ceiling / 2 + (Math.random() * ceiling) / 2);
        },
      },
    }) as RedisClientType;
    // Without an 'error' listener an EventEmitter throws, which would crash the host on the first
    // network hiccup. Every error here is also seen by the command it failed, if any.
    this.#client.on('error', (error: unknown) => this.#onError(error));
    this.#client.on('ready', () => this.#onReady());
  }

  /** `host:port` of the server, without credentials. */
  get endpoint(): string {
    return this.#options.endpoint;
  }

  /** Whether commands can be sent now (connected, not reconnecting, not closed). */
  get isReady(): boolean {
    return this.#client.isReady;
  }

  /**
   * The node-redis client, for commands this module does not wrap. Do not close it; close the
   * connection. It rejects commands while disconnected (see the class doc).
   */
  get client(): RedisClientType {
    return this.#client;
  }

  /**
   * Opens the connection and resolves once Redis answers. Called once, at startup (a hosted
   * service's start); concurrent and later calls share the first one's outcome. When Redis does
   * not answer, it keeps trying (with the reconnect backoff) until it does or `signal` aborts: then
   * it rejects with `signal.reason` and the connection is closed for good.
   */
  async connect(signal?: AbortSignal): Promise<void> {
    throwIfAborted(signal);
    if (this.#closed) throw new Error(`The Redis connection to ${this.endpoint} is closed`);
    this.#connecting ??= this.#client.connect().then(() => undefined);
    try {
      await raceSignal(this.#connecting, signal);
    } catch (error) {
      if (signal?.aborted === true) await this.close();
      throw error;
    }
  }

  /**
   * Sends one command and resolves with its reply (RESP3, node-redis's default decoding: bulk
   * strings as `string`, integers as `number`, nil as `null`). Pass `typeMapping` for other
   * decodings (e.g. Buffers for binary values). Rejects with `signal.reason` when it aborts first;
   * the command may still run on the server then.
   */
  sendCommand<T>(args: readonly RedisArgument[], signal?: AbortSignal, typeMapping?: TypeMapping): Promise<T> {
    throwIfAborted(signal);
    const promise = this.#client.sendCommand<T>(args, {
      ...(signal === undefined ? {} : { abortSignal: signal }),
      ...(typeMapping === undefined ? {} : { typeMapping }),
    });
    return raceSignal(promise, signal);
  }

  /** Runs `script` (EVALSHA, or EVAL when the server does not have it yet). */
  async runScript<T>(
    script: LuaScript,
    keys: readonly RedisArgument[],
    args: readonly RedisArgument[],
    signal?: AbortSignal,
    typeMapping?: TypeMapping,
  ): Promise<T> {
    const sha = await script.sha();
    const tail = [String(keys.length), ...keys, ...args];
    try {
      return await this.sendCommand<T>(['EVALSHA', sha, ...tail], signal, typeMapping);
    } catch (error) {
      if (!isNoScriptError(error)) throw error;
      return await this.sendCommand<T>(['EVAL', script.source, ...tail], signal, typeMapping);
    }
  }

  /**
   * Another connection to the same server with the same options (a work queue's blocking reads
   * hold their connection while they wait, so they need their own). Not connected yet; the
   * caller connects and closes it.
   */
  duplicate(name?: string): RedisConnection {
    const { url, logger, connectTimeoutMs, commandTimeoutMs, reconnectInitialMs, reconnectMaxMs } = this.#options;
    const duplicateName = name ?? this.#options.name;
    return new RedisConnection({
      url,
      logger,
      ...(duplicateName === undefined ? {} : { name: duplicateName }),
      connectTimeoutMs,
      commandTimeoutMs,
      reconnectBackoff: { initialMs: reconnectInitialMs, maxMs: reconnectMaxMs },
    });
  }

  /**
   * Closes the connection: stops reconnecting and rejects commands still waiting for a reply.
   * Idempotent. Stores using it fail from then on.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#client.isOpen) this.#client.destroy();
    // A connect still retrying ends with a ClientClosedError nobody waits for any more.
    await this.#connecting?.catch(() => undefined);
  }

  /** Same as {@link close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #onError(error: unknown): void {
    if (this.#closed) return;
    const fields = { endpoint: this.#options.endpoint, connection: this.#options.name, error: redactError(error) };
    if (!this.#everReady) {
      if (this.#connectErrorLogged) {
        this.#logger?.debug('Redis still unreachable; retrying', fields);
      } else {
        this.#connectErrorLogged = true;
        this.#logger?.warn(`Cannot reach Redis at ${this.#options.endpoint}; retrying`, {
          ...fields,
          event: RedisLogEvents.ConnectFailed,
        });
      }
      return;
    }
    if (this.#downSince === undefined) {
      this.#downSince = Date.now();
      this.#logger?.warn(`Redis connection lost (${this.#options.endpoint}); reconnecting`, {
        ...fields,
        event: RedisLogEvents.ConnectionLost,
      });
    } else {
      this.#logger?.debug('Redis still unreachable; reconnecting', fields);
    }
  }

  #onReady(): void {
    this.#everReady = true;
    if (this.#downSince === undefined) return;
    const downMs = Date.now() - this.#downSince;
    this.#downSince = undefined;
    this.#logger?.info(`Redis connection restored (${this.#options.endpoint}) after ${downMs} ms`, {
      endpoint: this.#options.endpoint,
      connection: this.#options.name,
      downMs,
      event: RedisLogEvents.ConnectionRestored,
    });
  }
}

/**
 * Creates a {@link RedisConnection}; call `connect` before use.
 * @throws TypeError when `options.url` is not a `redis://` or `rediss://` URL, or an option has the wrong type.
 * @throws RangeError when a duration is not a finite number > 0.
 * @example
 * const redis = createRedisConnection({ url: 'redis://127.0.0.1:6379', logger });
 * await redis.connect(signal);
 * const leases = new RedisLeaseStore({ connection: redis });
 */
export function createRedisConnection(options: RedisConnectionOptions): RedisConnection {
  return new RedisConnection(options);
}

/** The error's message with any URL password redacted (node-redis errors may quote the URL). */
function redactError(error: unknown): unknown {
  if (!(error instanceof Error)) return error;
  const message = redactUrl(error.message);
  if (message === error.message) return error;
  const copy = new Error(message);
  copy.name = error.name;
  return copy;
}
