import { ConsoleLogSink } from '../logging/console-log-sink.ts';
import { isMinimumLogLevel, type MinimumLogLevel } from '../logging/log-level.ts';
import type { LogRecord } from '../logging/log-record.ts';
import type { LogSink } from '../logging/log-sink.ts';
import { createLoggerFactory, type LoggerFactory } from '../logging/logger-factory.ts';
import type { TimeProvider } from '../time/time-provider.ts';
import { describeValue } from '../internal/describe-value.ts';

/**
 * The logging configuration of a host builder (`builder.logging`), like .NET's `ILoggingBuilder`.
 * Starts with one `ConsoleLogSink` (JSON lines) and minimum level `info`; read once, by
 * `builder.build()`.
 *
 * ```ts
 * builder.logging.clearSinks().addSink(new ConsoleLogSink({ format: 'text' })).setMinimumLevel('debug').setCategoryLevel('hostkit', 'warn');
 * ```
 */
export class HostLoggingBuilder {
  readonly #sinks: LogSink[] = [new ConsoleLogSink()];
  readonly #categoryLevels: Record<string, MinimumLogLevel> = {};
  #minimumLevel: MinimumLogLevel = 'info';
  #onSinkError: ((error: unknown, sink: LogSink, record: LogRecord) => void) | undefined = undefined;
  #factory: LoggerFactory | undefined = undefined;

  /** The sinks records go to, in order. */
  get sinks(): readonly LogSink[] {
    return this.#sinks;
  }

  /** Records below this level are dropped, unless a category level says otherwise. @default 'info' */
  get minimumLevel(): MinimumLogLevel {
    return this.#minimumLevel;
  }

  /** Minimum levels by category prefix (see `LoggerFactoryOptions.categoryLevels`). */
  get categoryLevels(): Readonly<Record<string, MinimumLogLevel>> {
    return this.#categoryLevels;
  }

  /**
   * Adds a sink after the others.
   * @throws TypeError when `sink` has no `write` method.
   */
  addSink(sink: LogSink): this {
    if (typeof (sink as Partial<LogSink> | null)?.write !== 'function') {
      throw new TypeError(`Expected a LogSink with a write method, got ${describeValue(sink)}`);
    }
    this.#sinks.push(sink);
    return this;
  }

  /** Removes every sink, the default console sink included (then nothing is logged until one is added). */
  clearSinks(): this {
    this.#sinks.length = 0;
    return this;
  }

  /**
   * Sets the level below which records are dropped.
   * @throws RangeError when `level` is not a level or `'none'`.
   */
  setMinimumLevel(level: MinimumLogLevel): this {
    this.#minimumLevel = checkLevel('minimumLevel', level);
    return this;
  }

  /**
   * Sets the minimum level of the categories starting with `prefix` (case-insensitive; the
   * longest matching prefix wins). Each hosted service logs in a category named after its token,
   * the host in `hostkit.Host`.
   * @throws RangeError when `level` is not a level or `'none'`.
   */
  setCategoryLevel(prefix: string, level: MinimumLogLevel): this {
    if (typeof prefix !== 'string') throw new TypeError(`Expected prefix to be a string, got ${describeValue(prefix)}`);
    Object.defineProperty(this.#categoryLevels, prefix, {
      value: checkLevel(`the level of '${prefix}'`, level),
      enumerable: true,
      writable: true,
      configurable: true,
    });
    return this;
  }

  /** Sets what is called when a sink throws (see `LoggerFactoryOptions.onSinkError`). */
  setSinkErrorHandler(handler: (error: unknown, sink: LogSink, record: LogRecord) => void): this {
    if (typeof handler !== 'function') throw new TypeError(`Expected handler to be a function, got ${describeValue(handler)}`);
    this.#onSinkError = handler;
    return this;
  }

  /**
   * Uses `factory` instead of the one built from this configuration: for an application that
   * brings its own logging. The sinks and levels set here are then ignored.
   */
  useFactory(factory: LoggerFactory): this {
    if (typeof (factory as Partial<LoggerFactory> | null)?.createLogger !== 'function') {
      throw new TypeError(`Expected a LoggerFactory with a createLogger method, got ${describeValue(factory)}`);
    }
    this.#factory = factory;
    return this;
  }

  /** Builds the factory the host uses; called by `builder.build()`. */
  createFactory(timeProvider: TimeProvider): LoggerFactory {
    if (this.#factory !== undefined) return this.#factory;
    return createLoggerFactory({
      sinks: [...this.#sinks],
      minimumLevel: this.#minimumLevel,
      categoryLevels: { ...this.#categoryLevels },
      timeProvider,
      ...(this.#onSinkError !== undefined && { onSinkError: this.#onSinkError }),
    });
  }
}

function checkLevel(name: string, level: unknown): MinimumLogLevel {
  if (!isMinimumLogLevel(level)) {
    throw new RangeError(`Expected ${name} to be one of trace, debug, info, warn, error, critical, none, got ${describeValue(level)}`);
  }
  return level;
}
