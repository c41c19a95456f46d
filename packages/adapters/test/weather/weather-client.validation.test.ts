import { WeatherResponseError } from '@hostkit/core/weather';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { berlin, currentBody, dailyBody } from './open-meteo-fixtures.ts';
import { jsonHeaders, rejectionOf } from './test-helpers.ts';
import { type OpenMeteoService, type TestWeatherClient, transports } from './weather-services.ts';

type Body = ReturnType<typeof dailyBody>;

describe.each(transports)('weather client response validation over $name', (transport) => {
  let service: OpenMeteoService;

  beforeEach(async () => {
    service = await transport.serve();
  });

  afterEach(async () => {
    await service.close();
  });

  /** The problem the client reports for a 200 with `body`, checking that it made one request only. */
  async function problemWith(
    body: string | object,
    call: (client: TestWeatherClient) => Promise<unknown>,
    options?: { maxResponseSize?: number },
  ): Promise<string> {
    service.intercept().reply(200, body, { headers: jsonHeaders }).persist();
    const client = transport.connect(service, options);
    const error = await rejectionOf(call(client));
    expect(error).toBeInstanceOf(WeatherResponseError);
    // A body that is wrong once is wrong every time: no retry.
    expect(service.calls()).toHaveLength(1);
    const { problem, message } = error as WeatherResponseError;
    expect(message).toBe(`Invalid weather response: ${problem}`);
    return problem;
  }

  const current = (client: TestWeatherClient): Promise<unknown> => client.getCurrent(berlin);
  const week = (client: TestWeatherClient): Promise<unknown> => client.getDailyForecast(berlin, { days: 7 });

  function daily(change: (body: Body) => void): Body {
    const body = dailyBody(7);
    change(body);
    return body;
  }

  it('names malformed JSON, with the parser error as the cause, when the body is not JSON', async () => {
    service.intercept().reply(200, '{"latitude": 52.5, "current": {', { headers: jsonHeaders });
    const client = transport.connect(service);

    const error = (await rejectionOf(client.getCurrent(berlin))) as WeatherResponseError;

    expect(error).toBeInstanceOf(WeatherResponseError);
    expect(error.problem).toMatch(/^body is not valid JSON \(.+\)$/);
    expect(error.cause).toBeInstanceOf(SyntaxError);
  });

  it('names malformed JSON when the body is empty', async () => {
    expect(await problemWith('', current)).toMatch(/^body is not valid JSON/);
  });

  it.each<[string, string | object, string]>([
    ['the body is not an object', '[1, 2]', 'body is an array, expected a JSON object'],
    ['current is missing', { ...currentBody(), current: undefined }, 'current is missing'],
    [
      'current is not an object',
      { ...currentBody(), current: 'now' },
      'current is a string, expected an object',
    ],
    [
      'a current value is missing',
      { ...currentBody(), current: { time: '2026-11-21T04:30', temperature_2m: 3.4, weather_code: 61 } },
      'current.wind_speed_10m is missing',
    ],
    [
      'a current value has the wrong type',
      { ...currentBody(), current: { time: '2026-11-21T04:30', temperature_2m: '3.4', weather_code: 61, wind_speed_10m: 1 } },
      'current.temperature_2m is a string, expected a number',
    ],
    [
      'a current value is null',
      { ...currentBody(), current: { time: '2026-11-21T04:30', temperature_2m: null, weather_code: 61, wind_speed_10m: 1 } },
      'current.temperature_2m is null, expected a number',
    ],
    [
      'the time is not ISO 8601',
      { ...currentBody(), current: { time: '21/11/2026 04:30', temperature_2m: 1, weather_code: 61, wind_speed_10m: 1 } },
      'current.time is "21/11/2026 04:30", expected an ISO 8601 time such as "2026-11-21T04:30"',
    ],
    [
      'the weather code is not a WMO code',
      { ...currentBody(), current: { time: '2026-11-21T04:30', temperature_2m: 1, weather_code: 6.5, wind_speed_10m: 1 } },
      'current.weather_code is 6.5, expected a WMO weather code (an integer from 0 to 99)',
    ],
    [
      'a unit is not the one asked for',
      { ...currentBody(), current_units: { temperature_2m: '°F', wind_speed_10m: 'km/h' } },
      'current_units.temperature_2m is "°F", expected "°C"',
    ],
    ['current_units is missing', { ...currentBody(), current_units: undefined }, 'current_units is missing'],
    ['latitude is missing', { ...currentBody(), latitude: undefined }, 'latitude is missing'],
  ])('names the field when %s', async (_case, body, problem) => {
    expect(await problemWith(body, current)).toBe(problem);
  });

  it.each<[string, Body, string]>([
    ['daily is missing', daily((body) => delete (body as Partial<Body>).daily), 'daily is missing'],
    [
      'a daily array is missing',
      daily((body) => delete body.daily['temperature_2m_max']),
      'daily.temperature_2m_max is missing',
    ],
    [
      'a daily array is not an array',
      daily((body) => (body.daily['weather_code'] = 3 as never)),
      'daily.weather_code is a number, expected an array',
    ],
    [
      'arrays have different lengths',
      daily((body) => body.daily['temperature_2m_min']!.pop()),
      'daily.temperature_2m_min has 6 entries, daily.time has 7',
    ],
    [
      'the service sent another number of days than asked for',
      daily((body) => {
        for (const values of Object.values(body.daily)) values.pop();
      }),
      'daily.time has 6 entries, expected 7 (forecast_days)',
    ],
    [
      'an entry is null',
      daily((body) => (body.daily['precipitation_sum']![2] = null)),
      'daily.precipitation_sum[2] is null, expected a number',
    ],
    [
      'a date is not ISO 8601',
      daily((body) => (body.daily['time']![4] = '2026-11-25T00:00')),
      'daily.time[4] is "2026-11-25T00:00", expected an ISO 8601 date such as "2026-11-21"',
    ],
    [
      'a daily unit is not the one asked for',
      daily((body) => ((body['daily_units'] as Record<string, string>)['precipitation_sum'] = 'inch')),
      'daily_units.precipitation_sum is "inch", expected "mm"',
    ],
  ])('names the field when %s', async (_case, body, problem) => {
    expect(await problemWith(body, week)).toBe(problem);
  });

  it('names the limit when the body is larger than maxResponseSize, with a dispatcher that does not enforce it', async () => {
    const body = JSON.stringify({ ...currentBody(), padding: 'x'.repeat(2_000) });

    expect(await problemWith(body, current, { maxResponseSize: 1_024 })).toBe('body exceeded 1024 bytes');
  });

  it('names the declared length when content-length is over maxResponseSize, before reading the body', async () => {
    const body = JSON.stringify({ ...currentBody(), padding: 'x'.repeat(2_000) });
    service.intercept().reply(200, body, { headers: { ...jsonHeaders, 'content-length': String(body.length) } });
    const client = transport.connect(service, { maxResponseSize: 1_024 });

    const error = (await rejectionOf(client.getCurrent(berlin))) as WeatherResponseError;

    expect(error.problem).toBe(`body exceeded 1024 bytes (content-length: ${body.length})`);
  });

  it('accepts the body when it is exactly maxResponseSize bytes', async () => {
    const bare = JSON.stringify(currentBody());
    const body = `${bare}${' '.repeat(1_024 - Buffer.byteLength(bare))}`;
    service.intercept().reply(200, body);
    const client = transport.connect(service, { maxResponseSize: 1_024 });

    await expect(client.getCurrent(berlin)).resolves.toMatchObject({ weatherCode: 61 });
  });
});
