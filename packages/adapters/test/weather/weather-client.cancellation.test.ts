import { ManualTimeProvider } from '@hostkit/core/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { berlin, currentBody, dailyBody } from './open-meteo-fixtures.ts';
import { rejectionOf, untilTimerPending } from './test-helpers.ts';
import { type OpenMeteoService, type TestWeatherClient, transports, until } from './weather-services.ts';

describe.each(transports)('weather client cancellation over $name', (transport) => {
  let service: OpenMeteoService;
  let time: ManualTimeProvider;
  let client: TestWeatherClient;
  /** Requests that reached the service (before any reply delay). */
  const dispatched = (): number => service.calls().length;

  beforeEach(async () => {
    service = await transport.serve();
    time = new ManualTimeProvider();
    client = transport.connect(service, { timeProvider: time, retry: { jitter: 0 } });
  });

  afterEach(async () => {
    await service.close();
  });

  it('rejects with the reason and sends nothing when the signal is already aborted', async () => {
    service.intercept().reply(200, currentBody());
    const reason = new Error('no longer needed');

    const error = await rejectionOf(client.getCurrent(berlin, AbortSignal.abort(reason)));

    expect(error).toBe(reason);
    expect(dispatched()).toBe(0);
  });

  it('rejects with the reason when the signal aborts while the request is in flight', async () => {
    // The reply would come a minute later; the abort must not wait for it.
    service.intercept().reply(200, dailyBody(3)).delay(60_000);
    const controller = new AbortController();
    const reason = new DOMException('stop', 'AbortError');

    const pending = rejectionOf(client.getDailyForecast(berlin, { days: 3 }, controller.signal));
    await until(() => dispatched() === 1, 'the request to reach the service');
    controller.abort(reason);

    expect(await pending).toBe(reason);
  });

  it('rejects with the reason, and sends no retry, when the signal aborts during the backoff wait', async () => {
    service.intercept().reply(503, '').persist();
    const controller = new AbortController();

    const pending = rejectionOf(client.getCurrent(berlin, controller.signal));
    await untilTimerPending(time);
    controller.abort();

    const error = await pending;
    expect(error).toBe(controller.signal.reason);
    expect((error as DOMException).name).toBe('AbortError');
    // The wait's timer is gone, and moving the clock past it sends nothing.
    expect(time.pendingTimerCount).toBe(0);
    await time.advance(60_000);
    expect(dispatched()).toBe(1);
  });

  it('rejects with the reason when the signal aborts during the Retry-After wait', async () => {
    service.intercept().reply(429, '', { headers: { 'retry-after': '5' } }).persist();
    const controller = new AbortController();

    const pending = rejectionOf(client.getCurrent(berlin, controller.signal));
    await untilTimerPending(time);
    await time.advance(4_000);
    controller.abort('shutting down');

    expect(await pending).toBe('shutting down');
    expect(dispatched()).toBe(1);
  });

  it('leaves no abort listener on a long-lived signal when calls complete, retried or not', async () => {
    service.intercept().reply(200, currentBody()).times(3);
    service.intercept().reply(503, '');
    service.intercept().reply(200, currentBody());
    const controller = new AbortController();
    let added = 0;
    let removed = 0;
    const { signal } = controller;
    const add = signal.addEventListener.bind(signal);
    const remove = signal.removeEventListener.bind(signal);
    signal.addEventListener = (...args: Parameters<AbortSignal['addEventListener']>): void => {
      if (args[0] === 'abort') added++;
      add(...args);
    };
    signal.removeEventListener = (...args: Parameters<AbortSignal['removeEventListener']>): void => {
      if (args[0] === 'abort') removed++;
      remove(...args);
    };

    for (let i = 0; i < 3; i++) await client.getCurrent(berlin, signal);
    const retried = client.getCurrent(berlin, signal);
    await untilTimerPending(time);
    await time.advanceToNextTimer();
    await retried;

    expect(added).toBeGreaterThan(0);
    expect(removed).toBe(added);
  });
});
