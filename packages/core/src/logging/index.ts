/**
 * Logging: the port every hostkit component logs through, and the sinks that come with core.
 * What a sink of one's own needs (record formatting, error serialization, severities) is in
 * `@hostkit/core/adapter-kit`.
 * @module
 */
export type { LogLevel, MinimumLogLevel } from './log-level.ts';
export { isLogLevel, isMinimumLogLevel, logLevels, parseLogLevel } from './log-level.ts';
export type { LogEvent } from './log-event.ts';
export type { LogFields, LogRecord } from './log-record.ts';
export type { Logger } from './logger.ts';
export type { LogSink } from './log-sink.ts';
export type { LoggerFactory, LoggerFactoryOptions } from './logger-factory.ts';
export { createLoggerFactory } from './logger-factory.ts';
export { nullLogger, nullLoggerFactory } from './null-logger.ts';
export type { ConsoleLike, ConsoleLogFormat, ConsoleLogSinkOptions } from './console-log-sink.ts';
export { ConsoleLogSink } from './console-log-sink.ts';
export type { MemoryLogFilter, MemoryLogSinkOptions } from './memory-log-sink.ts';
export { MemoryLogSink } from './memory-log-sink.ts';
