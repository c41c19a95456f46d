/**
 * Weather: the `WeatherClient` port, the shapes of its results, its errors, and the argument
 * checks every implementation shares. The HTTP implementation (Open-Meteo over undici) is in
 * `@hostkit/adapters/undici`.
 * @module
 */
export type { WeatherClient } from './weather-client.ts';
export type { Coordinates } from './coordinates.ts';
export type { CurrentWeather } from './current-weather.ts';
export { maxForecastDays, type DailyForecast, type DailyForecastOptions, type ForecastDay } from './daily-forecast.ts';
export type { Measurement, PrecipitationUnit, TemperatureUnit, WindSpeedUnit } from './measurement.ts';
export { checkCoordinates, checkForecastDays } from './weather-arguments.ts';
export { WeatherApiError, type WeatherApiErrorOptions } from './weather-api-error.ts';
export { WeatherRequestError, type WeatherRequestErrorOptions } from './weather-request-error.ts';
export { WeatherResponseError, type WeatherResponseErrorOptions } from './weather-response-error.ts';
