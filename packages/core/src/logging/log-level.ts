import { describeValue } from '../internal/describe-value.ts';

/**
 * How serious a log record is, from least to most severe. The order is {@link logLevels}'s.
 *
 * The names are the ones JavaScript consoles and most log shippers use; .NET's `Information`,
 * `Warning` map to `info` and `warn` ({@link parseLogLevel} accepts both spellings).
 */
export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'critical';

/**
 * A threshold below which records are dropped: a {@link LogLevel}, or `'none'` to drop everything
 * (what .NET spells `LogLevel.None`). Only thresholds take `'none'`: no record is ever written at
 * level `none`.
 */
export type MinimumLogLevel = LogLevel | 'none';

/** Every {@link LogLevel}, least severe first. */
export const logLevels: readonly LogLevel[] = Object.freeze(['trace', 'debug', 'info', 'warn', 'error', 'critical']);

const severities: Readonly<Record<MinimumLogLevel, number>> = Object.freeze({
  trace: 0,
  debug: 1,
  info: 2,
  warn: 3,
  error: 4,
  critical: 5,
  none: 6,
});

/**
 * The rank of a level or threshold: `trace` is 0, `critical` 5, `none` 6. A record at `level` passes
 * a threshold `minimum` when `logLevelSeverity(level) >= logLevelSeverity(minimum)`.
 */
export function logLevelSeverity(level: MinimumLogLevel): number {
  if (!isMinimumLogLevel(level)) throw invalidLevel('level', level);
  return severities[level];
}

/** Whether `value` is one of the six {@link LogLevel}s (not `'none'`). */
export function isLogLevel(value: unknown): value is LogLevel {
  return typeof value === 'string' && value !== 'none' && Object.hasOwn(severities, value);
}

/** Whether `value` is a {@link MinimumLogLevel}: a {@link LogLevel} or `'none'`. */
export function isMinimumLogLevel(value: unknown): value is MinimumLogLevel {
  return typeof value === 'string' && Object.hasOwn(severities, value);
}

const aliases: Readonly<Record<string, MinimumLogLevel>> = Object.freeze({
  trace: 'trace',
  debug: 'debug',
  info: 'info',
  information: 'info',
  warn: 'warn',
  warning: 'warn',
  error: 'error',
  critical: 'critical',
  none: 'none',
});

/**
 * Reads a threshold from configuration text, case-insensitively, accepting both hostkit's names and
 * .NET's (`Information`, `Warning`), so an `appsettings.json`-style `Logging:LogLevel` section can
 * be carried over unchanged.
 * @throws RangeError when `text` names no level.
 * @example parseLogLevel('Warning') // 'warn'
 */
export function parseLogLevel(text: string): MinimumLogLevel {
  const level = typeof text === 'string' ? aliases[text.trim().toLowerCase()] : undefined;
  if (level === undefined) throw invalidLevel('log level', text);
  return level;
}

function invalidLevel(what: string, value: unknown): RangeError {
  return new RangeError(
    `Expected ${what} to be one of trace, debug, info, warn, error, critical, none, got ${describeValue(value)}`,
  );
}
