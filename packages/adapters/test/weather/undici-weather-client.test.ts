import { WeatherRequestError } from '@hostkit/core/weather';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { UndiciWeatherClient } from '../../src/undici/index.ts';
import { berlin, currentBody, dailyBody } from './open-meteo-fixtures.ts';
import { forecast, jsonHeaders, mockOpenMeteo, rejectionOf } from './test-helpers.ts';

describe('UndiciWeatherClient', () => {
  let service: ReturnType<typeof mockOpenMeteo>;

  beforeEach(() => {
    service = mockOpenMeteo();
  });

  afterEach(async () => {
    await service.agent.close();
  });

  describe('getCurrent', () => {
    it('returns the conditions with their units when the service answers 200', async () => {
      service.pool.intercept(forecast).reply(200, currentBody(), { headers: jsonHeaders });
      const client = new UndiciWeatherClient({ dispatcher: service.agent });

      const current = await client.getCurrent(berlin);

      expect(current).toEqual({
        location: { latitude: 52.52, longitude: 13.419998 },
        time: new Date('2026-11-21T04:30:00Z'),
        temperature: { value: 3.4, unit: '°C' },
        windSpeed: { value: 14.2, unit: 'km/h' },
        weatherCode: 61,
      });
    });

    it('asks for temperature, weather code and wind speed in UTC when called', async () => {
      service.pool.intercept(forecast).reply(200, currentBody());
      const client = new UndiciWeatherClient({ dispatcher: service.agent });

      await client.getCurrent({ latitude: -33.868_82, longitude: 151.209_296_6 });

      expect(service.calls()).toEqual([
        {
          latitude: '-33.86882',
          longitude: '151.209297',
          current: 'temperature_2m,weather_code,wind_speed_10m',
          timezone: 'UTC',
        },
      ]);
    });

    it('writes coordinates without exponent notation when they are tiny', async () => {
      service.pool.intercept(forecast).reply(200, currentBody());
      const client = new UndiciWeatherClient({ dispatcher: service.agent });

      await client.getCurrent({ latitude: 1e-7, longitude: -0.000_001 });

      expect(service.calls()[0]).toMatchObject({ latitude: '0', longitude: '-0.000001' });
    });

    it('asks for the configured units and returns them when units are configured', async () => {
      const body = currentBody();
      body['current_units'] = { temperature_2m: '°F', wind_speed_10m: 'mp/h', weather_code: 'wmo code' };
      service.pool.intercept(forecast).reply(200, body);
      const client = new UndiciWeatherClient({
        dispatcher: service.agent,
        units: { temperature: 'fahrenheit', windSpeed: 'mph', precipitation: 'inch' },
      });

      const current = await client.getCurrent(berlin);

      expect(service.calls()[0]).toMatchObject({
        temperature_unit: 'fahrenheit',
        wind_speed_unit: 'mph',
        precipitation_unit: 'inch',
      });
      expect(current.temperature.unit).toBe('°F');
      expect(current.windSpeed.unit).toBe('mp/h');
    });

    it('sends requests under the base URL path when the base URL has one', async () => {
      const gateway = mockOpenMeteo('http://gateway.test');
      const seen: string[] = [];
      gateway.pool
        .intercept({
          path: (path) => {
            seen.push(path);
            return true;
          },
        })
        .reply(200, currentBody());
      const client = new UndiciWeatherClient({ dispatcher: gateway.agent, baseUrl: 'http://gateway.test/weather/' });

      await client.getCurrent(berlin);
      await gateway.agent.close();

      // MockAgent hands matchers the path with its query normalised (sorted, encoded).
      expect(seen[0]).toMatch(/^\/weather\/v1\/forecast\?/);
    });

    it.each([
      [{ latitude: 90.5, longitude: 0 }, RangeError, 'Expected latitude to be a finite number from -90 to 90, got 90.5 (number)'],
      [{ latitude: 0, longitude: -180.01 }, RangeError, 'Expected longitude to be a finite number from -180 to 180, got -180.01 (number)'],
      [{ latitude: Number.NaN, longitude: 0 }, RangeError, 'Expected latitude to be a finite number from -90 to 90, got NaN (number)'],
      [{ latitude: 0, longitude: Infinity }, RangeError, 'Expected longitude to be a finite number from -180 to 180, got Infinity (number)'],
      [{ latitude: '52', longitude: 13 }, TypeError, 'Expected latitude to be a finite number from -90 to 90, got "52" (string)'],
      [null, TypeError, 'Expected location to be an object with latitude and longitude, got null (null)'],
    ])('rejects %o with a %o naming the value and sends nothing', async (location, type, message) => {
      const client = new UndiciWeatherClient({ dispatcher: service.agent });

      const error = await rejectionOf(client.getCurrent(location as never));

      expect(error).toBeInstanceOf(type);
      expect((error as Error).message).toBe(message);
      expect(service.calls()).toHaveLength(0);
    });

    it('sends the request when the coordinates are at the limits of their ranges', async () => {
      service.pool.intercept(forecast).reply(200, currentBody()).times(2);
      const client = new UndiciWeatherClient({ dispatcher: service.agent });

      await client.getCurrent({ latitude: -90, longitude: 180 });
      await client.getCurrent({ latitude: 90, longitude: -180 });

      expect(service.calls().map((call) => [call['latitude'], call['longitude']])).toEqual([
        ['-90', '180'],
        ['90', '-180'],
      ]);
    });
  });

  describe('getDailyForecast', () => {
    it('returns one entry per day, with units, when the service answers 200', async () => {
      service.pool.intercept(forecast).reply(200, dailyBody(3), { headers: jsonHeaders });
      const client = new UndiciWeatherClient({ dispatcher: service.agent });

      const forecastResult = await client.getDailyForecast(berlin, { days: 3 });

      expect(forecastResult).toEqual({
        location: { latitude: 52.52, longitude: 13.419998 },
        days: [
          {
            date: '2026-11-21',
            temperatureMax: { value: 6, unit: '°C' },
            temperatureMin: { value: -1, unit: '°C' },
            precipitationSum: { value: 0, unit: 'mm' },
            weatherCode: 3,
          },
          {
            date: '2026-11-22',
            temperatureMax: { value: 6.1, unit: '°C' },
            temperatureMin: { value: -0.9, unit: '°C' },
            precipitationSum: { value: 0.4, unit: 'mm' },
            weatherCode: 61,
          },
          {
            date: '2026-11-23',
            temperatureMax: { value: 6.2, unit: '°C' },
            temperatureMin: { value: -0.8, unit: '°C' },
            precipitationSum: { value: 0.8, unit: 'mm' },
            weatherCode: 0,
          },
        ],
      });
    });

    it('asks for the daily variables and the number of days in UTC when called', async () => {
      service.pool.intercept(forecast).reply(200, dailyBody(16));
      const client = new UndiciWeatherClient({ dispatcher: service.agent });

      await client.getDailyForecast(berlin, { days: 16 });

      expect(service.calls()).toEqual([
        {
          latitude: '52.52',
          longitude: '13.41',
          daily: 'temperature_2m_max,temperature_2m_min,precipitation_sum,weather_code',
          timezone: 'UTC',
          forecast_days: '16',
        },
      ]);
    });

    it.each([
      [0, RangeError, 'Expected days to be an integer from 1 to 16, got 0 (number)'],
      [17, RangeError, 'Expected days to be an integer from 1 to 16, got 17 (number)'],
      [2.5, RangeError, 'Expected days to be an integer from 1 to 16, got 2.5 (number)'],
      ['7', TypeError, 'Expected days to be an integer from 1 to 16, got "7" (string)'],
    ])('rejects days %o with a %o and sends nothing', async (days, type, message) => {
      const client = new UndiciWeatherClient({ dispatcher: service.agent });

      const error = await rejectionOf(client.getDailyForecast(berlin, { days: days as number }));

      expect(error).toBeInstanceOf(type);
      expect((error as Error).message).toBe(message);
      expect(service.calls()).toHaveLength(0);
    });
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
