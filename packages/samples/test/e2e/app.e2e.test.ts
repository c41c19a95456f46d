/**
 * The real program (src/main.ts on Node 24, src/main.deno.ts on Deno 2.9) as a child process:
 * what a newcomer gets from `npm start`. Every wait polls with a generous deadline; nothing sleeps
 * for a fixed time.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openAppDatabase } from '../../src/database/app-database.ts';
import { DAY_MS, insertLogs, readLogs } from '../helpers.ts';
import { makeTempDataDir, pollUntil, RUNTIMES, spawnApp, startApp, type AppProcess } from './app-process.ts';
import { startFakeOpenMeteo } from './fake-open-meteo.ts';

const TEST_TIMEOUT_MS = 120_000;

interface JsonResponse<T = Record<string, unknown>> {
  status: number;
  headers: Headers;
  body: T;
}

async function getJson<T = Record<string, unknown>>(app: AppProcess, path: string): Promise<JsonResponse<T>> {
  const response = await app.fetch(path);
  return { status: response.status, headers: response.headers, body: (await response.json()) as T };
}

interface HealthBody {
  status: string;
  entries: Record<string, { status: string; description?: string }>;
}

/** Polls GET `path` until `accept` returns true for the response; returns that response. */
function pollJson<T = Record<string, unknown>>(
  app: AppProcess,
  path: string,
  accept: (response: JsonResponse<T>) => boolean,
  description: string,
): Promise<JsonResponse<T>> {
  return pollUntil(
    async () => {
      const response = await getJson<T>(app, path);
      return accept(response) ? response : undefined;
    },
    { timeoutMs: 45_000, description: `${description}\n${app.output()}` },
  );
}

describe.each(RUNTIMES)('the samples program on %s', (runtime) => {
  it(
    'starts on embedded defaults and serves /weather from the built-in stub, /status, /healthz and /readyz',
    async () => {
      await using app = await startApp({ runtime });
      expect(app.output()).toContain('built-in Open-Meteo stub');
      const weather = await pollJson<{ source: string; days: unknown[]; ageMs: number; fetchedAt: string; stale: boolean }>(
        app,
        '/weather',
        (r) => r.status === 200,
        '/weather to answer 200',
      );
      expect(weather.body).toMatchObject({ source: 'built-in stub', stale: false });
      expect(weather.body.days).toHaveLength(3);
      expect(typeof weather.body.ageMs).toBe('number');
      expect(Number.isNaN(Date.parse(weather.body.fetchedAt))).toBe(false);

      const status = await getJson<{ runtime: string; services: Record<string, { state: string; transport?: string }> }>(app, '/status');
      expect(status.status).toBe(200);
      expect(status.body.runtime).toBe(runtime);
      expect(Object.keys(status.body.services)).toEqual(['http', 'cleanup', 'weather', 'files']);
      expect(status.body.services['cleanup']?.state).toBe('running');
      expect(status.body.services['weather']?.state).toBe('running');
      // Each runtime reaches Open-Meteo its fastest way: undici on Node, native fetch on Deno.
      expect(status.body.services['weather']).toMatchObject({ transport: runtime === 'deno' ? 'fetch' : 'undici' });

      const live = await getJson<HealthBody>(app, '/healthz');
      expect(live.status).toBe(200);
      expect(Object.keys(live.body.entries)).toEqual(expect.arrayContaining(['hostkit.services', 'cleanup', 'weather']));
      const ready = await pollJson<HealthBody>(app, '/readyz', (r) => r.status === 200 && r.body.status === 'healthy', '/readyz healthy');
      expect(ready.body.entries['hostkit.readiness']?.status).toBe('healthy');
      expect(existsSync(join(app.dataDir, 'app.db'))).toBe(true);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'answers 503 with Retry-After and reports degraded health when WEATHER_API_URL fails from the start',
    async () => {
      await using upstream = await startFakeOpenMeteo('fail');
      await using app = await startApp({ runtime, env: { WEATHER_API_URL: upstream.url, WEATHER_REFRESH_MS: '500' } });
      const health = await pollJson<HealthBody>(
        app,
        '/healthz',
        (r) => r.body.entries['weather']?.status === 'degraded' && (r.body.entries['weather'].description ?? '').includes('failed'),
        'the weather check to turn degraded',
      );
      expect(health.status).toBe(200);
      expect(health.body.entries['weather']?.description).toContain('status 500');
      const weather = await getJson<{ error: string; message: string }>(app, '/weather');
      expect(weather.status).toBe(503);
      expect(Number(weather.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect(weather.body.message).toContain('fake outage');
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'keeps serving the last good value with its age when the API turns to garbage, then stalls, and recovers',
    async () => {
      await using upstream = await startFakeOpenMeteo('ok');
      await using app = await startApp({ runtime, env: { WEATHER_API_URL: upstream.url, WEATHER_REFRESH_MS: '300' } });
      const first = await pollJson<{ fetchedAt: string; stale: boolean }>(app, '/weather', (r) => r.status === 200, 'a first forecast');
      expect(first.body.stale).toBe(false);

      upstream.mode = 'garbage';
      const stale = await pollJson<{ fetchedAt: string; ageMs: number; stale: boolean; lastError: { message: string } | null }>(
        app,
        '/weather',
        (r) => r.status === 200 && r.body.stale,
        '/weather to serve the last good value as stale',
      );
      expect(stale.body.lastError?.message).toMatch(/JSON|body/i);
      expect(Number(stale.headers.get('age'))).toBeGreaterThanOrEqual(0);
      const lastGood = Date.parse(stale.body.fetchedAt);
      const health = await pollJson<HealthBody>(app, '/healthz', (r) => r.body.entries['weather']?.status === 'degraded', 'degraded health');
      expect(health.status).toBe(200);

      upstream.mode = 'stall';
      // The stalled refresh is cancelled at its timeout (1 s here); the old value is still served, older.
      const older = await pollJson<{ fetchedAt: string; ageMs: number; stale: boolean; lastError: { message: string } | null }>(
        app,
        '/weather',
        (r) => r.status === 200 && (r.body.lastError?.message ?? '').includes('timed out'),
        'a timed-out refresh',
      );
      expect(Date.parse(older.body.fetchedAt)).toBe(lastGood);
      expect(older.body.ageMs).toBeGreaterThanOrEqual(stale.body.ageMs);

      upstream.mode = 'ok';
      await pollJson<{ stale: boolean }>(app, '/weather', (r) => r.status === 200 && !r.body.stale, 'recovery');
      await pollJson<HealthBody>(app, '/healthz', (r) => r.body.entries['weather']?.status === 'healthy', 'healthy again');
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'answers 503 with Retry-After while the first refresh stalls, then reports the timeout',
    async () => {
      await using upstream = await startFakeOpenMeteo('stall');
      await using app = await startApp({ runtime, env: { WEATHER_API_URL: upstream.url, WEATHER_REFRESH_MS: '1000' } });
      const waiting = await getJson<{ error: string }>(app, '/weather');
      expect(waiting.status).toBe(503);
      expect(waiting.body.error).toBe('not_ready');
      expect(Number(waiting.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      await pollJson<HealthBody>(
        app,
        '/healthz',
        (r) => (r.body.entries['weather']?.description ?? '').includes('timed out'),
        'the stalled refresh to time out',
      );
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'deletes only the logs rows older than LOG_RETENTION_DAYS, at start and on every tick',
    async () => {
      const dataDir = await makeTempDataDir();
      const now = Date.now();
      insertLogs(dataDir, now - 45 * DAY_MS, 1_500, 'old');
      insertLogs(dataDir, now - 2 * DAY_MS, 20, 'recent');
      await using app = await startApp({ runtime, dataDir, env: { CLEANUP_INTERVAL_MS: '200', LOG_RETENTION_DAYS: '30', SERVICES: 'cleanup' } });
      const messagesOf = (prefix: string): number => readLogs(dataDir).filter((row) => row.message.startsWith(prefix)).length;
      await pollUntil(() => (messagesOf('old') === 0 ? true : undefined), { timeoutMs: 45_000, description: `old rows to go\n${app.output()}` });
      expect(messagesOf('recent')).toBe(20);

      // Rows that become old while it runs go at a later tick; rows from now stay.
      insertLogs(dataDir, now - 31 * DAY_MS, 7, 'later');
      insertLogs(dataDir, Date.now(), 3, 'fresh');
      await pollUntil(() => (messagesOf('later') === 0 ? true : undefined), { timeoutMs: 45_000, description: `later rows to go\n${app.output()}` });
      expect(messagesOf('recent')).toBe(20);
      expect(messagesOf('fresh')).toBe(3);
      // The cleanup writes its own activity rows, which are recent and stay.
      expect(messagesOf('[cleanup] deleted 1500')).toBe(1);
      const status = await getJson<{ services: Record<string, Record<string, unknown>> }>(app, '/status');
      expect(status.body.services['weather']).toEqual({ state: 'disabled' });
      expect(status.body.services['cleanup']?.['deletedTotal']).toBe(1_507);
      await app.dispose();
      const { rmSync } = await import('node:fs');
      rmSync(dataDir, { recursive: true, force: true });
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'exits non-zero naming the bad variable, its value and what was expected, before anything starts',
    async () => {
      const parent = await makeTempDataDir();
      const dataDir = join(parent, 'never-created');
      await using app = await spawnApp({ runtime, dataDir, env: { PORT: 'eighty', LOG_RETENTION_DAYS: '-3' } });
      const exit = await app.waitForExit();
      expect(exit.code).toBe(2);
      expect(app.stderr()).toContain('PORT must be an integer from 0 to 65535; got "eighty"');
      expect(app.stderr()).toContain('LOG_RETENTION_DAYS must be an integer from 1 to 36500; got "-3"');
      expect(app.stdout()).not.toContain('listening');
      expect(existsSync(dataDir)).toBe(false);
      const { rmSync } = await import('node:fs');
      rmSync(parent, { recursive: true, force: true });
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'names the flag when a bad value came from the command line',
    async () => {
      await using app = await spawnApp({ runtime, args: ['--weather-refresh-ms=soon'] });
      const exit = await app.waitForExit();
      expect(exit.code).toBe(2);
      expect(app.stderr()).toContain('WEATHER_REFRESH_MS (given as --weather-refresh-ms) must be an integer');
      expect(existsSync(join(app.dataDir, 'app.db'))).toBe(false);
    },
    TEST_TIMEOUT_MS,
  );

  it.each(['SIGTERM', 'SIGINT'] as const)(
    'stops cleanly with exit code 0 on %s, without waiting out the 1 h cleanup interval (seed bug: Sleep(1 hour) ignored cancellation)',
    async (signal) => {
      // With the default CLEANUP_INTERVAL_MS of an hour, a loop deaf to the stop would run into the
      // shutdown timeout, and the host would exit 1 naming the service it abandoned.
      await using app = await startApp({ runtime, env: { SHUTDOWN_TIMEOUT_MS: '20000' } });
      await pollJson(app, '/weather', (r) => r.status === 200, 'a first forecast');
      app.kill(signal);
      const exit = await app.waitForExit(45_000);
      expect({ code: exit.code, signal: exit.signal }).toEqual({ code: 0, signal: null });
      expect(app.output()).toContain('HTTP: closed');
      expect(app.output()).toContain('Cleanup: stopped');
      expect(app.output()).toContain('Weather: stopped');
      // The activity log was closed cleanly: the database opens and has the program's rows.
      const database = openAppDatabase(app.dataDir);
      try {
        const rows = database.prepare("SELECT COUNT(*) AS n FROM logs WHERE message LIKE '[host] listening on%'").get() as { n: number };
        expect(rows.n).toBe(1);
      } finally {
        database.close();
      }
    },
    TEST_TIMEOUT_MS,
  );
});
