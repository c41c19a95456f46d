import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config/config-error.ts';
import { loadConfig, type LoadConfigResult } from '../../src/config/load-config.ts';

const cwd = resolve('/tmp/hostkit-config-test');

function configOf(result: LoadConfigResult): Extract<LoadConfigResult, { kind: 'run' }>['config'] {
  if (result.kind !== 'run') throw new Error(`expected a configuration, got ${result.kind}`);
  return result.config;
}

function problemsOf(args: readonly string[], env: Record<string, string> = {}): readonly string[] {
  try {
    loadConfig(args, env, cwd);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('returns the documented defaults when nothing is set', () => {
    const config = configOf(loadConfig([], {}, cwd));
    expect(config).toEqual({
      port: 8080,
      dataDir: join(cwd, '.hostkit-data'),
      weatherLatitude: 52.52,
      weatherLongitude: 13.41,
      weatherRefreshMs: 60_000,
      cleanupIntervalMs: 3_600_000,
      cleanupSchedule: '0 * * * *',
      cleanupTimeZone: 'UTC',
      logRetentionDays: 30,
      channelCapacity: 100,
      uploadMaxBytes: 10_485_760,
      uploadsMaxInProgress: 64,
      uploadIdleTimeoutMs: 60_000,
      uploadStagingMaxBytes: 1_073_741_824,
      shutdownTimeoutMs: 30_000,
      httpDrainDelayMs: 200,
      services: new Set(['cleanup', 'weather', 'files']),
      logFormat: 'text',
      logLevel: 'info',
      replicaId: expect.stringMatching(/^[A-Za-z0-9._-]+-\d+$/),
      leaseTtlMs: 15_000,
      workVisibilityTimeoutMs: 30_000,
      orphanSweepIntervalMs: 60_000,
      workConcurrency: 4,
    });
    expect('weatherApiUrl' in config).toBe(false);
    expect('redisUrl' in config).toBe(false);
  });

  it('reads every environment variable', () => {
    const config = configOf(
      loadConfig(
        [],
        {
          PORT: '0',
          DATA_DIR: 'data',
          WEATHER_API_URL: 'https://api.open-meteo.com/',
          WEATHER_LATITUDE: '-33.87',
          WEATHER_LONGITUDE: '151.21',
          WEATHER_REFRESH_MS: '500',
          CLEANUP_INTERVAL_MS: '250',
          LOG_RETENTION_DAYS: '7',
          CHANNEL_CAPACITY: '5',
          UPLOAD_MAX_BYTES: '1024',
          UPLOADS_MAX_IN_PROGRESS: '3',
          UPLOAD_IDLE_TIMEOUT_MS: '500',
          UPLOAD_STAGING_MAX_BYTES: '4096',
          SHUTDOWN_TIMEOUT_MS: '1000',
          HTTP_DRAIN_DELAY_MS: '100',
          SERVICES: 'weather,cleanup',
          LOG_FORMAT: 'json',
          LOG_LEVEL: 'Warning',
          REDIS_URL: 'redis://127.0.0.1:6380/2',
          REPLICA_ID: 'replica-1',
          LEASE_TTL_MS: '3000',
          WORK_VISIBILITY_TIMEOUT_MS: '5000',
          ORPHAN_SWEEP_INTERVAL_MS: '2000',
          WORK_CONCURRENCY: '8',
        },
        cwd,
      ),
    );
    expect(config).toEqual({
      port: 0,
      dataDir: join(cwd, 'data'),
      weatherApiUrl: 'https://api.open-meteo.com',
      weatherLatitude: -33.87,
      weatherLongitude: 151.21,
      weatherRefreshMs: 500,
      cleanupIntervalMs: 250,
      cleanupSchedule: undefined,
      cleanupTimeZone: 'UTC',
      logRetentionDays: 7,
      channelCapacity: 5,
      uploadMaxBytes: 1024,
      uploadsMaxInProgress: 3,
      uploadIdleTimeoutMs: 500,
      uploadStagingMaxBytes: 4096,
      shutdownTimeoutMs: 1000,
      httpDrainDelayMs: 100,
      services: new Set(['cleanup', 'weather']),
      logFormat: 'json',
      logLevel: 'warn',
      redisUrl: 'redis://127.0.0.1:6380/2',
      replicaId: 'replica-1',
      leaseTtlMs: 3000,
      workVisibilityTimeoutMs: 5000,
      orphanSweepIntervalMs: 2000,
      workConcurrency: 8,
    });
  });

  it('accepts "--flag value" and "--flag=value", and a flag wins over its variable', () => {
    const config = configOf(loadConfig(['--port', '9090', '--data-dir=/srv/data', '--services=files'], { PORT: '1234', DATA_DIR: 'x' }, cwd));
    expect(config.port).toBe(9090);
    expect(config.dataDir).toBe('/srv/data');
    expect([...config.services]).toEqual(['files']);
  });

  it('names a bad REDIS_URL without its password', () => {
    const [problem] = problemsOf([], { REDIS_URL: 'redis://user:s3cret@127.0.0.1:6379/queue' });
    expect(problem).toContain('"redis://user:[redacted]@127.0.0.1:6379/queue"');
    expect(problem).not.toContain('s3cret');
  });

  it('treats an empty variable as unset', () => {
    expect(configOf(loadConfig([], { PORT: '', WEATHER_API_URL: '' }, cwd)).port).toBe(8080);
  });

  it('returns the usage text for --help, listing every variable and flag', () => {
    const result = loadConfig(['--port', 'nope', '--help'], {}, cwd);
    expect(result.kind).toBe('help');
    const text = result.kind === 'help' ? result.text : '';
    for (const name of ['PORT', '--port', 'DATA_DIR', '--data-dir', 'WEATHER_API_URL', 'SHUTDOWN_TIMEOUT_MS', '--services']) {
      expect(text).toContain(name);
    }
  });

  it.each([
    ['PORT', 'abc', 'an integer from 0 to 65535'],
    ['PORT', '65536', 'an integer from 0 to 65535'],
    ['PORT', '-1', 'an integer from 0 to 65535'],
    ['PORT', '80.5', 'an integer from 0 to 65535'],
    ['WEATHER_API_URL', 'ftp://example.com', 'an absolute http: or https: URL'],
    ['WEATHER_API_URL', 'not a url', 'an absolute http: or https: URL'],
    ['WEATHER_API_URL', 'https://example.com/?apikey=secret', 'without query'],
    ['WEATHER_LATITUDE', '91', 'a decimal number from -90 to 90'],
    ['WEATHER_LATITUDE', 'north', 'a decimal number from -90 to 90'],
    ['WEATHER_LONGITUDE', '-180.5', 'a decimal number from -180 to 180'],
    ['WEATHER_REFRESH_MS', '0', 'an integer from 50 to 2147483647'],
    ['WEATHER_REFRESH_MS', '1e3', 'an integer from 50 to 2147483647'],
    ['CLEANUP_INTERVAL_MS', '1h', 'an integer from 10 to 2147483647'],
    ['CLEANUP_INTERVAL_MS', '99999999999', 'an integer from 10 to 2147483647'],
    ['CLEANUP_SCHEDULE', '0 25 * * *', 'a cron expression of 5 fields (minute hour day-of-month month day-of-week) or 6 (second first)'],
    ['CLEANUP_SCHEDULE', 'hourly', 'a cron expression of 5 fields'],
    ['CLEANUP_TIME_ZONE', 'Europe/Atlantis', 'an IANA time zone such as UTC, Europe/Berlin or America/New_York'],
    ['LOG_RETENTION_DAYS', '0', 'an integer from 1 to 36500'],
    ['CHANNEL_CAPACITY', '0', 'an integer from 1 to 1000000'],
    ['UPLOAD_MAX_BYTES', '10MiB', 'an integer number of bytes >= 1'],
    ['SHUTDOWN_TIMEOUT_MS', '-5', 'an integer from 0 to 2147483647'],
    ['HTTP_DRAIN_DELAY_MS', '1.5', 'an integer from 0 to 2147483647'],
    ['UPLOADS_MAX_IN_PROGRESS', '0', 'an integer from 1 to 100000'],
    ['SERVICES', 'cleanup,email', 'a comma-separated list of cleanup, weather, files'],
    ['LOG_FORMAT', 'xml', 'one of auto, text, json'],
    ['REDIS_URL', 'http://127.0.0.1:6379', 'a redis:// or rediss:// URL'],
    ['REDIS_URL', 'localhost:6379', 'a redis:// or rediss:// URL'],
    ['REDIS_URL', 'redis://127.0.0.1:6379/queue', 'a redis:// or rediss:// URL'],
    ['REPLICA_ID', 'a b', '1 to 64 letters'],
    ['LEASE_TTL_MS', '500', 'an integer from 1000 to 600000'],
    ['WORK_VISIBILITY_TIMEOUT_MS', 'soon', 'an integer from 1000 to 3600000'],
    ['ORPHAN_SWEEP_INTERVAL_MS', '50', 'an integer from 100 to 2147483647'],
    ['WORK_CONCURRENCY', '0', 'an integer from 1 to 256'],
  ])('names %s, the bad value %j and what was expected', (variable, value, expected) => {
    const [problem, ...others] = problemsOf([], { [variable]: value });
    expect(others).toEqual([]);
    expect(problem).toContain(variable);
    expect(problem).toContain(JSON.stringify(value));
    expect(problem).toContain(expected);
  });

  it('reads CLEANUP_SCHEDULE in CLEANUP_TIME_ZONE, and runs on the hourly schedule unless CLEANUP_INTERVAL_MS is set alone', () => {
    const scheduled = configOf(loadConfig([], { CLEANUP_SCHEDULE: '30 2 * * *', CLEANUP_TIME_ZONE: 'Europe/Berlin' }, cwd));
    expect([scheduled.cleanupSchedule, scheduled.cleanupTimeZone]).toEqual(['30 2 * * *', 'Europe/Berlin']);
    expect(configOf(loadConfig(['--cleanup-schedule', '*/10 * * * * *'], {}, cwd)).cleanupSchedule).toBe('*/10 * * * * *');
    expect(configOf(loadConfig([], { CLEANUP_INTERVAL_MS: '5000' }, cwd)).cleanupSchedule).toBeUndefined();
    expect(configOf(loadConfig([], { CLEANUP_INTERVAL_MS: '' }, cwd)).cleanupSchedule).toBe('0 * * * *');
  });

  it('refuses CLEANUP_INTERVAL_MS and CLEANUP_SCHEDULE set together, naming both', () => {
    expect(problemsOf([], { CLEANUP_INTERVAL_MS: '5000', CLEANUP_SCHEDULE: '0 * * * *' })).toEqual([
      'CLEANUP_INTERVAL_MS and CLEANUP_SCHEDULE are both set: set one of them (an interval from start, or a cron schedule)',
    ]);
  });

  it('names the flag too when the bad value came from one', () => {
    expect(problemsOf(['--port=http'])).toEqual(['PORT (given as --port) must be an integer from 0 to 65535; got "http"']);
  });

  it('reports every bad value at once, not only the first', () => {
    const problems = problemsOf(['--cleanup-interval-ms', 'soon'], { PORT: 'x', LOG_RETENTION_DAYS: 'forever' });
    expect(problems).toHaveLength(3);
    expect(problems.join('\n')).toMatch(/PORT[\s\S]*CLEANUP_INTERVAL_MS[\s\S]*LOG_RETENTION_DAYS/);
  });

  it('rejects unknown flags, flags without a value and stray arguments', () => {
    expect(problemsOf(['--prot', '80'])[0]).toMatch(/^Unknown flag --prot: expected one of --port, --data-dir/);
    expect(problemsOf(['--port'])[0]).toMatch(/^--port needs a value/);
    expect(problemsOf(['--port', '--data-dir', 'x'])[0]).toMatch(/^--port needs a value/);
    expect(problemsOf(['8080'])[0]).toMatch(/^Unexpected argument "8080"/);
  });

  it('rejects a DATA_DIR that is a file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hostkit-config-'));
    try {
      const file = join(dir, 'not-a-dir');
      writeFileSync(file, '');
      const [problem] = problemsOf([], { DATA_DIR: file });
      expect(problem).toContain('DATA_DIR');
      expect(problem).toContain(file);
      expect(problem).toContain('a directory');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('keeps the canonical service order whatever order SERVICES lists them in', () => {
    expect([...configOf(loadConfig([], { SERVICES: 'files, cleanup' }, cwd)).services]).toEqual(['cleanup', 'files']);
    expect([...configOf(loadConfig([], { SERVICES: 'all' }, cwd)).services]).toEqual(['cleanup', 'weather', 'files']);
  });
});

describe('loadConfig HTTP_DRAIN_DELAY_MS', () => {
  it('refuses a drain delay that would eat the whole shutdown budget, naming both values', () => {
    expect(problemsOf([], { HTTP_DRAIN_DELAY_MS: '5000', SHUTDOWN_TIMEOUT_MS: '5000' })).toEqual([
      'HTTP_DRAIN_DELAY_MS must be less than SHUTDOWN_TIMEOUT_MS (5000), which it is part of; got 5000',
    ]);
    expect(loadConfig([], { HTTP_DRAIN_DELAY_MS: '5000', SHUTDOWN_TIMEOUT_MS: '30000' }, cwd)).toMatchObject({ config: { httpDrainDelayMs: 5000 } });
  });
});
