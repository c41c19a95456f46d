import { describe, expect, it } from 'vitest';
import { logLevelSeverity } from '../../src/adapter-kit/index.ts';
import { isLogLevel, isMinimumLogLevel, logLevels, parseLogLevel } from '../../src/logging/index.ts';

describe('LogLevel', () => {
  it('orders the levels from trace to critical, with none above them all', () => {
    const ranks = [...logLevels, 'none' as const].map((level) => logLevelSeverity(level));
    expect(ranks).toEqual([0, 1, 2, 3, 4, 5, 6]);
  });

  it('tells levels from thresholds', () => {
    expect(isLogLevel('warn')).toBe(true);
    expect(isLogLevel('none')).toBe(false);
    expect(isMinimumLogLevel('none')).toBe(true);
    expect(isLogLevel('toString')).toBe(false);
  });

  it('parses hostkit and .NET level names case-insensitively', () => {
    expect(parseLogLevel('Information')).toBe('info');
    expect(parseLogLevel('Warning')).toBe('warn');
    expect(parseLogLevel(' CRITICAL ')).toBe('critical');
    expect(parseLogLevel('None')).toBe('none');
  });

  it('rejects an unknown level name, naming the value and its type', () => {
    expect(() => parseLogLevel('loud')).toThrow(
      new RangeError('Expected log level to be one of trace, debug, info, warn, error, critical, none, got "loud" (string)'),
    );
    expect(() => logLevelSeverity('verbose' as never)).toThrow(RangeError);
  });
});
