import { describeValue } from '../internal/describe-value.ts';
import { formatLogRecordAsJson, formatLogRecordAsText } from './log-formats.ts';
import { isMinimumLogLevel, logLevelSeverity, type MinimumLogLevel } from './log-level.ts';
import type { LogRecord } from './log-record.ts';
import type { LogSink } from './log-sink.ts';

/** The part of the web-standard `console` that {@link ConsoleLogSink} uses. */
export interface ConsoleLike {
  /** Writes a record below the standard-error threshold (standard output). */
  log(...data: unknown[]): void;
  /** Writes a record at or above the standard-error threshold. */
  error(...data: unknown[]): void;
}

/** How {@link ConsoleLogSink} writes a record. */
export type ConsoleLogFormat = 'text' | 'json';

/** Options of {@link ConsoleLogSink}. */
export interface ConsoleLogSinkOptions {
  /**
   * `'json'`: one JSON object per line ({@link formatLogRecordAsJson}), for collectors.
   * `'text'`: a line for people plus the indented stack ({@link formatLogRecordAsText}).
   *
   * Core cannot tell whether standard output is a terminal (that needs `process` or `Deno`), so
   * the runtime adapters choose: text on a TTY, JSON otherwise. Left unset, the format is JSON,
   * because the costly mistake is the other one: text in a container's log pipeline is split into
   * one event per stack line and loses its fields, while JSON on a terminal is merely verbose.
   * @default 'json'
   */
  readonly format?: ConsoleLogFormat;
  /**
   * The console written to; tests pass a fake.
   * @default globalThis.console
   */
  readonly console?: ConsoleLike;
  /**
   * Records at this level or above go to `console.error` (standard error), the others to
   * `console.log` (standard output). Like .NET's `LogToStandardErrorThreshold`, everything goes
   * to standard output by default: container runtimes collect both, and one stream keeps the
   * order.
   * @default 'none'
   */
  readonly standardErrorThreshold?: MinimumLogLevel;
}

/**
 * Writes each record as one string to the web-standard `console`: through `console.log`, or
 * `console.error` from {@link ConsoleLogSinkOptions.standardErrorThreshold} up.
 *
 * Always one argument, already formatted, so that the runtime's own console formatting (colours,
 * object inspection) never changes the line a collector parses.
 */
export class ConsoleLogSink implements LogSink {
  /** The format chosen at construction. */
  readonly format: ConsoleLogFormat;
  readonly #console: ConsoleLike;
  readonly #errorThreshold: number;
  readonly #formatRecord: (record: LogRecord) => string;

  /** Creates a sink that writes to the global `console`, or to `options.console`. */
  constructor(options: ConsoleLogSinkOptions = {}) {
    const format = options.format ?? 'json';
    if (format !== 'json' && format !== 'text') {
      throw new RangeError(`Expected format to be 'text' or 'json', got ${describeValue(format)}`);
    }
    const threshold = options.standardErrorThreshold ?? 'none';
    if (!isMinimumLogLevel(threshold)) {
      throw new RangeError(
        `Expected standardErrorThreshold to be one of trace, debug, info, warn, error, critical, none, got ${describeValue(threshold)}`,
      );
    }
    const target = options.console ?? globalThis.console;
    if (typeof target?.log !== 'function' || typeof target.error !== 'function') {
      throw new TypeError(`Expected console to have log and error methods, got ${describeValue(target)}`);
    }
    this.format = format;
    this.#console = target;
    this.#errorThreshold = logLevelSeverity(threshold);
    this.#formatRecord = format === 'json' ? formatLogRecordAsJson : formatLogRecordAsText;
  }

  /** Formats and writes `record`; called by the logger on the caller's stack. */
  write(record: LogRecord): void {
    const line = this.#formatRecord(record);
    if (logLevelSeverity(record.level) >= this.#errorThreshold) this.#console.error(line);
    else this.#console.log(line);
  }
}
