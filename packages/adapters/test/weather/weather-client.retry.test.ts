import { createLoggerFactory, MemoryLogSink } from '@hostkit/core';
import { WeatherApiError, WeatherRequestError } from '@hostkit/core/weather';
import { ManualTimeProvider } from '@hostkit/core/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { WeatherClientOptions } from '../../src/open-meteo/weather-client-options.ts';
import { UndiciWeatherClient, WeatherLogEvents } from '../../src/undici/index.ts';
import { berlin, currentBody } from './open-meteo-fixtures.ts';
import { forecast, jsonHeaders, mockOpenMeteo, rejectionOf, untilTimerPending } from './test-helpers.ts';
import { type OpenMeteoService, type TestWeatherClient, transports } from './weather-services.ts';

describe.each(transports)('weather client retries over $name', (transport) => {
  let service: OpenMeteoService;
  let time: ManualTimeProvider;

  beforeEach(async () => {
    service = await transport.serve();
    time = new ManualTimeProvider();
  });

  afterEach(async () => {
    await service.close();
  });

  /** A client on the stub service and the manual clock, without jitter so waits are exact. */
  function createClient(options?: WeatherClientOptions): TestWeatherClient {
    return transport.connect(service, {
      timeProvider: time,
      ...options,
      retry: { jitter: 0, ...options?.retry },
    });
  }

  it('waits the Retry-After seconds, then retries, when the service answers 429', async () => {
    service.intercept().reply(429, { error: true, reason: 'Too many requests' }, {
      headers: { ...jsonHeaders, 'retry-after': '2' },
    });
    service.intercept().reply(200, currentBody());
    const client = createClient();

    const pending = client.getCurrent(berlin);
    await untilTimerPending(time);

    expect(time.nextDueIn).toBe(2_000);
    await time.advance(1_999);
    expect(service.calls()).toHaveLength(1);
    await time.advance(1);
    await expect(pending).resolves.toMatchObject({ temperature: { value: 3.4, unit: '°C' } });
    expect(service.calls()).toHaveLength(2);
  });

  it('waits until the Retry-After date when the service gives a date', async () => {
    const retryAt = new Date(time.now() + 7_000).toUTCString();
    service.intercept().reply(503, '', { headers: { 'retry-after': retryAt } });
    service.intercept().reply(200, currentBody());
    const client = createClient();

    const pending = client.getCurrent(berlin);
    await untilTimerPending(time);

    expect(time.nextDueIn).toBe(7_000);
    await time.advance(7_000);
    await expect(pending).resolves.toMatchObject({ weatherCode: 61 });
  });

  it('backs off exponentially, then succeeds, when the service answers 503 twice', async () => {
    service.intercept().reply(503, 'upstream down').times(2);
    service.intercept().reply(200, currentBody());
    const client = createClient({ retry: { initialDelay: 100 } });

    const pending = client.getCurrent(berlin);
    await untilTimerPending(time);
    expect(time.nextDueIn).toBe(100);
    await time.advance(100);
    await untilTimerPending(time);
    expect(time.nextDueIn).toBe(200);
    await time.advance(200);

    await expect(pending).resolves.toMatchObject({ weatherCode: 61 });
    expect(service.calls()).toHaveLength(3);
  });

  it('caps the backoff at maxDelay when doubling would exceed it', async () => {
    service.intercept().reply(500, '').times(3);
    service.intercept().reply(200, currentBody());
    const client = createClient({ retry: { maxAttempts: 4, initialDelay: 300, maxDelay: 500 } });

    const pending = client.getCurrent(berlin);
    const waits: (number | undefined)[] = [];
    for (let i = 0; i < 3; i++) {
      await untilTimerPending(time);
      waits.push(time.nextDueIn);
      await time.advanceToNextTimer();
    }

    expect(waits).toEqual([300, 500, 500]);
    await expect(pending).resolves.toMatchObject({ weatherCode: 61 });
  });

  it('keeps the backoff between (1 - jitter) and 1 times the base delay when jitter is on', async () => {
    service.intercept().reply(503, '');
    service.intercept().reply(200, currentBody());
    const client = createClient({ retry: { initialDelay: 1_000, jitter: 0.5 } });

    const pending = client.getCurrent(berlin);
    await untilTimerPending(time);

    expect(time.nextDueIn).toBeGreaterThanOrEqual(500);
    expect(time.nextDueIn).toBeLessThanOrEqual(1_000);
    await time.advanceToNextTimer();
    await expect(pending).resolves.toMatchObject({ weatherCode: 61 });
  });

  it('does not retry, and reports the reason, when the service answers 400', async () => {
    service.intercept().reply(
      400,
      { error: true, reason: 'Latitude must be in range of -90 to 90°. Given: 91.0.' },
      { headers: jsonHeaders },
    );
    const client = createClient();

    const error = await rejectionOf(client.getCurrent(berlin));

    expect(error).toBeInstanceOf(WeatherApiError);
    expect(error).toMatchObject({
      status: 400,
      reason: 'Latitude must be in range of -90 to 90°. Given: 91.0.',
      attempts: 1,
      message: 'Weather service responded with status 400: Latitude must be in range of -90 to 90°. Given: 91.0.',
    });
    expect(service.calls()).toHaveLength(1);
    expect(time.pendingTimerCount).toBe(0);
  });

  it('does not retry when the service answers 404', async () => {
    service.intercept().reply(404, 'Not Found', { headers: { 'content-type': 'text/plain' } });
    const client = createClient();

    const error = await rejectionOf(client.getCurrent(berlin));

    expect(error).toMatchObject({ status: 404, reason: 'Not Found', attempts: 1 });
    expect(service.calls()).toHaveLength(1);
  });

  it('gives up with the last status after maxAttempts when the service keeps answering 503', async () => {
    service.intercept().reply(503, { error: true, reason: 'Overloaded' }, { headers: jsonHeaders }).persist();
    const client = createClient({ retry: { maxAttempts: 3 } });

    const pending = rejectionOf(client.getCurrent(berlin));
    await untilTimerPending(time);
    await time.advanceToNextTimer();
    await untilTimerPending(time);
    await time.advanceToNextTimer();
    const error = await pending;

    expect(error).toBeInstanceOf(WeatherApiError);
    expect(error).toMatchObject({
      status: 503,
      attempts: 3,
      message: 'Weather service responded with status 503: Overloaded (after 3 attempts)',
    });
    expect(service.calls()).toHaveLength(3);
    expect(time.pendingTimerCount).toBe(0);
  });

  it('gives up at once, reporting the wait, when Retry-After asks for longer than maxDelay', async () => {
    service.intercept().reply(429, '', { headers: { 'retry-after': '3600' } });
    const client = createClient({ retry: { maxDelay: 60_000 } });

    const error = await rejectionOf(client.getCurrent(berlin));

    expect(error).toBeInstanceOf(WeatherApiError);
    expect(error).toMatchObject({ status: 429, retryAfterMs: 3_600_000, attempts: 1 });
    expect((error as Error).message).toBe('Weather service responded with status 429; it asked to retry after 3600000 ms');
    expect(service.calls()).toHaveLength(1);
  });

  it('retries when the connection is reset before a response', async () => {
    service.intercept().replyWithReset();
    service.intercept().reply(200, currentBody());
    const client = createClient();

    const pending = client.getCurrent(berlin);
    await untilTimerPending(time);
    expect(time.nextDueIn).toBe(250);
    await time.advance(250);

    await expect(pending).resolves.toMatchObject({ weatherCode: 61 });
    expect(service.calls()).toHaveLength(2);
  });

  it('reports the reset as a WeatherRequestError with the cause when every attempt is reset', async () => {
    service.intercept().replyWithReset().times(2);
    const client = createClient({ retry: { maxAttempts: 2 } });

    const pending = rejectionOf(client.getCurrent(berlin));
    await untilTimerPending(time);
    await time.advanceToNextTimer();
    const error = await pending;

    expect(error).toBeInstanceOf(WeatherRequestError);
    expect(error).toMatchObject({
      attempts: 2,
      message: 'Weather request failed: the connection was closed before a response arrived (ECONNRESET) (after 2 attempts)',
    });
    expect(((error as Error).cause as { code?: unknown } | undefined)?.code ?? transport.name).toMatch(/ECONNRESET|fetch/);
  });

  it('makes one attempt only when maxAttempts is 1', async () => {
    service.intercept().reply(503, '');
    const client = createClient({ retry: { maxAttempts: 1 } });

    await expect(client.getCurrent(berlin)).rejects.toMatchObject({ status: 503, attempts: 1 });
    expect(service.calls()).toHaveLength(1);
  });

  it('logs the event, attempt, wait and URL at warn when it schedules a retry', async () => {
    const sink = new MemoryLogSink();
    const logger = createLoggerFactory({ sinks: [sink], timeProvider: time }).createLogger('weather');
    service.intercept().reply(503, '');
    service.intercept().reply(200, currentBody());
    const client = createClient({ logger });

    const pending = client.getCurrent(berlin);
    await untilTimerPending(time);
    await time.advanceToNextTimer();
    await pending;

    const records = sink.byEvent(WeatherLogEvents.RetryScheduled);
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({
      level: 'warn',
      message: 'Weather request failed (attempt 1 of 3), retrying in 250 ms: Weather service responded with status 503',
      fields: {
        attempt: 1,
        maxAttempts: 3,
        delayMs: 250,
        url: `${service.baseUrl}/v1/forecast?latitude=52.52&longitude=13.41&current=temperature_2m,weather_code,wind_speed_10m&timezone=UTC`,
      },
    });
    expect(records[0]?.error).toBeInstanceOf(WeatherApiError);
  });
});

describe('UndiciWeatherClient retries', () => {
  let mock: ReturnType<typeof mockOpenMeteo>;

  beforeEach(() => {
    mock = mockOpenMeteo();
  });

  afterEach(async () => {
    await mock.agent.close();
  });

  it('does not retry when the transport error is not a reset or refusal', async () => {
    mock.pool.intercept(forecast).replyWithError(Object.assign(new Error('getaddrinfo ENOTFOUND x'), { code: 'ENOTFOUND' }));
    const client = new UndiciWeatherClient({ dispatcher: mock.agent, timeProvider: new ManualTimeProvider() });

    const error = await rejectionOf(client.getCurrent(berlin));

    expect(error).toBeInstanceOf(WeatherRequestError);
    expect((error as Error).message).toBe('Weather request failed: ENOTFOUND: getaddrinfo ENOTFOUND x');
    expect(mock.calls()).toHaveLength(1);
  });
});
