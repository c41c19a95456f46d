import { WeatherRequestError } from '@hostkit/core/weather';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { UndiciWeatherClient } from '../../src/undici/index.ts';
import { berlin, currentBody } from './open-meteo-fixtures.ts';
import { forecast, mockOpenMeteo, rejectionOf } from './test-helpers.ts';

describe('UndiciWeatherClient', () => {
  let service: ReturnType<typeof mockOpenMeteo>;

  beforeEach(() => {
    service = mockOpenMeteo();
  });

  afterEach(async () => {
    await service.agent.close();
  });

  describe('options', () => {
    it.each([
      [{ baseUrl: 'ftp://api.open-meteo.com' }, RangeError, /http: or https:/],
      [{ baseUrl: 'api.open-meteo.com' }, RangeError, /Expected baseUrl to be an absolute http: or https: URL, got "api\.open-meteo\.com" \(string\)/],
      [{ baseUrl: 'https://api.open-meteo.com/?apikey=x' }, RangeError, /without a query or fragment/],
      [{ maxResponseSize: 0 }, RangeError, /Expected maxResponseSize to be an integer >= 1, got 0 \(number\)/],
      [{ headersTimeout: -1 }, RangeError, /Expected headersTimeout to be an integer >= 0, got -1 \(number\)/],
      [{ retry: { maxAttempts: 0 } }, RangeError, /Expected retry\.maxAttempts to be an integer >= 1, got 0 \(number\)/],
      [{ retry: { jitter: 1.5 } }, RangeError, /Expected retry\.jitter to be a number from 0 to 1, got 1\.5 \(number\)/],
      [{ units: { temperature: 'kelvin' } }, RangeError, /Expected units\.temperature to be one of 'celsius', 'fahrenheit', got "kelvin"/],
      [{ apiKey: '' }, TypeError, /Expected apiKey to be a non-empty string, got an empty string/],
    ])('rejects %o with a %o naming the option', (options, type, message) => {
      expect(() => new UndiciWeatherClient(options as never)).toThrow(type);
      expect(() => new UndiciWeatherClient(options as never)).toThrow(message);
    });

    it('throws without quoting the URL when the base URL has user info', () => {
      const create = (): UndiciWeatherClient => new UndiciWeatherClient({ baseUrl: 'https://user:hunter2@api.open-meteo.com' });

      expect(create).toThrow(RangeError);
      expect(create).toThrow('Expected baseUrl without user info; pass the key as apiKey');
    });

    it('throws without quoting the key when the API key has the wrong type', () => {
      expect(() => new UndiciWeatherClient({ apiKey: 12_345_678 as never })).toThrow(
        'Expected apiKey to be a non-empty string, got a number',
      );
    });

    it('throws when connection options, which would not reach it, come with a dispatcher', () => {
      expect(
        () => new UndiciWeatherClient({ dispatcher: service.agent, headersTimeout: 5, allowH2: true }),
      ).toThrow(new TypeError(
        "headersTimeout, allowH2 configure the client's own Agent and cannot be combined with dispatcher: configure the dispatcher instead",
      ));
    });
  });

  describe('close', () => {
    it('leaves an injected dispatcher open and rejects later calls when closed', async () => {
      service.pool.intercept(forecast).reply(200, currentBody()).times(2);
      const client = new UndiciWeatherClient({ dispatcher: service.agent });
      await client.close();

      const error = await rejectionOf(client.getCurrent(berlin));

      expect(error).toBeInstanceOf(WeatherRequestError);
      expect((error as WeatherRequestError).message).toBe('Weather request failed: the client is closed');
      expect(service.calls()).toHaveLength(0);
      // The dispatcher still works for its owner.
      const other = new UndiciWeatherClient({ dispatcher: service.agent });
      await expect(other.getCurrent(berlin)).resolves.toMatchObject({ weatherCode: 61 });
    });

    it('returns the same promise when called twice, and closes on asyncDispose', async () => {
      const client = new UndiciWeatherClient();

      const first = client.close();

      expect(client.close()).toBe(first);
      expect(client[Symbol.asyncDispose]()).toBe(first);
      await first;
    });
  });
});
