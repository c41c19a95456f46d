import type { Coordinates } from './coordinates.ts';
import type { Measurement, TemperatureUnit, WindSpeedUnit } from './measurement.ts';

/** Conditions now, as `WeatherClient.getCurrent` returns them. */
export interface CurrentWeather {
  /**
   * The point the values are for: the service's grid cell nearest to the requested coordinates,
   * which can be a few kilometres away from them.
   */
  readonly location: Coordinates;
  /** When the values were valid (services update "current" every 15 minutes or so). */
  readonly time: Date;
  /** Air temperature 2 m above ground. */
  readonly temperature: Measurement<TemperatureUnit>;
  /** Wind speed 10 m above ground. */
  readonly windSpeed: Measurement<WindSpeedUnit>;
  /**
   * The WMO weather interpretation code (WMO 4677, 0 to 99): 0 clear sky, 3 overcast, 61 slight
   * rain, 95 thunderstorm, and so on.
   */
  readonly weatherCode: number;
}
