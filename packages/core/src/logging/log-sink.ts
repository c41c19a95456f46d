import type { LogRecord } from './log-record.ts';

/**
 * Where log records go: the console, memory, a file, a collector.
 *
 * `write` is called synchronously by the logger, on the caller's stack, for every record that
 * passed the level filter. It must return quickly: a sink that ships records over the network
 * buffers them and sends them from its own loop. A sink that throws does not break the caller: the
 * logger factory catches the error and reports it (see `LoggerFactoryOptions.onSinkError`).
 */
export interface LogSink {
  /** Takes one record; called synchronously, so it must return quickly and must not modify `record`. */
  write(record: LogRecord): void;
}
