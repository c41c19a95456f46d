/**
 * `@hostkit/core/weather`: the `WeatherClient` port of the samples' weather feature, the shapes
 * of its results, its errors, and the argument checks every implementation shares. A domain of
 * the samples, not of a generic host, hence an entry of its own rather than the main one. The
 * HTTP implementations (Open-Meteo over undici on Node, over `fetch` on Deno) are in
 * `@hostkit/adapters`.
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
