import { WeatherRequestError, WeatherResponseError } from '@hostkit/core/weather';
import { ManualTimeProvider } from '@hostkit/core/testing';
import { describe, expect, it } from 'vitest';
import { FetchWeatherClient, type FetchFunction } from '../../src/fetch/index.ts';
import { berlin, currentBody } from './open-meteo-fixtures.ts';
import { rejectionOf, untilTimerPending } from './test-helpers.ts';

/** A fetch that answers from `answers` in turn and records what it was asked. */
function scriptedFetch(answers: readonly (() => Promise<Response>)[]): { fetch: FetchFunction; calls: { url: string; init: RequestInit }[] } {
  const calls: { url: string; init: RequestInit }[] = [];
  return {
    calls,
    fetch: (url, init) => {
      calls.push({ url, init });
      const answer = answers[calls.length - 1];
      if (answer === undefined) throw new Error(`No answer for call ${calls.length}`);
      return answer();
    },
  };
}

/** A 200 whose body sends `text`, then fails with `error`, as Deno's fetch does when the connection drops mid-body. */
function cutResponse(text: string, error: Error): Response {
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(new TextEncoder().encode(text));
    },
    pull(controller) {
      controller.error(error);
    },
  });
  return new Response(body, { status: 200, headers: { 'content-type': 'application/json' } });
}

describe('FetchWeatherClient', () => {
  describe('options', () => {
    it.each([
      [{ headersTimeout: -1 }, RangeError, 'Expected headersTimeout to be an integer >= 0, got -1 (number)'],
      [{ bodyTimeout: 1.5 }, RangeError, 'Expected bodyTimeout to be an integer >= 0, got 1.5 (number)'],
      [{ fetch: 'fetch' }, TypeError, 'Expected fetch to be a function, got "fetch" (string)'],
      [{ maxResponseSize: 0 }, RangeError, 'Expected maxResponseSize to be an integer >= 1, got 0 (number)'],
    ])('rejects %o with a %o naming the option', (options, type, message) => {
      expect(() => new FetchWeatherClient(options as never)).toThrow(type);
      expect(() => new FetchWeatherClient(options as never)).toThrow(message);
    });
  });

  it('sends a GET accepting JSON through the injected fetch when one is given', async () => {
    const service = scriptedFetch([async () => Response.json(currentBody())]);
    const client = new FetchWeatherClient({ baseUrl: 'https://weather.test/open-meteo', fetch: service.fetch });

    await expect(client.getCurrent(berlin)).resolves.toMatchObject({ weatherCode: 61 });

    expect(service.calls).toHaveLength(1);
    expect(service.calls[0]?.url).toBe(
      'https://weather.test/open-meteo/v1/forecast?latitude=52.52&longitude=13.41&current=temperature_2m,weather_code,wind_speed_10m&timezone=UTC',
    );
    expect(service.calls[0]?.init).toMatchObject({ method: 'GET', headers: { accept: 'application/json' }, redirect: 'manual' });
  });

  it('retries a refused connection when the runtime words it without a code, as Deno does', async () => {
    const refused = new TypeError('fetch failed', {
      cause: new Error('error sending request for url (https://weather.test/): client error (Connect): tcp connect error: Connection refused (os error 111)'),
    });
    const time = new ManualTimeProvider();
    const service = scriptedFetch([() => Promise.reject(refused), () => Promise.reject(refused)]);
    const client = new FetchWeatherClient({ fetch: service.fetch, timeProvider: time, retry: { maxAttempts: 2, jitter: 0 } });

    const pending = rejectionOf(client.getCurrent(berlin));
    await untilTimerPending(time);
    await time.advanceToNextTimer();
    const error = await pending;

    expect(error).toBeInstanceOf(WeatherRequestError);
    expect((error as Error).message).toBe(
      'Weather request failed: the connection was refused before a response arrived (ECONNREFUSED) (after 2 attempts)',
    );
    expect((error as Error).cause).toBe(refused);
  });

  it('retries a body cut mid-way, then succeeds, when the runtime reports it without a code, as Deno does', async () => {
    const time = new ManualTimeProvider();
    const text = JSON.stringify(currentBody());
    const service = scriptedFetch([
      async () => cutResponse(text.slice(0, 40), new TypeError('error reading a body from connection')),
      async () => Response.json(currentBody()),
    ]);
    const client = new FetchWeatherClient({ fetch: service.fetch, timeProvider: time, retry: { jitter: 0 } });

    const pending = client.getCurrent(berlin);
    await untilTimerPending(time);
    await time.advanceToNextTimer();

    await expect(pending).resolves.toMatchObject({ weatherCode: 61 });
    expect(service.calls).toHaveLength(2);
  });

  it('reports a truncated body after the last attempt when every body is cut', async () => {
    const text = JSON.stringify(currentBody());
    const service = scriptedFetch([async () => cutResponse(text.slice(0, 40), new TypeError('error reading a body from connection'))]);
    const client = new FetchWeatherClient({ fetch: service.fetch, retry: { maxAttempts: 1 } });

    const error = await rejectionOf(client.getCurrent(berlin));

    expect(error).toBeInstanceOf(WeatherResponseError);
    expect((error as WeatherResponseError).problem).toBe('body truncated: the connection closed after 40 bytes');
  });

  it('names every message of the chain, without retrying, when the failure is of another kind', async () => {
    const dns = new TypeError('fetch failed', { cause: Object.assign(new Error('getaddrinfo ENOTFOUND weather.test'), { code: 'ENOTFOUND' }) });
    const service = scriptedFetch([() => Promise.reject(dns)]);
    const client = new FetchWeatherClient({ fetch: service.fetch });

    const error = await rejectionOf(client.getCurrent(berlin));

    expect((error as Error).message).toBe('Weather request failed: fetch failed: ENOTFOUND: getaddrinfo ENOTFOUND weather.test');
    expect(service.calls).toHaveLength(1);
  });

  it('checks the size while reading when the body is compressed, whose declared length is not its own', async () => {
    // fetch decompresses: a body declared (compressed) at 100 bytes may arrive as many more.
    const text = JSON.stringify({ ...currentBody(), padding: 'x'.repeat(2_000) });
    const service = scriptedFetch([
      async () =>
        new Response(text, { status: 200, headers: { 'content-type': 'application/json', 'content-encoding': 'gzip', 'content-length': '100' } }),
    ]);
    const client = new FetchWeatherClient({ fetch: service.fetch, maxResponseSize: 1_024 });

    const error = await rejectionOf(client.getCurrent(berlin));

    expect(error).toBeInstanceOf(WeatherResponseError);
    expect((error as WeatherResponseError).problem).toBe('body exceeded 1024 bytes');
  });

  it('rejects later calls, and returns the same promise, when closed twice or disposed', async () => {
    const service = scriptedFetch([]);
    const client = new FetchWeatherClient({ fetch: service.fetch });

    const first = client.close();

    expect(client.close()).toBe(first);
    expect(client[Symbol.asyncDispose]()).toBe(first);
    await first;
    await expect(client.getCurrent(berlin)).rejects.toThrow('Weather request failed: the client is closed');
    expect(service.calls).toHaveLength(0);
  });
});
