/**
 * `@hostkit/adapters/undici`: the Open-Meteo weather client over undici 8, for Node.
 *
 * This module only chooses the implementation: the `WeatherClient` contract, its result types and
 * its errors live in `@hostkit/core/weather`. What is here is how to reach Open-Meteo's forecast
 * API over undici: the Agent and its limits. The client itself (retries, size caps, validation,
 * key redaction) is shared with `@hostkit/adapters/fetch`, its twin over `fetch` for Deno.
 * @module
 */
export { createUndiciWeatherClient, UndiciWeatherClient } from './undici-weather-client.ts';
export type { UndiciWeatherClientOptions } from './undici-weather-client-options.ts';
export { defaultWeatherBaseUrl, type WeatherClientOptions } from '../open-meteo/weather-client-options.ts';
export type { WeatherUnitsOptions } from '../open-meteo/open-meteo-request.ts';
export type { WeatherRetryOptions } from '../open-meteo/retry-policy.ts';
export { WeatherLogEvents } from '../open-meteo/weather-log-events.ts';
