/**
 * Units a weather result can carry. Each result states its unit next to its value, so a caller
 * never has to know which unit an implementation was configured with.
 */

/** Degrees Celsius or Fahrenheit, spelled as Open-Meteo and most services spell them. */
export type TemperatureUnit = '°C' | '°F';

/** Kilometres per hour, metres per second, miles per hour (spelled `mp/h`, as Open-Meteo does), knots. */
export type WindSpeedUnit = 'km/h' | 'm/s' | 'mp/h' | 'kn';

/** Millimetres or inches of water. */
export type PrecipitationUnit = 'mm' | 'inch';

/** A number and the unit it is in. */
export interface Measurement<TUnit extends string> {
  /** The number, in {@link unit}. */
  readonly value: number;
  /** The unit of {@link value}, e.g. `'°C'`. */
  readonly unit: TUnit;
}
