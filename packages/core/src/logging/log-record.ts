import type { LogEvent } from './log-event.ts';
import type { LogLevel } from './log-level.ts';

/**
 * The structured values a caller attaches to one log call.
 *
 * Two keys are reserved and lifted out of the fields into the record:
 * - `event`: the {@link LogEvent} this record reports (becomes {@link LogRecord.event});
 * - `error`: what was thrown or caused the record, any value (becomes {@link LogRecord.error}).
 *
 * Every other key is kept as is in {@link LogRecord.fields}. Values may be anything: sinks must
 * cope with circular objects, BigInt and errors (the built-in formats do).
 * @example logger.error('Upload failed', { event: AppEvents.UploadFailed, error, file: path })
 */
export interface LogFields {
  /** The event this record reports. Reserved: not copied into {@link LogRecord.fields}. */
  readonly event?: LogEvent | undefined;
  /** The error behind this record. Reserved: not copied into {@link LogRecord.fields}. */
  readonly error?: unknown;
  /** Any other field: copied into {@link LogRecord.fields}. */
  readonly [key: string]: unknown;
}

/** One log entry as a {@link LogSink} receives it. Sinks must not modify it: several share it. */
export interface LogRecord {
  /** When the record was created, in epoch milliseconds from the factory's TimeProvider `now()`. */
  readonly timestamp: number;
  /** The record's level; records below the logger factory's `minimumLevel` never reach a sink. */
  readonly level: LogLevel;
  /** The logger's category, usually the dotted name of the component that logs. */
  readonly category: string;
  /** The message as the caller passed it. */
  readonly message: string;
  /** Present when the caller passed `event` in the fields. */
  readonly event?: LogEvent;
  /** The caller's fields without `event` and `error`; absent when none remain. */
  readonly fields?: Readonly<Record<string, unknown>>;
  /** Present when the caller passed an `error` field other than `undefined`. */
  readonly error?: unknown;
}
