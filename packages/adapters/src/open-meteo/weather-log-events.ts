import type { LogEvent } from '@hostkit/core';

/**
 * The log events of the undici weather client, for matching in tests and alert rules instead of
 * on message text. Ids 4100-4199 belong to this client.
 */
export const WeatherLogEvents: {
  /** A request failed in a way worth retrying (429, 5xx, a reset connection); a retry is scheduled. Level `warn`. */
  readonly RetryScheduled: LogEvent;
} = Object.freeze({
  RetryScheduled: Object.freeze({ id: 4101, name: 'WeatherRetryScheduled' }),
});
