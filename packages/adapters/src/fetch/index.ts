/**
 * `@hostkit/adapters/fetch`: the Open-Meteo weather client over the runtime's `fetch`, for Deno
 * (its native `fetch` outruns undici over `node:net` there) and any runtime with `fetch`. No
 * dependency beyond `@hostkit/core`.
 *
 * The same client as `@hostkit/adapters/undici` (the one for Node) over another transport: the
 * `WeatherClient` contract, its result types and its errors live in `@hostkit/core/weather`.
 * @module
 */
export { createFetchWeatherClient, FetchWeatherClient } from './fetch-weather-client.ts';
export type { FetchWeatherClientOptions } from './fetch-weather-client-options.ts';
export type { FetchFunction } from './fetch-transport.ts';
export { defaultWeatherBaseUrl, type WeatherClientOptions } from '../open-meteo/weather-client-options.ts';
export type { WeatherUnitsOptions } from '../open-meteo/open-meteo-request.ts';
export type { WeatherRetryOptions } from '../open-meteo/retry-policy.ts';
export { WeatherLogEvents } from '../open-meteo/weather-log-events.ts';
