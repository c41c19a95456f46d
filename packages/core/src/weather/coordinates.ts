/**
 * A point on the earth in WGS84 decimal degrees, as weather services take it.
 *
 * Implementations of `WeatherClient` check it with `checkCoordinates` before sending anything, so
 * every implementation rejects the same values with the same message.
 */
export interface Coordinates {
  /** Degrees north of the equator, from -90 (south pole) to 90 (north pole). */
  readonly latitude: number;
  /** Degrees east of Greenwich, from -180 to 180. */
  readonly longitude: number;
}
