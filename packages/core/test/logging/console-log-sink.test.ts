import { describe, expect, it } from 'vitest';
import { ManualTimeProvider } from '../../src/testing/index.ts';
import { ConsoleLogSink, createLoggerFactory, type ConsoleLike, type ConsoleLogSinkOptions } from '../../src/logging/index.ts';

const faulted = { id: 9, name: 'BackgroundServiceFaulted' } as const;

/** A console that records what it is given, so tests can assert whole lines. */
function fakeConsole(): ConsoleLike & { readonly out: unknown[][]; readonly err: unknown[][] } {
  const out: unknown[][] = [];
  const err: unknown[][] = [];
  return { out, err, log: (...data) => out.push(data), error: (...data) => err.push(data) };
}

function setup(options: ConsoleLogSinkOptions) {
  const time = new ManualTimeProvider({ now: Date.UTC(2026, 10, 5, 9, 30) });
  const target = fakeConsole();
  const sink = new ConsoleLogSink({ console: target, ...options });
  const logger = createLoggerFactory({ sinks: [sink], timeProvider: time, minimumLevel: 'trace' }).createLogger('app.Upload');
  return { target, sink, logger };
}

function errorWithStack(message: string, stack: string, options?: ErrorOptions): Error {
  const error = new Error(message, options);
  error.stack = stack;
  return error;
}

describe('ConsoleLogSink', () => {
  it('writes JSON when no format is given', () => {
    expect(new ConsoleLogSink({ console: fakeConsole() }).format).toBe('json');
  });

  describe("format 'text'", () => {
    it('writes the time, level, category, event, message and fields on one line', () => {
      const { target, logger } = setup({ format: 'text' });
      logger.info('Upload done', { event: faulted, file: 'a.csv', bytes: 1024, note: 'two words', ok: true });
      expect(target.out).toEqual([
        [
          '2026-11-05T09:30:00.000Z INFO  app.Upload[9 BackgroundServiceFaulted] Upload done file=a.csv bytes=1024 note="two words" ok=true',
        ],
      ]);
    });

    it('writes the error stack and its cause chain, indented, below the line', () => {
      const { target, logger } = setup({ format: 'text' });
      const cause = errorWithStack('ENOSPC', 'Error: ENOSPC\n    at write (fs.js:1:1)');
      const error = errorWithStack('disk full', 'Error: disk full\n    at upload (upload.ts:10:5)', { cause });
      logger.error('Upload failed', { error });
      expect(target.out).toEqual([
        [
          [
            '2026-11-05T09:30:00.000Z ERROR app.Upload Upload failed',
            '  Error: disk full',
            '      at upload (upload.ts:10:5)',
            '  Caused by: Error: ENOSPC',
            '      at write (fs.js:1:1)',
          ].join('\n'),
        ],
      ]);
    });

    it('writes a thrown value that is not an error as NonError', () => {
      const { target, logger } = setup({ format: 'text' });
      logger.warn('Odd', { error: 'just a string' });
      expect(target.out[0]?.[0]).toBe('2026-11-05T09:30:00.000Z WARN  app.Upload Odd\n  NonError: just a string');
    });

    it('writes objects, errors and circular values among the fields without throwing', () => {
      const { target, logger } = setup({ format: 'text' });
      const loop: Record<string, unknown> = { a: 1 };
      loop['self'] = loop;
      logger.info('Fields', { loop, inner: new TypeError('bad'), big: 10n, nothing: null });
      expect(target.out[0]?.[0]).toBe(
        '2026-11-05T09:30:00.000Z INFO  app.Upload Fields loop={"a":1,"self":"[Circular]"} inner="TypeError: bad" big=10 nothing=null',
      );
    });
  });

  describe("format 'json'", () => {
    it('writes one JSON object per line with the event id and name', () => {
      const { target, logger } = setup({ format: 'json' });
      logger.info('Started', { event: faulted, port: 8080 });
      logger.debug('Plain');
      expect(target.out).toHaveLength(2);
      const lines = target.out.map(([line]) => line as string);
      expect(lines.every((line) => !line.includes('\n'))).toBe(true);
      expect(JSON.parse(lines[0] ?? '')).toEqual({
        timestamp: '2026-11-05T09:30:00.000Z',
        level: 'info',
        category: 'app.Upload',
        eventId: 9,
        eventName: 'BackgroundServiceFaulted',
        message: 'Started',
        fields: { port: 8080 },
      });
      expect(JSON.parse(lines[1] ?? '')).toEqual({
        timestamp: '2026-11-05T09:30:00.000Z',
        level: 'debug',
        category: 'app.Upload',
        message: 'Plain',
      });
    });

    it('serialises the error with its name, message, stack, own properties and cause chain', () => {
      const { target, logger } = setup({ format: 'json' });
      const cause = Object.assign(errorWithStack('ENOSPC', 'Error: ENOSPC\n    at write'), { code: 'ENOSPC' });
      const error = errorWithStack('disk full', 'RangeError: disk full\n    at upload', { cause });
      error.name = 'RangeError';
      logger.error('Failed', { error });
      expect(JSON.parse(target.out[0]?.[0] as string)).toMatchObject({
        error: {
          name: 'RangeError',
          message: 'disk full',
          stack: 'RangeError: disk full\n    at upload',
          cause: { name: 'Error', message: 'ENOSPC', stack: 'Error: ENOSPC\n    at write', code: 'ENOSPC' },
        },
      });
    });

    it('never throws on circular fields, BigInt, or a getter that throws', () => {
      const { target, logger } = setup({ format: 'json' });
      const loop: Record<string, unknown> = { name: 'loop' };
      loop['self'] = loop;
      const shared = { n: 1 };
      logger.info('Circular', { loop, big: 2n ** 64n, twice: [shared, shared], set: new Set([1]), map: new Map([['k', 1]]) });
      const hostile = {
        get secret(): never {
          throw new Error('no access');
        },
      };
      logger.info('Hostile', { hostile, error: new Error('kept') });
      const [first, second] = target.out.map(([line]) => JSON.parse(line as string) as Record<string, unknown>);
      expect(first?.['fields']).toEqual({
        loop: { name: 'loop', self: '[Circular]' },
        big: '18446744073709551616',
        twice: [{ n: 1 }, { n: 1 }],
        set: [1],
        map: [['k', 1]],
      });
      expect(second).toMatchObject({ message: 'Hostile', fields: '[Unserializable: no access]', error: { message: 'kept' } });
    });

    it('writes a record whose clock reading is not a valid date', () => {
      const target = fakeConsole();
      new ConsoleLogSink({ console: target }).write({ timestamp: Number.NaN, level: 'info', category: 'c', message: 'm' });
      expect(JSON.parse(target.out[0]?.[0] as string)).toMatchObject({ timestamp: 'NaN', message: 'm' });
    });
  });

  it('sends records from the standard error threshold up to console.error', () => {
    const { target, logger } = setup({ format: 'json', standardErrorThreshold: 'error' });
    logger.warn('out');
    logger.error('err');
    logger.critical('err too');
    expect(target.out).toHaveLength(1);
    expect(target.err).toHaveLength(2);
  });

  it('rejects an unknown format, naming the value', () => {
    expect(() => new ConsoleLogSink({ format: 'xml' as never, console: fakeConsole() })).toThrow(
      new RangeError(`Expected format to be 'text' or 'json', got "xml" (string)`),
    );
  });
});
