import { describe, expect, it, vi } from 'vitest';
import { ManualTimeProvider } from '../../src/testing/index.ts';
import {
  createLoggerFactory,
  MemoryLogSink,
  nullLogger,
  nullLoggerFactory,
  type LogRecord,
  type LogSink,
} from '../../src/logging/index.ts';

const started = { id: 2, name: 'Started' } as const;

function setup(options: Parameters<typeof createLoggerFactory>[0] = {}) {
  const time = new ManualTimeProvider({ now: Date.UTC(2026, 10, 5, 9, 30) });
  const sink = new MemoryLogSink();
  const factory = createLoggerFactory({ sinks: [sink], timeProvider: time, ...options });
  return { time, sink, factory };
}

describe('createLoggerFactory', () => {
  describe('records', () => {
    it('stamps a record with the time provider wall clock, level, category and message', () => {
      const { sink, factory } = setup();
      factory.createLogger('app.Worker').info('Hello');
      expect(sink.records).toEqual([
        { timestamp: Date.UTC(2026, 10, 5, 9, 30), level: 'info', category: 'app.Worker', message: 'Hello' },
      ]);
    });

    it('lifts the reserved event and error keys out of the fields', () => {
      const { sink, factory } = setup();
      const error = new Error('boom');
      factory.createLogger('app').error('Failed', { event: started, error, file: 'a.csv', attempt: 2 });
      const [record] = sink.records;
      expect(record?.event).toBe(started);
      expect(record?.error).toBe(error);
      expect(record?.fields).toEqual({ file: 'a.csv', attempt: 2 });
    });

    it('omits fields when only reserved keys were given, and error when it is undefined', () => {
      const { sink, factory } = setup();
      factory.createLogger('app').warn('Only an event', { event: started, error: undefined });
      const [record] = sink.records;
      expect(record).not.toHaveProperty('fields');
      expect(record).not.toHaveProperty('error');
      expect(record?.event).toBe(started);
    });

    it('keeps a falsy error such as 0 or an empty string', () => {
      const { sink, factory } = setup();
      factory.createLogger('app').error('Odd throw', { error: 0 });
      expect(sink.records[0]).toHaveProperty('error', 0);
    });

    it('keeps an own __proto__ field as a field instead of changing the prototype', () => {
      const { sink, factory } = setup();
      const fields = JSON.parse('{"__proto__": {"polluted": true}}') as Record<string, unknown>;
      factory.createLogger('app').info('Hostile fields', fields);
      const recorded = sink.records[0]?.fields ?? {};
      expect(Object.getPrototypeOf(recorded)).toBe(Object.prototype);
      expect(Object.hasOwn(recorded, '__proto__')).toBe(true);
    });

    it('writes through log() at the level given', () => {
      const { sink, factory } = setup({ minimumLevel: 'trace' });
      const logger = factory.createLogger('app');
      for (const level of ['trace', 'debug', 'info', 'warn', 'error', 'critical'] as const) logger.log(level, level);
      expect(sink.records.map((record) => record.level)).toEqual(['trace', 'debug', 'info', 'warn', 'error', 'critical']);
    });

    it('writes a record at an unknown level as an error instead of throwing', () => {
      const { sink, factory } = setup();
      factory.createLogger('app').log('loud' as never, 'Odd level');
      expect(sink.records[0]).toMatchObject({ level: 'error', message: 'Odd level', fields: { invalidLevel: 'loud' } });
    });

    it('writes every record to every sink, in order', () => {
      const first = new MemoryLogSink();
      const second = new MemoryLogSink();
      const factory = createLoggerFactory({ sinks: [first, second], timeProvider: new ManualTimeProvider() });
      factory.createLogger('app').info('Twice');
      expect(first.records).toHaveLength(1);
      expect(second.records[0]).toBe(first.records[0]);
    });
  });

  describe('levels', () => {
    it('drops records below the minimum level, which defaults to info', () => {
      const { sink, factory } = setup();
      const logger = factory.createLogger('app');
      logger.trace('no');
      logger.debug('no');
      logger.info('yes');
      expect(sink.records.map((record) => record.message)).toEqual(['yes']);
      expect(logger.isEnabled('debug')).toBe(false);
      expect(logger.isEnabled('info')).toBe(true);
    });

    it('drops everything when the minimum level is none', () => {
      const { sink, factory } = setup({ minimumLevel: 'none' });
      const logger = factory.createLogger('app');
      logger.critical('no');
      expect(sink.records).toHaveLength(0);
      expect(logger.isEnabled('critical')).toBe(false);
    });

    it('takes the level of the longest matching category prefix, case-insensitively', () => {
      const { factory } = setup({
        minimumLevel: 'warn',
        categoryLevels: { hostkit: 'error', 'hostkit.Host': 'debug', 'APP.NOISY': 'none' },
      });
      expect(factory.createLogger('hostkit.Host').isEnabled('debug')).toBe(true);
      expect(factory.createLogger('hostkit.HostedServices').isEnabled('debug')).toBe(true);
      expect(factory.createLogger('hostkit.Channels').isEnabled('warn')).toBe(false);
      expect(factory.createLogger('hostkit.Channels').isEnabled('error')).toBe(true);
      expect(factory.createLogger('app.noisy.Worker').isEnabled('critical')).toBe(false);
      expect(factory.createLogger('other').isEnabled('warn')).toBe(true);
      expect(factory.createLogger('other').isEnabled('info')).toBe(false);
    });

    it('does not build a record or read the clock when the level is disabled', () => {
      const time = new ManualTimeProvider();
      const now = vi.spyOn(time, 'now');
      const write = vi.fn<(record: LogRecord) => void>();
      const logger = createLoggerFactory({ sinks: [{ write }], timeProvider: time, minimumLevel: 'error' }).createLogger('app');
      logger.info('dropped', { costly: 1 });
      expect(now).not.toHaveBeenCalled();
      expect(write).not.toHaveBeenCalled();
    });

    it('reports every level disabled when there are no sinks', () => {
      const logger = createLoggerFactory({ timeProvider: new ManualTimeProvider(), minimumLevel: 'trace' }).createLogger('app');
      expect(logger.isEnabled('critical')).toBe(false);
    });

    it('rejects an unknown minimum level at construction, naming the value', () => {
      expect(() => createLoggerFactory({ minimumLevel: 'verbose' as never })).toThrow(
        new RangeError('Expected minimumLevel to be one of trace, debug, info, warn, error, critical, none, got "verbose" (string)'),
      );
      expect(() => createLoggerFactory({ categoryLevels: { app: 'loud' as never } })).toThrow(/categoryLevels\['app'\].*"loud"/);
    });

    it('rejects a sink without a write method at construction', () => {
      expect(() => createLoggerFactory({ sinks: [{} as LogSink] })).toThrow(TypeError);
    });
  });

  describe('failing sinks', () => {
    it('keeps the caller and the other sinks going when a sink throws, and reports the error', () => {
      const failure = new Error('disk full');
      const broken: LogSink = {
        write: () => {
          throw failure;
        },
      };
      const healthy = new MemoryLogSink();
      const onSinkError = vi.fn<(error: unknown, sink: LogSink, record: LogRecord) => void>();
      const logger = createLoggerFactory({
        sinks: [broken, healthy],
        timeProvider: new ManualTimeProvider(),
        onSinkError,
      }).createLogger('app');
      expect(() => logger.error('still logged')).not.toThrow();
      expect(healthy.records).toHaveLength(1);
      expect(onSinkError).toHaveBeenCalledWith(failure, broken, healthy.records[0]);
    });

    it('writes a failing sink error to console.error by default', () => {
      const consoleError = vi.spyOn(console, 'error').mockImplementation(() => {});
      try {
        const failure = new Error('broken pipe');
        const logger = createLoggerFactory({
          sinks: [
            {
              write: () => {
                throw failure;
              },
            },
          ],
          timeProvider: new ManualTimeProvider(),
        }).createLogger('app.Worker');
        logger.warn('lost');
        expect(consoleError).toHaveBeenCalledTimes(1);
        expect(consoleError.mock.calls[0]?.[0]).toContain("warn record of category 'app.Worker'");
        expect(consoleError.mock.calls[0]?.[1]).toBe(failure);
      } finally {
        consoleError.mockRestore();
      }
    });

    it('ignores an error handler that throws too', () => {
      const logger = createLoggerFactory({
        sinks: [
          {
            write: () => {
              throw new Error('sink');
            },
          },
        ],
        timeProvider: new ManualTimeProvider(),
        onSinkError: () => {
          throw new Error('handler');
        },
      }).createLogger('app');
      expect(() => logger.info('x')).not.toThrow();
    });
  });
});

describe('nullLogger', () => {
  it('drops everything and reports every level disabled', () => {
    expect(nullLogger.isEnabled('critical')).toBe(false);
    expect(() => nullLogger.critical('ignored', { error: new Error('x') })).not.toThrow();
  });

  it('is what nullLoggerFactory hands out, under the category asked for', () => {
    const logger = nullLoggerFactory.createLogger('app');
    expect(logger.category).toBe('app');
    expect(logger.isEnabled('error')).toBe(false);
  });
});
