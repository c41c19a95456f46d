import type { LogEvent } from '@hostkit/core';

/**
 * The log events of the Redis adapters, for matching in tests and alert rules instead of on
 * message text. Ids 4200-4299 belong to these adapters.
 */
export const RedisLogEvents: {
  /** The connection to Redis was lost; the client reconnects in the background. Level `warn`, logged once per outage. */
  readonly ConnectionLost: LogEvent;
  /** The connection is back after an outage; `downMs` says for how long it was gone. Level `info`. */
  readonly ConnectionRestored: LogEvent;
  /** Redis did not answer the first connection attempt; `connect` keeps trying. Level `warn`, once per `connect`. */
  readonly ConnectFailed: LogEvent;
  /** A work queue's background reader failed (usually: Redis unreachable) and retries after a pause. Level `warn`, once per outage. */
  readonly QueueReadFailed: LogEvent;
} = Object.freeze({
  ConnectionLost: Object.freeze({ id: 4201, name: 'RedisConnectionLost' }),
  ConnectionRestored: Object.freeze({ id: 4202, name: 'RedisConnectionRestored' }),
  ConnectFailed: Object.freeze({ id: 4203, name: 'RedisConnectFailed' }),
  QueueReadFailed: Object.freeze({ id: 4204, name: 'RedisQueueReadFailed' }),
});
