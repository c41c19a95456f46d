/**
 * Argument checks shared by every `WeatherClient` implementation, so that all of them reject
 * the same values with the same messages, before any request is made.
 * @module
 */
import { describeValue } from '../internal/describe-value.ts';
import type { Coordinates } from './coordinates.ts';
import { maxForecastDays } from './daily-forecast.ts';

function checkDegrees(name: string, value: unknown, limit: number): number {
  const expected = `Expected ${name} to be a finite number from -${limit} to ${limit}, got ${describeValue(value)}`;
  if (typeof value !== 'number') throw new TypeError(expected);
  if (!Number.isFinite(value) || value < -limit || value > limit) throw new RangeError(expected);
  return value;
}

/**
 * Checks a location for `WeatherClient`: an object whose `latitude` is a finite number from
 * -90 to 90 and whose `longitude` is one from -180 to 180.
 * @returns a frozen copy holding only the two numbers, so a caller that mutates its object after
 * the call cannot change the request.
 * @throws TypeError when `location` is not an object, or a coordinate is not a number.
 * @throws RangeError when a coordinate is NaN, infinite or out of range. Both errors name the
 * coordinate, its value and its type.
 */
export function checkCoordinates(location: unknown): Coordinates {
  if (typeof location !== 'object' || location === null) {
    throw new TypeError(`Expected location to be an object with latitude and longitude, got ${describeValue(location)}`);
  }
  const { latitude, longitude } = location as Partial<Record<keyof Coordinates, unknown>>;
  return Object.freeze({
    latitude: checkDegrees('latitude', latitude, 90),
    longitude: checkDegrees('longitude', longitude, 180),
  });
}

/**
 * Checks the `days` of a daily forecast request: an integer from 1 to {@link maxForecastDays}.
 * @throws TypeError when `days` is not a number; RangeError when it is not such an integer. Both
 * name the value and its type.
 */
export function checkForecastDays(days: unknown): number {
  const expected = `Expected days to be an integer from 1 to ${maxForecastDays}, got ${describeValue(days)}`;
  if (typeof days !== 'number') throw new TypeError(expected);
  if (!Number.isInteger(days) || days < 1 || days > maxForecastDays) throw new RangeError(expected);
  return days;
}
