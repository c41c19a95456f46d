/**
 * `@hostkit/adapters/undici`: the weather client over undici 8.
 *
 * This module only chooses the implementation: the `WeatherClient` contract, its result types and
 * its errors live in `@hostkit/core`. What is here is how to reach Open-Meteo's forecast API over
 * HTTP: the Agent and its limits, retries, and the reading of the protocol.
 * @module
 */
export { createUndiciWeatherClient, UndiciWeatherClient } from './undici-weather-client.ts';
export { defaultWeatherBaseUrl, type UndiciWeatherClientOptions } from './undici-weather-client-options.ts';
export type { WeatherUnitsOptions } from './open-meteo-request.ts';
export type { WeatherRetryOptions } from './retry-policy.ts';
export { WeatherLogEvents } from './weather-log-events.ts';
