import type { TimeProvider } from '../time/time-provider.ts';
import { systemTimeProvider } from '../time/system-time-provider.ts';
import { describeValue } from '../internal/describe-value.ts';
import type { LogEvent } from './log-event.ts';
import { isMinimumLogLevel, logLevelSeverity, type LogLevel, type MinimumLogLevel } from './log-level.ts';
import type { LogFields, LogRecord } from './log-record.ts';
import type { LogSink } from './log-sink.ts';
import type { Logger } from './logger.ts';

/** Creates {@link Logger}s. The host resolves one from dependency injection; components ask it for a logger named after themselves. */
export interface LoggerFactory {
  /**
   * Returns a logger for `category`, usually the dotted name of the component that logs
   * (`hostkit.Host`, `app.UploadWorker`). Called once per component, typically at construction:
   * the category's minimum level is resolved here, not on every call.
   */
  createLogger(category: string): Logger;
}

/** Options of {@link createLoggerFactory}. */
export interface LoggerFactoryOptions {
  /**
   * Where records go. Each record passing the level filter is written to every sink, in order.
   * @default [] (nothing is logged, and every level reports disabled)
   */
  readonly sinks?: readonly LogSink[];
  /**
   * Records below this level are dropped, unless {@link categoryLevels} says otherwise for the
   * category. `.NET`'s `Logging:LogLevel:Default`.
   * @default 'info'
   */
  readonly minimumLevel?: MinimumLogLevel;
  /**
   * Minimum levels by category prefix, like .NET's `Logging:LogLevel:<prefix>` keys: a category
   * takes the level of the LONGEST key it starts with, compared case-insensitively (as .NET
   * does, a key matches any category that starts with it, so `app.Upload` also covers
   * `app.UploadWorker`); categories matching no key take {@link minimumLevel}.
   * @default {}
   * @example { 'hostkit': 'warn', 'hostkit.Host': 'info', 'app.Noisy': 'none' }
   */
  readonly categoryLevels?: Readonly<Record<string, MinimumLogLevel>>;
  /**
   * The clock that stamps records ({@link LogRecord.timestamp} is its `now()`).
   * @default systemTimeProvider
   */
  readonly timeProvider?: TimeProvider;
  /**
   * Called when a sink's `write` throws, with the error, the sink and the record it was given.
   * The log call still returns normally and the remaining sinks still get the record; an error
   * thrown by this handler is ignored.
   *
   * The default writes one line to `console.error`. It does not call `reportError`: Node has
   * none, and Deno treats a reported error as uncaught and exits, so one broken sink would
   * take the process down.
   * @default writes the error to console.error
   */
  readonly onSinkError?: (error: unknown, sink: LogSink, record: LogRecord) => void;
}

/**
 * Creates the standard {@link LoggerFactory}: loggers that filter by level, stamp records with the
 * time provider's clock, and write them synchronously to every sink.
 *
 * The options are read once, here: levels cannot change afterwards (build a new factory to change
 * them).
 * @throws RangeError when a level in `minimumLevel` or `categoryLevels` is not a level.
 * @throws TypeError when a sink has no `write` method.
 */
export function createLoggerFactory(options: LoggerFactoryOptions = {}): LoggerFactory {
  const sinks = [...(options.sinks ?? [])];
  for (const [index, sink] of sinks.entries()) {
    if (typeof (sink as Partial<LogSink> | null)?.write !== 'function') {
      throw new TypeError(`Expected sinks[${index}] to be a LogSink with a write method, got ${describeValue(sink)}`);
    }
  }
  const minimumLevel = checkLevel('minimumLevel', options.minimumLevel ?? 'info');
  // Longest prefix first, so the first match is the most specific.
  const rules = Object.entries(options.categoryLevels ?? {})
    .map(([prefix, level]) => ({
      prefix: prefix.toLowerCase(),
      severity: logLevelSeverity(checkLevel(`categoryLevels['${prefix}']`, level)),
    }))
    .sort((a, b) => b.prefix.length - a.prefix.length);
  const shared: SharedState = {
    sinks,
    timeProvider: options.timeProvider ?? systemTimeProvider,
    onSinkError: options.onSinkError ?? reportSinkErrorToConsole,
  };
  const none = logLevelSeverity('none');
  const defaultSeverity = logLevelSeverity(minimumLevel);
  return {
    createLogger(category: string): Logger {
      if (typeof category !== 'string') {
        throw new TypeError(`Expected category to be a string, got ${describeValue(category)}`);
      }
      if (sinks.length === 0) return new FactoryLogger(category, none, shared);
      const lowered = category.toLowerCase();
      const rule = rules.find((candidate) => lowered.startsWith(candidate.prefix));
      return new FactoryLogger(category, rule?.severity ?? defaultSeverity, shared);
    },
  };
}

interface SharedState {
  readonly sinks: readonly LogSink[];
  readonly timeProvider: TimeProvider;
  readonly onSinkError: (error: unknown, sink: LogSink, record: LogRecord) => void;
}

const severity = {
  trace: logLevelSeverity('trace'),
  debug: logLevelSeverity('debug'),
  info: logLevelSeverity('info'),
  warn: logLevelSeverity('warn'),
  error: logLevelSeverity('error'),
  critical: logLevelSeverity('critical'),
} as const satisfies Record<LogLevel, number>;

class FactoryLogger implements Logger {
  readonly category: string;
  readonly #minimum: number;
  readonly #shared: SharedState;

  constructor(category: string, minimum: number, shared: SharedState) {
    this.category = category;
    this.#minimum = minimum;
    this.#shared = shared;
  }

  isEnabled(level: LogLevel): boolean {
    return severity[level] >= this.#minimum;
  }

  log(level: LogLevel, message: string, fields?: LogFields): void {
    const rank = severity[level] as number | undefined;
    // A level that is not one of the six is a caller's bug, but logging must not throw: write it as an error.
    if (rank === undefined) {
      if (severity.error >= this.#minimum) this.#write('error', message, { ...fields, invalidLevel: level });
      return;
    }
    if (rank >= this.#minimum) this.#write(level, message, fields);
  }

  trace(message: string, fields?: LogFields): void {
    if (severity.trace >= this.#minimum) this.#write('trace', message, fields);
  }

  debug(message: string, fields?: LogFields): void {
    if (severity.debug >= this.#minimum) this.#write('debug', message, fields);
  }

  info(message: string, fields?: LogFields): void {
    if (severity.info >= this.#minimum) this.#write('info', message, fields);
  }

  warn(message: string, fields?: LogFields): void {
    if (severity.warn >= this.#minimum) this.#write('warn', message, fields);
  }

  error(message: string, fields?: LogFields): void {
    if (severity.error >= this.#minimum) this.#write('error', message, fields);
  }

  critical(message: string, fields?: LogFields): void {
    if (severity.critical >= this.#minimum) this.#write('critical', message, fields);
  }

  #write(level: LogLevel, message: string, fields: LogFields | undefined): void {
    const { sinks, timeProvider, onSinkError } = this.#shared;
    let timestamp: number;
    try {
      timestamp = timeProvider.now();
    } catch {
      timestamp = Number.NaN;
    }
    const text = typeof message === 'string' ? message : describeMessage(message);
    const record = createRecord(timestamp, level, this.category, text, fields);
    for (const sink of sinks) {
      try {
        sink.write(record);
      } catch (error) {
        try {
          onSinkError(error, sink, record);
        } catch {
          // The error handler failed too (a closed stderr, say): nothing is left to report to.
        }
      }
    }
  }
}

function createRecord(
  timestamp: number,
  level: LogLevel,
  category: string,
  message: string,
  fields: LogFields | undefined,
): LogRecord {
  if (fields === undefined || fields === null) return { timestamp, level, category, message };
  let event: LogEvent | undefined;
  let error: unknown;
  let rest: Record<string, unknown> | undefined;
  for (const key of Object.keys(fields)) {
    const value = fields[key];
    if (key === 'event') event = value as LogEvent | undefined;
    else if (key === 'error') error = value;
    else if (key === '__proto__') {
      // An own "__proto__" field must stay a field, not become the prototype of the copy.
      Object.defineProperty((rest ??= {}), key, { value, enumerable: true, writable: true, configurable: true });
    } else (rest ??= {})[key] = value;
  }
  return {
    timestamp,
    level,
    category,
    message,
    ...(event !== undefined && { event }),
    ...(rest !== undefined && { fields: rest }),
    ...(error !== undefined && { error }),
  };
}

function checkLevel(name: string, level: unknown): MinimumLogLevel {
  if (!isMinimumLogLevel(level)) {
    throw new RangeError(`Expected ${name} to be one of trace, debug, info, warn, error, critical, none, got ${describeValue(level)}`);
  }
  return level;
}

function reportSinkErrorToConsole(error: unknown, sink: LogSink, record: LogRecord): void {
  const sinkName = (sink as { constructor?: { name?: unknown } }).constructor?.name;
  const shown = typeof sinkName === 'string' && sinkName !== '' ? sinkName : '(anonymous)';
  console.error(`hostkit: log sink ${shown} threw while writing a ${record.level} record of category '${record.category}':`, error);
}

function describeMessage(message: unknown): string {
  try {
    return String(message);
  } catch {
    return Object.prototype.toString.call(message);
  }
}
