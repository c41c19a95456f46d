/**
 * Builds Open-Meteo forecast request paths (`/v1/forecast?...`), the part of the protocol that
 * goes out; {@link readCurrentWeather} and {@link readDailyForecast} read what comes back.
 * @module
 */
import {
  type Coordinates,
  type PrecipitationUnit,
  type TemperatureUnit,
  type WindSpeedUnit,
} from '@hostkit/core/weather';
import { describeValue } from '@hostkit/core/adapter-kit';
import type { OpenMeteoUnits } from './open-meteo-response.ts';

/** Units as Open-Meteo's query parameters name them. */
export interface WeatherUnitsOptions {
  /** `temperature_unit`. @default 'celsius' */
  readonly temperature?: 'celsius' | 'fahrenheit' | undefined;
  /** `wind_speed_unit`: km/h, m/s, mph, knots. @default 'kmh' */
  readonly windSpeed?: 'kmh' | 'ms' | 'mph' | 'kn' | undefined;
  /** `precipitation_unit`. @default 'mm' */
  readonly precipitation?: 'mm' | 'inch' | undefined;
}

const temperatureUnits: Readonly<Record<string, TemperatureUnit>> = { celsius: '°C', fahrenheit: '°F' };
const windSpeedUnits: Readonly<Record<string, WindSpeedUnit>> = { kmh: 'km/h', ms: 'm/s', mph: 'mp/h', kn: 'kn' };
const precipitationUnits: Readonly<Record<string, PrecipitationUnit>> = { mm: 'mm', inch: 'inch' };

function pick<T>(table: Readonly<Record<string, T>>, name: string, value: string | undefined, fallback: string): T {
  const key = value ?? fallback;
  const unit = Object.hasOwn(table, key) ? table[key] : undefined;
  if (unit === undefined) {
    const expected = Object.keys(table).map((k) => `'${k}'`).join(', ');
    throw new RangeError(`Expected units.${name} to be one of ${expected}, got ${describeValue(value)}`);
  }
  return unit;
}

/**
 * The query and the expected response units for `units`.
 * @throws RangeError when a unit is not one Open-Meteo knows.
 */
export function resolveUnits(units: WeatherUnitsOptions | undefined): { query: string; expected: OpenMeteoUnits } {
  const expected: OpenMeteoUnits = {
    temperature: pick(temperatureUnits, 'temperature', units?.temperature, 'celsius'),
    windSpeed: pick(windSpeedUnits, 'windSpeed', units?.windSpeed, 'kmh'),
    precipitation: pick(precipitationUnits, 'precipitation', units?.precipitation, 'mm'),
  };
  // Only units that differ from Open-Meteo's defaults are sent, so default URLs read like its docs.
  let query = '';
  if (units?.temperature !== undefined && units.temperature !== 'celsius') query += `&temperature_unit=${units.temperature}`;
  if (units?.windSpeed !== undefined && units.windSpeed !== 'kmh') query += `&wind_speed_unit=${units.windSpeed}`;
  if (units?.precipitation !== undefined && units.precipitation !== 'mm') {
    query += `&precipitation_unit=${units.precipitation}`;
  }
  return { query, expected };
}

/**
 * A coordinate as the query carries it: at most 6 decimals (about 0.1 m, far below any weather
 * model's grid), never in exponent notation, which `String(1e-7)` would produce.
 */
function formatDegrees(value: number): string {
  return String(Number(value.toFixed(6)));
}

const currentVariables = 'temperature_2m,weather_code,wind_speed_10m';
const dailyVariables = 'temperature_2m_max,temperature_2m_min,precipitation_sum,weather_code';

/**
 * `<prefix>/v1/forecast?latitude=..&longitude=..&current=...&timezone=UTC<suffix>`.
 * @param prefix The base URL's path without a trailing slash (usually empty).
 * @param suffix Unit and `apikey` parameters, each starting with `&`.
 */
export function currentWeatherPath(prefix: string, location: Coordinates, suffix: string): string {
  return (
    `${prefix}/v1/forecast?latitude=${formatDegrees(location.latitude)}&longitude=${formatDegrees(location.longitude)}` +
    `&current=${currentVariables}&timezone=UTC${suffix}`
  );
}

/**
 * `<prefix>/v1/forecast?latitude=..&longitude=..&daily=...&timezone=UTC&forecast_days=N<suffix>`.
 * @param prefix The base URL's path without a trailing slash (usually empty).
 * @param suffix Unit and `apikey` parameters, each starting with `&`.
 */
export function dailyForecastPath(prefix: string, location: Coordinates, days: number, suffix: string): string {
  return (
    `${prefix}/v1/forecast?latitude=${formatDegrees(location.latitude)}&longitude=${formatDegrees(location.longitude)}` +
    `&daily=${dailyVariables}&timezone=UTC&forecast_days=${days}${suffix}`
  );
}
