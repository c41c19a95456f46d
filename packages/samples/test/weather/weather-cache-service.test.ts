import { getJson, HealthCheckServiceToken, type Host, type HostApplicationBuilderOptions } from '@hostkit/core';
import {
  WeatherApiError,
  WeatherResponseError,
  type Coordinates,
  type DailyForecast,
  type DailyForecastOptions,
  type WeatherClient,
} from '@hostkit/core/weather';
import { ManualTimeProvider } from '@hostkit/core/testing';
import { describe, expect, it } from 'vitest';
import { createApp, type AppRuntime } from '../../src/app.ts';
import { HonoServerService } from '@hostkit/adapters/hono';
import { WeatherCacheService, weatherCacheKey, type CachedForecast, type WeatherCacheServiceOptions } from '../../src/weather/weather-cache-service.ts';
import { DistributedCacheToken } from '../../src/weather/weather-tokens.ts';
import { createTestBuilder, tempDir, testConfig } from '../helpers.ts';

const START = Date.parse('2026-11-21T12:00:00Z');

type Behaviour = 'ok' | 'hang' | Error;

/** A WeatherClient whose answers the test decides, on the manual clock. */
class FakeWeatherClient implements WeatherClient {
  readonly time: ManualTimeProvider;
  /** Monotonic timestamps of each call. */
  readonly calls: number[] = [];
  behaviour: Behaviour = 'ok';
  /** Ms each call takes (on the manual clock) before it answers. */
  latencyMs = 0;
  temperature = 10;

  constructor(time: ManualTimeProvider) {
    this.time = time;
  }

  getCurrent(): never {
    throw new Error('not used by the weather cache');
  }

  async getDailyForecast(location: Coordinates, options: DailyForecastOptions, signal?: AbortSignal): Promise<DailyForecast> {
    this.calls.push(this.time.timestamp());
    const behaviour = this.behaviour;
    if (this.latencyMs > 0) await this.time.delay(this.latencyMs, signal);
    if (behaviour === 'hang') {
      await new Promise<never>((_, reject) => {
        signal?.addEventListener('abort', () => reject(signal.reason), { once: true });
      });
    }
    if (behaviour instanceof Error) throw behaviour;
    const today = Math.floor(this.time.now() / 86_400_000) * 86_400_000;
    return {
      location,
      days: Array.from({ length: options.days }, (_, i) => ({
        date: new Date(today + i * 86_400_000).toISOString().slice(0, 10),
        temperatureMax: { value: this.temperature + 5, unit: '°C' as const },
        temperatureMin: { value: this.temperature - 5, unit: '°C' as const },
        precipitationSum: { value: 0, unit: 'mm' as const },
        weatherCode: 1,
      })),
    };
  }
}

interface Fixture extends AsyncDisposable {
  host: Host;
  time: ManualTimeProvider;
  client: FakeWeatherClient;
  service: WeatherCacheService;
  get(path: string): Promise<Response>;
  health(): Promise<{ status: string; description?: string }>;
}

/** The program's own composition (createApp) with only the weather sample, a fake client and a manual clock. */
async function startWeatherApp(
  options: Partial<WeatherCacheServiceOptions> & { refreshMs?: number; behaviour?: Behaviour } = {},
): Promise<Fixture> {
  const dir = await tempDir();
  const time = new ManualTimeProvider({ now: START });
  const client = new FakeWeatherClient(time);
  const runtime: AppRuntime = {
    name: 'test',
    createHostBuilder: (builderOptions: HostApplicationBuilderOptions) => createTestBuilder(builderOptions.timeProvider ?? time).builder,
  };
  const config = testConfig(dir.path, { services: new Set(['weather']), weatherRefreshMs: options.refreshMs ?? 1_000 });
  const { refreshMs: _refreshMs, behaviour, location: _location, ...weather } = options;
  if (behaviour !== undefined) client.behaviour = behaviour;
  const host = createApp(config, runtime, { timeProvider: time, weatherClient: client, weather, httpDrainTimeoutMs: 0 }).build();
  await host.start();
  const service = host.services.get(WeatherCacheService);
  return {
    host,
    time,
    client,
    service,
    get: (path) => fetch(`${host.services.get(HonoServerService).url ?? ''}${path}`),
    health: async () => {
      const report = await host.services.get(HealthCheckServiceToken).checkHealth({ tags: ['live'] });
      const entry = report.entries['weather'];
      return { status: entry?.status ?? 'missing', ...(entry?.description !== undefined && { description: entry.description }) };
    },
    [Symbol.asyncDispose]: async () => {
      await host.stop();
      await host.dispose();
      await dir[Symbol.asyncDispose]();
    },
  };
}

/** Lets the promise work that follows a tick run without moving the clock. */
async function settle(time: ManualTimeProvider): Promise<void> {
  for (let i = 0; i < 5; i++) await time.advance(0);
}

describe('WeatherCacheService', () => {
  it('refreshes at start and on every tick (seed bug: inverted while (ct.IsCancellationRequested) never ran the loop)', async () => {
    await using app = await startWeatherApp();
    await settle(app.time);
    expect(app.client.calls).toEqual([0]);
    await app.time.advance(1_000);
    await app.time.advance(1_000);
    expect(app.client.calls).toEqual([0, 1_000, 2_000]);
    const response = await app.get('/weather');
    expect(response.status).toBe(200);
    const body = (await response.json()) as { days: unknown[]; stale: boolean; key: string };
    expect(body.days).toHaveLength(3);
    expect(body.stale).toBe(false);
    expect(body.key).toBe('weather:forecast:2026-11-21');
  });

  it('keeps a fixed rate when a refresh takes time (seed bug: a fixed delay after the work drifted)', async () => {
    await using app = await startWeatherApp();
    app.client.latencyMs = 300;
    for (let i = 0; i < 4; i++) await app.time.advance(1_000);
    // A "delay 1 s after the work" loop would call at 0, 1300, 2600, 3900.
    expect(app.client.calls).toEqual([0, 1_000, 2_000, 3_000, 4_000]);
  });

  it('stores each day\'s forecast under a key of its own UTC day', async () => {
    await using app = await startWeatherApp({ refreshMs: 3_600_000 });
    await settle(app.time);
    const cache = app.host.services.get(DistributedCacheToken);
    const first = await getJson<CachedForecast>(cache, 'weather:forecast:2026-11-21');
    expect(first).toMatchObject({ key: 'weather:forecast:2026-11-21', fetchedAt: START });
    await app.time.advance(12 * 3_600_000);
    const second = await getJson<CachedForecast>(cache, 'weather:forecast:2026-11-22');
    expect(second?.days[0]?.date).toBe('2026-11-22');
    expect(weatherCacheKey(Date.parse('2026-01-02T23:59:59Z'))).toBe('weather:forecast:2026-01-02');
  });

  it('serves the last good value with its age while refreshes fail', async () => {
    await using app = await startWeatherApp({ initialBackoffMs: 1_000, maxBackoffMs: 1_000 });
    await settle(app.time);
    app.client.behaviour = new WeatherApiError(500, { reason: 'upstream exploded', attempts: 3 });
    await app.time.advance(1_000);
    await app.time.advance(4_000);
    expect(app.client.calls.length).toBeGreaterThan(2);

    const response = await app.get('/weather');
    expect(response.status).toBe(200);
    expect(response.headers.get('age')).toBe('5');
    const body = (await response.json()) as { fetchedAt: string; ageMs: number; stale: boolean; lastError: { message: string } };
    expect(body.fetchedAt).toBe(new Date(START).toISOString());
    expect(body.ageMs).toBe(5_000);
    expect(body.stale).toBe(true);
    expect(body.lastError.message).toContain('upstream exploded');
  });

  it('keeps serving the last good value after midnight when the new day cannot be fetched', async () => {
    await using app = await startWeatherApp({ refreshMs: 3_600_000, initialBackoffMs: 1_000, maxBackoffMs: 60_000 });
    await settle(app.time);
    app.client.behaviour = new WeatherResponseError('body is not JSON');
    await app.time.advance(13 * 3_600_000);
    const response = await app.get('/weather');
    expect(response.status).toBe(200);
    const body = (await response.json()) as { key: string; ageMs: number; stale: boolean };
    expect(body).toMatchObject({ key: 'weather:forecast:2026-11-21', ageMs: 13 * 3_600_000, stale: true });
  });

  it('reports degraded health while refreshes fail, and healthy again after a success', async () => {
    await using app = await startWeatherApp({ initialBackoffMs: 1_000 });
    await settle(app.time);
    expect((await app.health()).status).toBe('healthy');
    app.client.behaviour = new WeatherApiError(503);
    await app.time.advance(1_000);
    const degraded = await app.health();
    expect(degraded.status).toBe('degraded');
    expect(degraded.description).toContain('1 refresh in a row failed');
    expect(degraded.description).toContain('status 503');
    app.client.behaviour = 'ok';
    await app.time.advance(1_000);
    expect((await app.health()).status).toBe('healthy');
  });

  it('backs off exponentially, capped, measured on the TimeProvider, and returns to the period after a success', async () => {
    await using app = await startWeatherApp({
      refreshMs: 60_000,
      initialBackoffMs: 1_000,
      maxBackoffMs: 8_000,
      behaviour: new WeatherApiError(500),
    });
    await app.time.advance(30_000);
    // Failures at 0, then retries 1, 2, 4, 8, 8 s apart.
    expect(app.client.calls).toEqual([0, 1_000, 3_000, 7_000, 15_000, 23_000]);
    app.client.behaviour = 'ok';
    await app.time.advance(1_000); // the retry due at 31 s succeeds...
    await app.time.advance(120_000); // ...then the regular 60 s period again
    expect(app.client.calls.slice(6)).toEqual([31_000, 91_000, 151_000]);
    expect(app.service.snapshot()).toMatchObject({ consecutiveFailures: 0, currentDelayMs: 60_000 });
  });

  it('waits at least what a Retry-After asked for', async () => {
    await using app = await startWeatherApp({
      refreshMs: 60_000,
      initialBackoffMs: 1_000,
      maxBackoffMs: 300_000,
      behaviour: new WeatherApiError(429, { retryAfterMs: 20_000 }),
    });
    await app.time.advance(50_000);
    expect(app.client.calls).toEqual([0, 20_000, 40_000]);
  });

  it('answers 503 with Retry-After before the first forecast has been fetched', async () => {
    await using app = await startWeatherApp({ refreshMs: 5_000, refreshTimeoutMs: 2_000, initialBackoffMs: 3_000, behaviour: 'hang' });
    await settle(app.time);
    const waiting = await app.get('/weather');
    expect(waiting.status).toBe(503);
    expect(waiting.headers.get('retry-after')).toBe('5');
    expect(await waiting.json()).toMatchObject({ error: 'not_ready', retryAfterSeconds: 5 });

    // The stalled refresh is cancelled at its timeout and counts as a failure; the retry comes 3 s later.
    await app.time.advance(2_000);
    const failed = await app.get('/weather');
    expect(failed.status).toBe(503);
    expect(failed.headers.get('retry-after')).toBe('3');
    expect(((await failed.json()) as { message: string }).message).toContain('timed out after 2000 ms');
    expect((await app.health()).status).toBe('degraded');
    expect(app.client.calls).toEqual([0]);
    await app.time.advance(3_000);
    expect(app.client.calls).toEqual([0, 5_000]);
  });

  it('stops at once in the middle of a stalled refresh', async () => {
    await using app = await startWeatherApp({ refreshTimeoutMs: 10_000, behaviour: 'hang' });
    await settle(app.time);
    let stopped = false;
    const stopping = app.host.stop().then(() => {
      stopped = true;
    });
    for (let i = 0; i < 20 && !stopped; i++) await app.time.advance(0);
    await stopping;
    expect(stopped).toBe(true);
    expect(app.service.status).toBe('completed');
    expect(app.service.snapshot()['failed']).toBe(0);
  });
});
