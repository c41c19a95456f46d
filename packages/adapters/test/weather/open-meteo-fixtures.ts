/**
 * Open-Meteo response bodies as the real service shapes them (trimmed to the fields requested),
 * for tests and the benchmark. Each returns a fresh object that a test may break on purpose.
 */

export const berlin = { latitude: 52.52, longitude: 13.41 } as const;

export function currentBody(): Record<string, unknown> {
  return {
    latitude: 52.52,
    longitude: 13.419998,
    generationtime_ms: 0.03,
    utc_offset_seconds: 0,
    timezone: 'GMT',
    timezone_abbreviation: 'GMT',
    elevation: 38,
    current_units: { time: 'iso8601', interval: 'seconds', temperature_2m: '°C', weather_code: 'wmo code', wind_speed_10m: 'km/h' },
    current: { time: '2026-11-21T04:30', interval: 900, temperature_2m: 3.4, weather_code: 61, wind_speed_10m: 14.2 },
  };
}

export function dailyBody(days: number): Record<string, unknown> & { daily: Record<string, unknown[]> } {
  const day = (i: number): string => new Date(Date.UTC(2026, 10, 21 + i)).toISOString().slice(0, 10);
  return {
    latitude: 52.52,
    longitude: 13.419998,
    generationtime_ms: 0.05,
    utc_offset_seconds: 0,
    timezone: 'GMT',
    timezone_abbreviation: 'GMT',
    elevation: 38,
    daily_units: {
      time: 'iso8601',
      temperature_2m_max: '°C',
      temperature_2m_min: '°C',
      precipitation_sum: 'mm',
      weather_code: 'wmo code',
    },
    daily: {
      time: Array.from({ length: days }, (_, i) => day(i)),
      temperature_2m_max: Array.from({ length: days }, (_, i) => 6 + i / 10),
      temperature_2m_min: Array.from({ length: days }, (_, i) => -1 + i / 10),
      precipitation_sum: Array.from({ length: days }, (_, i) => (i % 3) * 0.4),
      weather_code: Array.from({ length: days }, (_, i) => [3, 61, 0][i % 3]!),
    },
  };
}
