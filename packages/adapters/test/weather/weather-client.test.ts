import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { berlin, currentBody, dailyBody } from './open-meteo-fixtures.ts';
import { jsonHeaders, rejectionOf } from './test-helpers.ts';
import { type OpenMeteoService, transports } from './weather-services.ts';

describe.each(transports)('weather client over $name', (transport) => {
  let service: OpenMeteoService;

  beforeEach(async () => {
    service = await transport.serve();
  });

  afterEach(async () => {
    await service.close();
  });

  describe('getCurrent', () => {
    it('returns the conditions with their units when the service answers 200', async () => {
      service.intercept().reply(200, currentBody(), { headers: jsonHeaders });
      const client = transport.connect(service);

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
      service.intercept().reply(200, currentBody());
      const client = transport.connect(service);

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
      service.intercept().reply(200, currentBody());
      const client = transport.connect(service);

      await client.getCurrent({ latitude: 1e-7, longitude: -0.000_001 });

      expect(service.calls()[0]).toMatchObject({ latitude: '0', longitude: '-0.000001' });
    });

    it('asks for the configured units and returns them when units are configured', async () => {
      const body = currentBody();
      body['current_units'] = { temperature_2m: '°F', wind_speed_10m: 'mp/h', weather_code: 'wmo code' };
      service.intercept().reply(200, body);
      const client = transport.connect(service, {
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
      const gateway = await transport.serve('http://gateway.test');
      gateway.intercept().reply(200, currentBody());
      const client = transport.connect(gateway, { baseUrl: `${gateway.baseUrl}/weather/` });

      try {
        await client.getCurrent(berlin);

        expect(gateway.paths()).toEqual(['/weather/v1/forecast']);
      } finally {
        await gateway.close();
      }
    });

    it.each([
      [{ latitude: 90.5, longitude: 0 }, RangeError, 'Expected latitude to be a finite number from -90 to 90, got 90.5 (number)'],
      [{ latitude: 0, longitude: -180.01 }, RangeError, 'Expected longitude to be a finite number from -180 to 180, got -180.01 (number)'],
      [{ latitude: Number.NaN, longitude: 0 }, RangeError, 'Expected latitude to be a finite number from -90 to 90, got NaN (number)'],
      [{ latitude: 0, longitude: Infinity }, RangeError, 'Expected longitude to be a finite number from -180 to 180, got Infinity (number)'],
      [{ latitude: '52', longitude: 13 }, TypeError, 'Expected latitude to be a finite number from -90 to 90, got "52" (string)'],
      [null, TypeError, 'Expected location to be an object with latitude and longitude, got null (null)'],
    ])('rejects %o with a %o naming the value and sends nothing', async (location, type, message) => {
      const client = transport.connect(service);

      const error = await rejectionOf(client.getCurrent(location as never));

      expect(error).toBeInstanceOf(type);
      expect((error as Error).message).toBe(message);
      expect(service.calls()).toHaveLength(0);
    });

    it('sends the request when the coordinates are at the limits of their ranges', async () => {
      service.intercept().reply(200, currentBody()).times(2);
      const client = transport.connect(service);

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
      service.intercept().reply(200, dailyBody(3), { headers: jsonHeaders });
      const client = transport.connect(service);

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
      service.intercept().reply(200, dailyBody(16));
      const client = transport.connect(service);

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
      const client = transport.connect(service);

      const error = await rejectionOf(client.getDailyForecast(berlin, { days: days as number }));

      expect(error).toBeInstanceOf(type);
      expect((error as Error).message).toBe(message);
      expect(service.calls()).toHaveLength(0);
    });
  });

});
