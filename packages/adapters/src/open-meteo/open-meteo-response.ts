/**
 * Reads Open-Meteo forecast responses into the core result types, checking every field used.
 *
 * Hand-written on purpose: the payload is small and fixed (five fields for current conditions,
 * five parallel arrays for a daily forecast), and a hand-written check names the exact field and
 * index that is wrong (`daily.temperature_2m_max[3] is null, expected a number`) in a few lines,
 * with no dependency for Deno and JSR consumers to resolve.
 *
 * Every failure throws {@link ResponseProblem}; the client turns it into a `WeatherResponseError`.
 * @module
 */
import type {
  Coordinates,
  CurrentWeather,
  DailyForecast,
  ForecastDay,
  PrecipitationUnit,
  TemperatureUnit,
  WindSpeedUnit,
} from '@hostkit/core/weather';

/** The units the request asked for, hence the only ones a response may state. */
export interface OpenMeteoUnits {
  readonly temperature: TemperatureUnit;
  readonly windSpeed: WindSpeedUnit;
  readonly precipitation: PrecipitationUnit;
}

/** A check failed: `message` names the field and what was wrong with it. */
export class ResponseProblem extends Error {
  override readonly name: string = 'ResponseProblem';
}

type JsonObject = Readonly<Record<string, unknown>>;

/** `a string`, `null`, `an array`: how a wrong value is described in a problem. */
function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function fieldOf(parent: JsonObject, key: string, path: string): unknown {
  const value = parent[key];
  if (value === undefined) throw new ResponseProblem(`${path} is missing`);
  return value;
}

function objectAt(parent: JsonObject, key: string, path: string): JsonObject {
  const value = fieldOf(parent, key, path);
  if (!isObject(value)) throw new ResponseProblem(`${path} is ${kindOf(value)}, expected an object`);
  return value;
}

function checkNumber(value: unknown, path: string): number {
  // JSON has no NaN or Infinity, so a number that came out of JSON.parse is finite.
  if (typeof value !== 'number') throw new ResponseProblem(`${path} is ${kindOf(value)}, expected a number`);
  return value;
}

function checkWeatherCode(value: unknown, path: string): number {
  const code = checkNumber(value, path);
  if (!Number.isInteger(code) || code < 0 || code > 99) {
    throw new ResponseProblem(`${path} is ${code}, expected a WMO weather code (an integer from 0 to 99)`);
  }
  return code;
}

function checkUnit<TUnit extends string>(units: JsonObject, key: string, path: string, expected: TUnit): TUnit {
  const unit = fieldOf(units, key, path);
  if (unit !== expected) {
    const shown = typeof unit === 'string' ? JSON.stringify(unit) : kindOf(unit);
    throw new ResponseProblem(`${path} is ${shown}, expected ${JSON.stringify(expected)}`);
  }
  return expected;
}

function arrayAt(parent: JsonObject, key: string, path: string, length: number, lengthOf: string): readonly unknown[] {
  const value = fieldOf(parent, key, path);
  if (!Array.isArray(value)) throw new ResponseProblem(`${path} is ${kindOf(value)}, expected an array`);
  if (value.length !== length) {
    throw new ResponseProblem(`${path} has ${value.length} entries, ${lengthOf} has ${length}`);
  }
  return value;
}

/** `2026-11-21T04:30`, seconds optional: Open-Meteo's `iso8601` time format, here in UTC. */
const isoMinute = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2})?$/;
/** `2026-11-21`: a calendar day. */
const isoDay = /^\d{4}-\d{2}-\d{2}$/;

function checkTime(value: unknown, path: string): Date {
  if (typeof value !== 'string') throw new ResponseProblem(`${path} is ${kindOf(value)}, expected an ISO 8601 time`);
  // The request asks for timezone=UTC, so the service's local times are UTC times without an offset.
  const time = isoMinute.test(value) ? new Date(`${value}Z`) : undefined;
  if (time === undefined || Number.isNaN(time.getTime())) {
    throw new ResponseProblem(`${path} is ${JSON.stringify(value)}, expected an ISO 8601 time such as "2026-11-21T04:30"`);
  }
  return time;
}

function checkDay(value: unknown, path: string): string {
  if (typeof value !== 'string' || !isoDay.test(value) || Number.isNaN(Date.parse(value))) {
    const shown = typeof value === 'string' ? JSON.stringify(value) : kindOf(value);
    throw new ResponseProblem(`${path} is ${shown}, expected an ISO 8601 date such as "2026-11-21"`);
  }
  return value;
}

function rootOf(body: unknown): JsonObject {
  if (!isObject(body)) throw new ResponseProblem(`body is ${kindOf(body)}, expected a JSON object`);
  return body;
}

function locationOf(root: JsonObject): Coordinates {
  return {
    latitude: checkNumber(fieldOf(root, 'latitude', 'latitude'), 'latitude'),
    longitude: checkNumber(fieldOf(root, 'longitude', 'longitude'), 'longitude'),
  };
}

/**
 * Reads the answer to a `current=temperature_2m,weather_code,wind_speed_10m` request.
 * @param body The parsed JSON body.
 * @throws ResponseProblem naming the first field that is missing or wrong.
 */
export function readCurrentWeather(body: unknown, units: OpenMeteoUnits): CurrentWeather {
  const root = rootOf(body);
  const current = objectAt(root, 'current', 'current');
  const currentUnits = objectAt(root, 'current_units', 'current_units');
  return {
    location: locationOf(root),
    time: checkTime(fieldOf(current, 'time', 'current.time'), 'current.time'),
    temperature: {
      value: checkNumber(fieldOf(current, 'temperature_2m', 'current.temperature_2m'), 'current.temperature_2m'),
      unit: checkUnit(currentUnits, 'temperature_2m', 'current_units.temperature_2m', units.temperature),
    },
    windSpeed: {
      value: checkNumber(fieldOf(current, 'wind_speed_10m', 'current.wind_speed_10m'), 'current.wind_speed_10m'),
      unit: checkUnit(currentUnits, 'wind_speed_10m', 'current_units.wind_speed_10m', units.windSpeed),
    },
    weatherCode: checkWeatherCode(fieldOf(current, 'weather_code', 'current.weather_code'), 'current.weather_code'),
  };
}

/**
 * Reads the answer to a `daily=temperature_2m_max,temperature_2m_min,precipitation_sum,weather_code`
 * request for `days` days: five parallel arrays, each exactly `days` long.
 * @param body The parsed JSON body.
 * @throws ResponseProblem naming the first field, array or entry that is missing or wrong.
 */
export function readDailyForecast(body: unknown, days: number, units: OpenMeteoUnits): DailyForecast {
  const root = rootOf(body);
  const daily = objectAt(root, 'daily', 'daily');
  const dailyUnits = objectAt(root, 'daily_units', 'daily_units');
  const time = fieldOf(daily, 'time', 'daily.time');
  if (!Array.isArray(time)) throw new ResponseProblem(`daily.time is ${kindOf(time)}, expected an array`);
  if (time.length !== days) {
    throw new ResponseProblem(`daily.time has ${time.length} entries, expected ${days} (forecast_days)`);
  }
  const max = arrayAt(daily, 'temperature_2m_max', 'daily.temperature_2m_max', days, 'daily.time');
  const min = arrayAt(daily, 'temperature_2m_min', 'daily.temperature_2m_min', days, 'daily.time');
  const precipitation = arrayAt(daily, 'precipitation_sum', 'daily.precipitation_sum', days, 'daily.time');
  const codes = arrayAt(daily, 'weather_code', 'daily.weather_code', days, 'daily.time');
  const temperatureUnit = checkUnit(dailyUnits, 'temperature_2m_max', 'daily_units.temperature_2m_max', units.temperature);
  checkUnit(dailyUnits, 'temperature_2m_min', 'daily_units.temperature_2m_min', units.temperature);
  const precipitationUnit = checkUnit(
    dailyUnits,
    'precipitation_sum',
    'daily_units.precipitation_sum',
    units.precipitation,
  );
  const location = locationOf(root);
  const result: ForecastDay[] = [];
  for (let i = 0; i < days; i++) {
    result.push({
      date: checkDay(time[i], `daily.time[${i}]`),
      temperatureMax: { value: checkNumber(max[i], `daily.temperature_2m_max[${i}]`), unit: temperatureUnit },
      temperatureMin: { value: checkNumber(min[i], `daily.temperature_2m_min[${i}]`), unit: temperatureUnit },
      precipitationSum: {
        value: checkNumber(precipitation[i], `daily.precipitation_sum[${i}]`),
        unit: precipitationUnit,
      },
      weatherCode: checkWeatherCode(codes[i], `daily.weather_code[${i}]`),
    });
  }
  return { location, days: result };
}
