import { createLoggerFactory, MemoryLogSink } from '@hostkit/core';
import { WeatherApiError, WeatherRequestError, WeatherResponseError } from '@hostkit/core/weather';
import { ManualTimeProvider } from '@hostkit/core/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { UndiciWeatherClient } from '../../src/undici/index.ts';
import { berlin, currentBody } from './open-meteo-fixtures.ts';
import { findSecret, forecast, jsonHeaders, mockOpenMeteo, rejectionOf, untilTimerPending } from './test-helpers.ts';
import { type OpenMeteoService, type TestWeatherClient, transports } from './weather-services.ts';

/** Contains characters that URL-encoding changes, so both spellings must be redacted. */
const apiKey = 'sk+Live/7f3a9c=';
const encodedKey = encodeURIComponent(apiKey);
const origin = 'https://customer-api.open-meteo.com';

describe.each(transports)('weather client API key over $name', (transport) => {
  let service: OpenMeteoService;
  let time: ManualTimeProvider;
  let sink: MemoryLogSink;
  let client: TestWeatherClient;

  beforeEach(async () => {
    service = await transport.serve(origin);
    time = new ManualTimeProvider();
    sink = new MemoryLogSink();
    client = transport.connect(service, {
      apiKey,
      timeProvider: time,
      logger: createLoggerFactory({ sinks: [sink], minimumLevel: 'trace', timeProvider: time }).createLogger('weather'),
      retry: { jitter: 0, maxAttempts: 2 },
    });
  });

  afterEach(async () => {
    await service.close();
  });

  it('sends the key as the apikey query parameter when one is configured', async () => {
    service.intercept().reply(200, currentBody());

    await client.getCurrent(berlin);

    expect(service.calls()[0]?.['apikey']).toBe(apiKey);
  });

  it('keeps the key out of the error when the service quotes it in its reason', async () => {
    service.intercept().reply(400, { error: true, reason: `API key ${apiKey} is not valid` }, { headers: jsonHeaders });

    const error = await rejectionOf(client.getCurrent(berlin));

    expect(error).toBeInstanceOf(WeatherApiError);
    expect((error as WeatherApiError).reason).toBe('API key [redacted] is not valid');
    expectNoKey(error);
  });

  it('keeps the key out of the error when a malformed body quotes it', async () => {
    // V8 quotes a short body whole in its JSON.parse message (a long one only by its first 10 characters).
    const shortKey = 'k+y/1=';
    service.intercept().reply(200, shortKey, { headers: jsonHeaders });
    const shortKeyClient = transport.connect(service, { apiKey: shortKey });

    const error = await rejectionOf(shortKeyClient.getCurrent(berlin));

    expect(error).toBeInstanceOf(WeatherResponseError);
    expect((error as WeatherResponseError).problem).toContain('[redacted]');
    expect(findSecret(error, shortKey)).toBeUndefined();
  });

  it('keeps the key out of log records and errors when requests are retried and fail', async () => {
    service.intercept().replyWithReset().times(2);

    const pending = rejectionOf(client.getCurrent(berlin));
    await untilTimerPending(time);
    await time.advanceToNextTimer();
    const error = await pending;

    expect(sink.records).toHaveLength(1);
    expect(sink.records[0]?.fields?.['url']).toBe(
      `${service.baseUrl}/v1/forecast?latitude=52.52&longitude=13.41&current=temperature_2m,weather_code,wind_speed_10m&timezone=UTC&apikey=[redacted]`,
    );
    expectNoKey(sink.records);
    expect(error).toBeInstanceOf(WeatherRequestError);
    expectNoKey(error);
  });

  /** Fails naming where the key leaked, in either spelling. */
  function expectNoKey(value: unknown): void {
    expect(findSecret(value, apiKey)).toBeUndefined();
    expect(findSecret(value, encodedKey)).toBeUndefined();
  }
});

describe('UndiciWeatherClient API key with errors that quote the URL', () => {
  let service: ReturnType<typeof mockOpenMeteo>;
  let time: ManualTimeProvider;
  let sink: MemoryLogSink;
  let client: UndiciWeatherClient;

  beforeEach(() => {
    service = mockOpenMeteo(origin);
    time = new ManualTimeProvider();
    sink = new MemoryLogSink();
    client = new UndiciWeatherClient({
      baseUrl: origin,
      apiKey,
      dispatcher: service.agent,
      timeProvider: time,
      logger: createLoggerFactory({ sinks: [sink], minimumLevel: 'trace', timeProvider: time }).createLogger('weather'),
      retry: { jitter: 0, maxAttempts: 2 },
    });
  });

  afterEach(async () => {
    await service.agent.close();
  });

  /** Fails naming where the key leaked, in either spelling. */
  function expectNoKey(value: unknown): void {
    expect(findSecret(value, apiKey)).toBeUndefined();
    expect(findSecret(value, encodedKey)).toBeUndefined();
  }

  it('keeps the key out of the error and its cause when the transport error quotes the URL', async () => {
    // No interceptor: MockAgent's "not matched" error quotes the full path, key included.
    const error = await rejectionOf(client.getCurrent(berlin));

    expect(error).toBeInstanceOf(WeatherRequestError);
    expect((error as Error).message).toContain('apikey=[redacted]');
    expect(((error as Error).cause as Error).message).toContain('apikey=[redacted]');
    expect(((error as Error).cause as { code?: string }).code).toBe('UND_MOCK_ERR_MOCK_NOT_MATCHED');
    expectNoKey(error);
  });

  it('keeps the key out of log records and errors when the transport error quotes the key', async () => {
    service.pool
      .intercept(forecast)
      .replyWithError(Object.assign(new Error(`socket hang up on /v1/forecast?apikey=${encodedKey}`), { code: 'ECONNRESET' }))
      .times(2);

    const pending = rejectionOf(client.getCurrent(berlin));
    await untilTimerPending(time);
    await time.advanceToNextTimer();
    const error = await pending;

    expect(sink.records).toHaveLength(1);
    expect(sink.records[0]?.fields?.['url']).toBe(
      `${origin}/v1/forecast?latitude=52.52&longitude=13.41&current=temperature_2m,weather_code,wind_speed_10m&timezone=UTC&apikey=[redacted]`,
    );
    expectNoKey(sink.records);
    expect(error).toBeInstanceOf(WeatherRequestError);
    expectNoKey(error);
  });
});
