import type { LoggerFactory } from './logger-factory.ts';
import type { Logger } from './logger.ts';

function ignore(): void {
  // Logging is off: every record is dropped.
}

/**
 * A {@link Logger} that drops everything and reports every level disabled. The default wherever a
 * logger is optional, so components never test for `undefined` before logging.
 */
export const nullLogger: Logger = Object.freeze({
  category: '',
  isEnabled: (): boolean => false,
  log: ignore,
  trace: ignore,
  debug: ignore,
  info: ignore,
  warn: ignore,
  error: ignore,
  critical: ignore,
});

/** A {@link LoggerFactory} whose loggers drop everything; for when logging is off. */
export const nullLoggerFactory: LoggerFactory = Object.freeze({
  createLogger: (category: string): Logger => (category === '' ? nullLogger : Object.freeze({ ...nullLogger, category })),
});
