import { createLoggerFactory } from '@hostkit/core';
import { createUndiciWeatherClient } from '@hostkit/adapters/undici';
import { ManualTimeProvider } from '@hostkit/core/testing';
import { describe, expect, it } from 'vitest';
import { WeatherStubServer } from '../../src/weather/weather-stub-server.ts';

async function withStub(run: (url: string, time: ManualTimeProvider) => Promise<void>): Promise<void> {
  const time = new ManualTimeProvider({ now: Date.parse('2026-11-21T10:20:00Z') });
  const stub = new WeatherStubServer(time, createLoggerFactory().createLogger('test'));
  await stub.start(new AbortController().signal);
  try {
    await run(stub.url, time);
  } finally {
    await stub.stop(new AbortController().signal);
  }
}

describe('WeatherStubServer', () => {
  it('answers daily forecasts the real undici Open-Meteo client accepts, starting today (UTC)', async () => {
    await withStub(async (url) => {
      await using client = createUndiciWeatherClient({ baseUrl: url });
      const forecast = await client.getDailyForecast({ latitude: 52.52, longitude: 13.41 }, { days: 16 });
      expect(forecast.days).toHaveLength(16);
      expect(forecast.days[0]?.date).toBe('2026-11-21');
      expect(forecast.days[15]?.date).toBe('2026-12-06');
      for (const day of forecast.days) expect(day.temperatureMin.value).toBeLessThan(day.temperatureMax.value);
    });
  });

  it('answers current conditions in the units asked for', async () => {
    await withStub(async (url) => {
      await using client = createUndiciWeatherClient({ baseUrl: url, units: { temperature: 'fahrenheit', windSpeed: 'kn', precipitation: 'inch' } });
      const current = await client.getCurrent({ latitude: -33.87, longitude: 151.21 });
      expect(current.temperature.unit).toBe('°F');
      expect(current.windSpeed.unit).toBe('kn');
      expect(current.time.toISOString()).toBe('2026-11-21T10:15:00.000Z');
      const forecast = await client.getDailyForecast({ latitude: -33.87, longitude: 151.21 }, { days: 2 });
      expect(forecast.days[0]?.precipitationSum.unit).toBe('inch');
    });
  });

  it('gives the same values for the same place and day, and answers errors as Open-Meteo does', async () => {
    await withStub(async (url) => {
      const query = '/v1/forecast?latitude=1&longitude=2&daily=temperature_2m_max&forecast_days=2&timezone=UTC';
      const first = await (await fetch(`${url}${query}`)).json();
      const second = await (await fetch(`${url}${query}`)).json();
      expect(first).toEqual(second);
      const bad = await fetch(`${url}/v1/forecast?latitude=91&longitude=0&daily=x`);
      expect(bad.status).toBe(400);
      expect(await bad.json()).toMatchObject({ error: true });
      expect((await fetch(`${url}/elsewhere`)).status).toBe(404);
    });
  });

  it('refuses its URL before it has started', () => {
    const stub = new WeatherStubServer(new ManualTimeProvider(), createLoggerFactory().createLogger('test'));
    expect(() => stub.url).toThrow(/not listening yet/);
  });
});
