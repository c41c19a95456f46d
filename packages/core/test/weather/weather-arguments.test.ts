import { describe, expect, it } from 'vitest';
import { checkCoordinates, checkForecastDays } from '../../src/weather/index.ts';

describe('checkCoordinates', () => {
  it('returns a frozen copy of just the two numbers when they are in range', () => {
    const location = { latitude: -90, longitude: 180, name: 'pole' };

    const checked = checkCoordinates(location);

    expect(checked).toEqual({ latitude: -90, longitude: 180 });
    expect(Object.isFrozen(checked)).toBe(true);
  });

  it.each([
    [{ latitude: 91, longitude: 0 }, RangeError, 'Expected latitude to be a finite number from -90 to 90, got 91 (number)'],
    [{ latitude: -90.000_1, longitude: 0 }, RangeError, 'Expected latitude to be a finite number from -90 to 90, got -90.0001 (number)'],
    [{ latitude: 0, longitude: 181 }, RangeError, 'Expected longitude to be a finite number from -180 to 180, got 181 (number)'],
    [{ latitude: 0, longitude: -Infinity }, RangeError, 'Expected longitude to be a finite number from -180 to 180, got -Infinity (number)'],
    [{ latitude: Number.NaN, longitude: 0 }, RangeError, 'Expected latitude to be a finite number from -90 to 90, got NaN (number)'],
    [{ longitude: 0 }, TypeError, 'Expected latitude to be a finite number from -90 to 90, got undefined (undefined)'],
    [{ latitude: 0, longitude: '13' }, TypeError, 'Expected longitude to be a finite number from -180 to 180, got "13" (string)'],
    ['52,13', TypeError, 'Expected location to be an object with latitude and longitude, got "52,13" (string)'],
  ])('throws for %o a %o naming the value', (location, type, message) => {
    expect(() => checkCoordinates(location)).toThrow(type);
    expect(() => checkCoordinates(location)).toThrow(message);
  });
});

describe('checkForecastDays', () => {
  it('returns the days when they are an integer from 1 to 16', () => {
    expect([1, 7, 16].map(checkForecastDays)).toEqual([1, 7, 16]);
  });

  it.each([
    [0, RangeError],
    [17, RangeError],
    [1.5, RangeError],
    [Number.NaN, RangeError],
    [undefined, TypeError],
    ['3', TypeError],
  ])('throws for %o a %o naming the value', (days, type) => {
    expect(() => checkForecastDays(days)).toThrow(type);
    expect(() => checkForecastDays(days)).toThrow(/^Expected days to be an integer from 1 to 16, got /);
  });
});
