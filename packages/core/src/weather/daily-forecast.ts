import type { Coordinates } from './coordinates.ts';
import type { Measurement, PrecipitationUnit, TemperatureUnit } from './measurement.ts';

/**
 * The most days `WeatherClient.getDailyForecast` can be asked for: 16, today included, the
 * longest forecast that Open-Meteo and most global weather models offer.
 */
export const maxForecastDays = 16;

/** What `WeatherClient.getDailyForecast` is asked for. */
export interface DailyForecastOptions {
  /** Number of days, today (UTC) included: an integer from 1 to {@link maxForecastDays}. */
  readonly days: number;
}

/** One day of a {@link DailyForecast}. */
export interface ForecastDay {
  /** The calendar day in UTC, as `YYYY-MM-DD`. A day, not an instant: hence a string, not a `Date`. */
  readonly date: string;
  /** Highest air temperature 2 m above ground over the day. */
  readonly temperatureMax: Measurement<TemperatureUnit>;
  /** Lowest air temperature 2 m above ground over the day. */
  readonly temperatureMin: Measurement<TemperatureUnit>;
  /** Rain, showers and snowfall over the day, as water. */
  readonly precipitationSum: Measurement<PrecipitationUnit>;
  /** The most severe WMO weather interpretation code of the day (WMO 4677, 0 to 99). */
  readonly weatherCode: number;
}

/** A forecast by day, as `WeatherClient.getDailyForecast` returns it. */
export interface DailyForecast {
  /** The service's grid cell nearest to the requested coordinates (see `CurrentWeather.location`). */
  readonly location: Coordinates;
  /** Exactly as many days as were asked for, today (UTC) first, in date order. */
  readonly days: readonly ForecastDay[];
}
