import { CronSchedule, parseLogLevel, type MinimumLogLevel } from '@hostkit/core';
import { statSync } from 'node:fs';
import { hostname } from 'node:os';
import process from 'node:process';
import { isAbsolute, resolve } from 'node:path';
import { ALL_SERVICES, type AppConfig, type LogFormatSetting, type ServiceName } from './app-config.ts';
import { ConfigError } from './config-error.ts';

/** Where a raw value came from, as the error message names it. */
interface RawValue {
  readonly text: string;
  readonly source: string;
}

/** One setting: its variable, its flag, its default and how to read it. */
interface Setting<T> {
  readonly env: string;
  readonly flag: string;
  readonly help: string;
  /** The default as shown in `--help`. */
  readonly shownDefault: string;
  /** The value when neither the variable nor the flag is set. */
  defaultValue(cwd: string): T;
  /** Returns the value, or what was expected (the message's "expected ..." part). */
  parse(text: string, cwd: string): { ok: true; value: T } | { ok: false; expected: string };
  /** How a bad value is shown in the error (REDIS_URL hides its password). @default as given */
  readonly redact?: (text: string) => string;
}

const MAX_TIMER_MS = 2_147_483_647; // setTimeout's limit (about 24.8 days)

/** When the cleanup runs unless told otherwise: hourly, at minute 0. */
export const DEFAULT_CLEANUP_SCHEDULE = '0 * * * *';

function integer(min: number, max: number, what = `an integer from ${min} to ${max}`): Setting<number>['parse'] {
  return (text) => {
    if (!/^\d+$/.test(text)) return { ok: false, expected: what };
    const value = Number(text);
    return value >= min && value <= max ? { ok: true, value } : { ok: false, expected: what };
  };
}

function decimal(min: number, max: number): Setting<number>['parse'] {
  const what = `a decimal number from ${min} to ${max}`;
  return (text) => {
    if (!/^[+-]?(\d+(\.\d*)?|\.\d+)$/.test(text)) return { ok: false, expected: what };
    const value = Number(text);
    return value >= min && value <= max ? { ok: true, value } : { ok: false, expected: what };
  };
}

function setting<T>(
  env: string,
  help: string,
  shownDefault: string,
  defaultValue: (cwd: string) => T,
  parse: Setting<T>['parse'],
  redact?: (text: string) => string,
): Setting<T> {
  return { env, flag: `--${env.toLowerCase().replaceAll('_', '-')}`, help, shownDefault, defaultValue, parse, ...(redact !== undefined && { redact }) };
}

const settings = {
  port: setting('PORT', 'TCP port on 127.0.0.1 (0 = any free port)', '8080', () => 8080, integer(0, 65_535)),
  dataDir: setting(
    'DATA_DIR',
    'directory for app.db, inbox/, outbox/, failed/',
    '.hostkit-data',
    (cwd) => resolve(cwd, '.hostkit-data'),
    (text, cwd): { ok: true; value: string } | { ok: false; expected: string } => {
      const path = isAbsolute(text) ? text : resolve(cwd, text);
      try {
        if (!statSync(path).isDirectory()) return { ok: false, expected: 'a directory (or a path that does not exist yet), but it is a file' };
      } catch {
        // Does not exist yet: created at start.
      }
      return { ok: true, value: path };
    },
  ),
  weatherApiUrl: setting<string | undefined>(
    'WEATHER_API_URL',
    'Open-Meteo compatible base URL (unset = built-in stub server)',
    'the in-process stub',
    () => undefined,
    (text) => {
      const expected = 'an absolute http: or https: URL without query, fragment or credentials, e.g. https://api.open-meteo.com';
      let url: URL;
      try {
        url = new URL(text);
      } catch {
        return { ok: false, expected };
      }
      if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.search !== '' || url.hash !== '' || url.username !== '' || url.password !== '') {
        return { ok: false, expected };
      }
      return { ok: true, value: text.replace(/\/+$/, '') };
    },
  ),
  weatherLatitude: setting('WEATHER_LATITUDE', 'latitude of the forecast, degrees north', '52.52 (Berlin)', () => 52.52, decimal(-90, 90)),
  weatherLongitude: setting('WEATHER_LONGITUDE', 'longitude of the forecast, degrees east', '13.41 (Berlin)', () => 13.41, decimal(-180, 180)),
  weatherRefreshMs: setting('WEATHER_REFRESH_MS', 'ms between forecast refreshes', '60000', () => 60_000, integer(50, MAX_TIMER_MS)),
  cleanupIntervalMs: setting(
    'CLEANUP_INTERVAL_MS',
    'ms between log cleanups, from start; when set, it replaces CLEANUP_SCHEDULE',
    '3600000 (unused unless set)',
    () => 3_600_000,
    integer(10, MAX_TIMER_MS),
  ),
  cleanupSchedule: setting<string | undefined>(
    'CLEANUP_SCHEDULE',
    'when log cleanups run: a cron expression, 5 fields (or 6, seconds first), read in CLEANUP_TIME_ZONE',
    '0 * * * * (hourly, at minute 0)',
    () => DEFAULT_CLEANUP_SCHEDULE,
    (text) => {
      try {
        return { ok: true, value: new CronSchedule(text).expression };
      } catch {
        return { ok: false, expected: 'a cron expression of 5 fields (minute hour day-of-month month day-of-week) or 6 (second first), e.g. "0 * * * *"' };
      }
    },
  ),
  cleanupTimeZone: setting('CLEANUP_TIME_ZONE', 'the IANA time zone CLEANUP_SCHEDULE is read in', 'UTC', () => 'UTC', (text) => {
    try {
      return { ok: true, value: new CronSchedule('0 * * * *', { timeZone: text }).timeZone };
    } catch {
      return { ok: false, expected: 'an IANA time zone such as UTC, Europe/Berlin or America/New_York' };
    }
  }),
  logRetentionDays: setting('LOG_RETENTION_DAYS', 'days of logs rows to keep', '30', () => 30, integer(1, 36_500)),
  channelCapacity: setting('CHANNEL_CAPACITY', 'files waiting to be processed, at most', '100', () => 100, integer(1, 1_000_000)),
  uploadMaxBytes: setting(
    'UPLOAD_MAX_BYTES',
    'largest accepted upload, in bytes',
    '10485760 (10 MiB)',
    () => 10 * 1024 * 1024,
    integer(1, Number.MAX_SAFE_INTEGER, 'an integer number of bytes >= 1'),
  ),
  uploadsMaxInProgress: setting(
    'UPLOADS_MAX_IN_PROGRESS',
    'uploads received at once; one more is answered 503 before its body is read',
    '64',
    () => 64,
    integer(1, 100_000),
  ),
  uploadIdleTimeoutMs: setting(
    'UPLOAD_IDLE_TIMEOUT_MS',
    "longest wait in ms for the next piece of an upload's body (then 408)",
    '60000',
    () => 60_000,
    integer(10, MAX_TIMER_MS),
  ),
  uploadStagingMaxBytes: setting(
    'UPLOAD_STAGING_MAX_BYTES',
    'bytes of uploads on disk not yet processed, at most (then 503)',
    '1073741824 (1 GiB)',
    () => 1024 * 1024 * 1024,
    integer(1, Number.MAX_SAFE_INTEGER, 'an integer number of bytes >= 1'),
  ),
  shutdownTimeoutMs: setting('SHUTDOWN_TIMEOUT_MS', 'ms a graceful stop may take', '30000', () => 30_000, integer(0, MAX_TIMER_MS)),
  httpDrainDelayMs: setting(
    'HTTP_DRAIN_DELAY_MS',
    'at stop, ms the HTTP server keeps serving with /readyz at 503 before refusing connections (Kubernetes: 10000, see the README); part of SHUTDOWN_TIMEOUT_MS',
    '200',
    () => 200,
    integer(0, MAX_TIMER_MS),
  ),
  services: setting<ReadonlySet<ServiceName>>(
    'SERVICES',
    `which features run: a comma-separated list of ${ALL_SERVICES.join(', ')}, or all`,
    'all',
    () => new Set(ALL_SERVICES),
    (text) => {
      const expected = `a comma-separated list of ${ALL_SERVICES.join(', ')} (or all)`;
      const names = text.split(',').map((name) => name.trim().toLowerCase());
      if (names.length === 1 && names[0] === 'all') return { ok: true, value: new Set(ALL_SERVICES) };
      const picked = new Set<ServiceName>();
      for (const name of names) {
        const known = ALL_SERVICES.find((service) => service === name);
        if (known === undefined) return { ok: false, expected };
        picked.add(known);
      }
      // Registration order stays the canonical one whatever order the list was written in.
      return { ok: true, value: new Set(ALL_SERVICES.filter((service) => picked.has(service))) };
    },
  ),
  // Text by default, not the adapters' 'auto': this program is read by people, usually through
  // turbo, which pipes its output (so 'auto' would pick JSON). Collectors set LOG_FORMAT=json.
  logFormat: setting<LogFormatSetting>('LOG_FORMAT', 'console log format: text, json, or auto (text on a terminal)', 'text', () => 'text', (text) =>
    text === 'auto' || text === 'text' || text === 'json' ? { ok: true, value: text } : { ok: false, expected: 'one of auto, text, json' },
  ),
  logLevel: setting<MinimumLogLevel>(
    'LOG_LEVEL',
    'least severe console record written: trace, debug (one line per processed file), info, warn, error, critical, none',
    'info',
    () => 'info',
    (text) => {
      try {
        return { ok: true, value: parseLogLevel(text) };
      } catch {
        return { ok: false, expected: 'one of trace, debug, info, warn, error, critical, none' };
      }
    },
  ),
  redisUrl: setting<string | undefined>(
    'REDIS_URL',
    'Redis URL; set = cluster mode (leases, weather cache and file work queue shared by every replica)',
    'unset: single process',
    () => undefined,
    (text) => {
      const expected = 'a redis:// or rediss:// URL with a host, e.g. redis://127.0.0.1:6379 or rediss://user:password@redis.example:6380/0';
      let url: URL;
      try {
        url = new URL(text);
      } catch {
        return { ok: false, expected };
      }
      if ((url.protocol !== 'redis:' && url.protocol !== 'rediss:') || url.hostname === '' || url.hash !== '' || !/^(\/\d*)?$/.test(url.pathname)) {
        return { ok: false, expected };
      }
      return { ok: true, value: text };
    },
    // The error names the value, but never a password in it.
    (text) => text.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:@/]*:)[^@/]*@/i, '$1[redacted]@'),
  ),
  replicaId: setting(
    'REPLICA_ID',
    "this replica's name in logs and activity rows (cluster mode)",
    '<hostname>-<pid>',
    () => defaultReplicaId(),
    (text) =>
      /^[A-Za-z0-9._-]{1,64}$/.test(text)
        ? { ok: true, value: text }
        : { ok: false, expected: '1 to 64 letters, digits, dots, dashes or underscores' },
  ),
  leaseTtlMs: setting('LEASE_TTL_MS', 'ms a cluster-singleton lease lives without renewal (cluster mode)', '15000', () => 15_000, integer(1_000, 600_000)),
  workVisibilityTimeoutMs: setting(
    'WORK_VISIBILITY_TIMEOUT_MS',
    'ms before a work-queue entry that was not acked is delivered again (cluster mode)',
    '30000',
    () => 30_000,
    integer(1_000, 3_600_000),
  ),
  orphanSweepIntervalMs: setting(
    'ORPHAN_SWEEP_INTERVAL_MS',
    'ms between sweeps that enqueue again stored files a dead replica left with no work-queue entry (cluster mode)',
    '60000',
    () => 60_000,
    integer(100, MAX_TIMER_MS),
  ),
  workConcurrency: setting('WORK_CONCURRENCY', 'work-queue entries processed at once per replica (cluster mode)', '4', () => 4, integer(1, 256)),
} satisfies { [K in keyof AppConfig]-?: Setting<AppConfig[K]> };

type SettingKey = keyof typeof settings;
const settingKeys = Object.keys(settings) as SettingKey[];

/** What {@link loadConfig} found: a configuration to run, or a request for the usage text. */
export type LoadConfigResult = { readonly kind: 'run'; readonly config: AppConfig } | { readonly kind: 'help'; readonly text: string };

/**
 * Reads the configuration from command-line flags and environment variables; a flag wins over
 * its variable. Called once by `main`, before anything is created, so a bad value stops the
 * program before it touches the disk or the network.
 *
 * Every problem is collected, not just the first, and each names the variable (and the flag when
 * that is where the value came from), the bad value and what was expected. An empty variable
 * counts as unset (as compose files and CI templates often produce them).
 * @param args The arguments after the script (`process.argv.slice(2)`, `Deno.args`).
 * @param env The environment (`process.env`, `Deno.env.toObject()`).
 * @param cwd Relative DATA_DIR values are resolved against it.
 * @throws ConfigError listing every problem.
 */
export function loadConfig(args: readonly string[], env: Readonly<Record<string, string | undefined>>, cwd: string): LoadConfigResult {
  const problems: string[] = [];
  const fromFlags = new Map<SettingKey, RawValue>();
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? '';
    if (arg === '--help' || arg === '-h') return { kind: 'help', text: usage() };
    if (!arg.startsWith('--')) {
      problems.push(`Unexpected argument ${JSON.stringify(arg)}: expected flags such as --port 8080 (see --help)`);
      continue;
    }
    const equals = arg.indexOf('=');
    const flag = equals === -1 ? arg : arg.slice(0, equals);
    const key = settingKeys.find((candidate) => settings[candidate].flag === flag);
    if (key === undefined) {
      problems.push(`Unknown flag ${flag}: expected one of ${settingKeys.map((k) => settings[k].flag).join(', ')}, or --help`);
      continue;
    }
    let text: string | undefined;
    if (equals !== -1) {
      text = arg.slice(equals + 1);
    } else {
      const next = args[i + 1];
      if (next !== undefined && !next.startsWith('--')) {
        text = next;
        i++;
      }
    }
    if (text === undefined) {
      problems.push(`${flag} needs a value: ${flag} <value> or ${flag}=<value> (${settings[key].help})`);
      continue;
    }
    fromFlags.set(key, { text, source: flag });
  }

  const values: Record<string, unknown> = {};
  for (const key of settingKeys) {
    const spec = settings[key] as Setting<unknown>;
    const envText = env[spec.env];
    const raw: RawValue | undefined = fromFlags.get(key) ?? (envText === undefined || envText === '' ? undefined : { text: envText, source: spec.env });
    if (raw === undefined) {
      values[key] = spec.defaultValue(cwd);
      continue;
    }
    const parsed = spec.parse(raw.text.trim(), cwd);
    if (parsed.ok) {
      values[key] = parsed.value;
    } else {
      const via = raw.source === spec.env ? '' : ` (given as ${raw.source})`;
      problems.push(`${spec.env}${via} must be ${parsed.expected}; got ${JSON.stringify(spec.redact?.(raw.text) ?? raw.text)}`);
    }
  }
  // CLEANUP_INTERVAL_MS, the older setting, keeps working: set alone, it picks interval mode
  // (runs from start, every interval). Set with CLEANUP_SCHEDULE, which one is meant is unclear.
  const isSet = (key: SettingKey): boolean => fromFlags.has(key) || (env[settings[key].env] ?? '') !== '';
  if (isSet('cleanupIntervalMs')) {
    if (isSet('cleanupSchedule')) {
      problems.push('CLEANUP_INTERVAL_MS and CLEANUP_SCHEDULE are both set: set one of them (an interval from start, or a cron schedule)');
    }
    values['cleanupSchedule'] = undefined;
  }
  // The drain delay is spent inside the shutdown budget: it must leave room for the rest of the stop.
  const drainDelay = values['httpDrainDelayMs'];
  const budget = values['shutdownTimeoutMs'];
  if (typeof drainDelay === 'number' && typeof budget === 'number' && drainDelay > 0 && drainDelay >= budget) {
    problems.push(`HTTP_DRAIN_DELAY_MS must be less than SHUTDOWN_TIMEOUT_MS (${budget}), which it is part of; got ${drainDelay}`);
  }
  if (problems.length > 0) throw new ConfigError(problems);
  const config = values as unknown as AppConfig;
  // exactOptionalPropertyTypes: an unset URL is an absent property, not `undefined`.
  if (config.weatherApiUrl === undefined) delete values['weatherApiUrl'];
  if (config.redisUrl === undefined) delete values['redisUrl'];
  return { kind: 'run', config: Object.freeze(values) as unknown as AppConfig };
}

/** `<hostname>-<pid>`, cut to fit REPLICA_ID's rules. */
function defaultReplicaId(): string {
  const host = hostname().replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 40) || 'host';
  return `${host}-${process.pid}`;
}

/** The `--help` text: every variable, its flag, its meaning and its default. */
export function usage(): string {
  const lines = [
    'Usage: hostkit samples [--flag value | --flag=value]...',
    '',
    'Runs the cleanup, weather and file-processing samples in one host on 127.0.0.1.',
    'Each setting is an environment variable or the matching flag (the flag wins).',
    '',
  ];
  for (const key of settingKeys) {
    const spec = settings[key] as Setting<unknown>;
    lines.push(`  ${spec.env.padEnd(26)} ${spec.flag.padEnd(28)} ${spec.help} (default: ${spec.shownDefault})`);
  }
  return lines.join('\n');
}

/**
 * The configuration the program runs with when no flag and no variable is set, with its data in
 * `dataDir`: what tests and benchmarks build on, so they never drift from the program's defaults.
 */
export function defaultConfig(dataDir: string): AppConfig {
  const loaded = loadConfig([], { DATA_DIR: dataDir }, dataDir);
  if (loaded.kind !== 'run') throw new Error('loadConfig answered with help for no arguments');
  return loaded.config;
}
