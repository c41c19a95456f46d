import { ManualTimeProvider } from '@hostkit/core/testing';
import { describe, expect, it } from 'vitest';
import { createApp } from '../src/app.ts';
import type { ServiceName } from '../src/config/app-config.ts';
import { HonoServerService } from '@hostkit/adapters/hono';
import { readLogs, tempDir, testAppRuntime, testConfig } from './helpers.ts';


describe('createApp', () => {
  it('registers every sample, the stub server before the weather cache and the HTTP server last', async () => {
    await using dir = await tempDir();
    const time = new ManualTimeProvider();
    const builder = createApp(testConfig(dir.path, { shutdownTimeoutMs: 1_234 }), testAppRuntime(time), { timeProvider: time });
    const names = builder.services.hostedServices.map((descriptor) => descriptor.name);
    expect(names[0]).toBe('CleanupService');
    expect(names.indexOf('WeatherStubServer')).toBeLessThan(names.indexOf('WeatherCacheService'));
    expect(names.at(-1)).toBe('HonoServerService');
    expect(names.length).toBeGreaterThan(4);
    expect(builder.options.shutdownTimeout).toBe(1_234);
  });

  it.each<[ServiceName, string, string]>([
    ['cleanup', 'CleanupService', 'WeatherCacheService'],
    ['weather', 'WeatherCacheService', 'CleanupService'],
  ])('runs only %s when the configuration says so', async (service, present, absent) => {
    await using dir = await tempDir();
    const time = new ManualTimeProvider();
    const builder = createApp(testConfig(dir.path, { services: new Set([service]) }), testAppRuntime(time), { timeProvider: time });
    const names = builder.services.hostedServices.map((descriptor) => descriptor.name);
    expect(names).toContain(present);
    expect(names).not.toContain(absent);
    expect(names.at(-1)).toBe('HonoServerService');
  });

  it('serves /status with every service, disabled ones included, and writes its activity to the logs table', async () => {
    await using dir = await tempDir();
    const time = new ManualTimeProvider();
    const host = createApp(testConfig(dir.path, { services: new Set(['cleanup']) }), testAppRuntime(time), { timeProvider: time }).build();
    await host.start();
    try {
      const url = host.services.get(HonoServerService).url ?? '';
      const status = (await (await fetch(`${url}/status`)).json()) as { runtime: string; services: Record<string, { state: string }> };
      expect(status.runtime).toBe('test');
      expect(status.services['http']?.state).toBe('listening');
      expect(status.services['cleanup']?.state).toBe('running');
      expect(status.services['weather']).toEqual({ state: 'disabled' });
      expect(status.services['files']).toEqual({ state: 'disabled' });
      const index = (await (await fetch(`${url}/`)).json()) as { endpoints: string[] };
      expect(index.endpoints).toEqual(['GET /healthz', 'GET /readyz', 'GET /status/snapshot', 'GET /', 'GET /status']);
      // The cleanup runs on its default schedule, at minute 0: the manual clock starts at midnight.
      expect(status.services['cleanup']).toMatchObject({ schedule: '0 * * * *', timeZone: 'UTC', nextRun: '2000-01-01T01:00:00.000Z' });
      await time.advance(3_600_000);
    } finally {
      await host.stop();
      await host.dispose();
    }
    const messages = readLogs(dir.path).map((row) => row.message);
    expect(messages.some((message) => message.startsWith('[host] listening on http://127.0.0.1:'))).toBe(true);
    expect(messages.some((message) => message.startsWith('[cleanup] deleted 0 logs rows'))).toBe(true);
  });
});
