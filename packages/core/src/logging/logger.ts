import type { LogLevel } from './log-level.ts';
import type { LogFields } from './log-record.ts';

/**
 * Writes log records for one category.
 *
 * Loggers are cheap when a level is disabled: the level methods compare two numbers and return,
 * without building a record. When a message or its fields are costly to compute, guard the call
 * with {@link isEnabled}.
 *
 * Logging never throws to the caller: a failing sink is reported by the factory, not by the call.
 */
export interface Logger {
  /** The category given to `LoggerFactory.createLogger`. */
  readonly category: string;
  /** Whether a record at `level` would reach at least one sink. */
  isEnabled(level: LogLevel): boolean;
  /**
   * Writes `message` at `level`. In `fields`, `event` (a `LogEvent`) and `error` (any value) are
   * reserved: they become the record's `event` and `error` (see {@link LogFields}).
   */
  log(level: LogLevel, message: string, fields?: LogFields): void;
  /** {@link log} at `trace`: step-by-step detail, off in production. */
  trace(message: string, fields?: LogFields): void;
  /** {@link log} at `debug`: what a developer needs to follow the flow. */
  debug(message: string, fields?: LogFields): void;
  /** {@link log} at `info`: milestones an operator wants to see. */
  info(message: string, fields?: LogFields): void;
  /** {@link log} at `warn`: something unexpected that the application worked around. */
  warn(message: string, fields?: LogFields): void;
  /** {@link log} at `error`: an operation failed; the application goes on. */
  error(message: string, fields?: LogFields): void;
  /** {@link log} at `critical`: the application cannot go on, or data is at risk. */
  critical(message: string, fields?: LogFields): void;
}
