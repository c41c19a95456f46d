import { type Logger } from '@hostkit/core';
import { describeValue } from '@hostkit/core/adapter-kit';

/** Options of {@link createRedisConnection}. */
export interface RedisConnectionOptions {
  /**
   * Where Redis is: `redis://[[user][:password]@]host[:port][/db]`, or `rediss://` for TLS.
   * The password never appears in a log record or an error message of this adapter.
   * @example 'redis://127.0.0.1:6379'
   */
  readonly url: string;
  /**
   * Receives one `warn` when the connection is lost and one `info` when it is back (with how long
   * it was down); see {@link RedisLogEvents}.
   * @default undefined: nothing is logged.
   */
  readonly logger?: Logger | undefined;
  /** The connection's name on the server (`CLIENT SETNAME`, shown by `CLIENT LIST`), and in log records. @default undefined */
  readonly name?: string | undefined;
  /** Ms allowed to open the TCP (and TLS) connection, per attempt. @default 5_000 */
  readonly connectTimeoutMs?: number | undefined;
  /**
   * Ms a command may wait for its reply before it rejects with the client's `TimeoutError`. A
   * blocking read of a work queue waits at most 1 s on the server, well within this.
   * @default 5_000
   */
  readonly commandTimeoutMs?: number | undefined;
  /**
   * Wait before reconnecting after a loss: doubles from `initialMs` with each failed attempt up to
   * `maxMs`, each wait picked at random between half and all of that (jitter, so that many
   * replicas do not reconnect in step after a Redis restart).
   * @default { initialMs: 100, maxMs: 5_000 }
   */
  readonly reconnectBackoff?: { readonly initialMs?: number | undefined; readonly maxMs?: number | undefined } | undefined;
}

/** {@link RedisConnectionOptions} after validation, with defaults applied. */
export interface ResolvedRedisConnectionOptions {
  readonly url: string;
  /** `host:port`, without credentials: what logs and errors show. */
  readonly endpoint: string;
  readonly tls: boolean;
  readonly logger: Logger | undefined;
  readonly name: string | undefined;
  readonly connectTimeoutMs: number;
  readonly commandTimeoutMs: number;
  readonly reconnectInitialMs: number;
  readonly reconnectMaxMs: number;
}

/**
 * Checks {@link RedisConnectionOptions} and applies defaults.
 * @throws TypeError when `options` or an option has the wrong type, or `url` is not a URL with
 *   the `redis:` or `rediss:` scheme.
 * @throws RangeError when a duration is not a finite number > 0.
 */
export function resolveRedisConnectionOptions(options: RedisConnectionOptions): ResolvedRedisConnectionOptions {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`Expected options to be an object with a url, got ${describeValue(options)}`);
  }
  const { url, logger, name, connectTimeoutMs, commandTimeoutMs, reconnectBackoff } = options;
  if (typeof url !== 'string') {
    throw new TypeError(`Expected url to be a redis:// or rediss:// URL string, got ${describeValue(url)}`);
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (error) {
    throw new TypeError(`Expected url to be a redis:// or rediss:// URL, got ${describeValue(redactUrl(url))}`, { cause: error });
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') {
    throw new TypeError(
      `Expected url to be a redis:// or rediss:// URL, got ${describeValue(redactUrl(url))} (scheme ${parsed.protocol})`,
    );
  }
  if (parsed.hostname === '') {
    throw new TypeError(`Expected url to name a host, got ${describeValue(redactUrl(url))}`);
  }
  if (name !== undefined && (typeof name !== 'string' || !/^[!-~]+$/.test(name))) {
    throw new TypeError(`Expected name to be a string of printable characters without spaces, got ${describeValue(name)}`);
  }
  if (reconnectBackoff !== undefined && (typeof reconnectBackoff !== 'object' || reconnectBackoff === null)) {
    throw new TypeError(`Expected reconnectBackoff to be an object or undefined, got ${describeValue(reconnectBackoff)}`);
  }
  const reconnectInitialMs = checkMs('reconnectBackoff.initialMs', reconnectBackoff?.initialMs, 100);
  const reconnectMaxMs = checkMs('reconnectBackoff.maxMs', reconnectBackoff?.maxMs, 5_000);
  if (reconnectMaxMs < reconnectInitialMs) {
    throw new RangeError(
      `Expected reconnectBackoff.maxMs to be >= initialMs (${reconnectInitialMs}), got ${describeValue(reconnectMaxMs)}`,
    );
  }
  return {
    url,
    endpoint: `${parsed.hostname}:${parsed.port === '' ? '6379' : parsed.port}`,
    tls: parsed.protocol === 'rediss:',
    logger,
    name,
    connectTimeoutMs: checkMs('connectTimeoutMs', connectTimeoutMs, 5_000),
    commandTimeoutMs: checkMs('commandTimeoutMs', commandTimeoutMs, 5_000),
    reconnectInitialMs,
    reconnectMaxMs,
  };
}

/** `url` with any password replaced by `[redacted]`, for messages. */
export function redactUrl(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:@/]*:)[^@/]*@/i, '$1[redacted]@');
}

function checkMs(name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number') throw new TypeError(`Expected ${name} to be a number of ms > 0, got ${describeValue(value)}`);
  if (!(value > 0) || !Number.isFinite(value)) {
    throw new RangeError(`Expected ${name} to be a finite number of ms > 0, got ${describeValue(value)}`);
  }
  return value;
}
