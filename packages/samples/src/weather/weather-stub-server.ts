import type { HostedService, Logger, TimeProvider } from '@hostkit/core';
import { HonoServerService } from '@hostkit/adapters/hono';

/**
 * An Open-Meteo compatible forecast endpoint (`GET /v1/forecast`) with made-up but plausible
 * values, so that the samples run with no network and no account. Started in-process on a random
 * loopback port when WEATHER_API_URL is unset; the real client (`UndiciWeatherClient` on Node,
 * `FetchWeatherClient` on Deno) talks to it over HTTP exactly as it would to api.open-meteo.com.
 *
 * Values are derived from the coordinates and the UTC day, so they are stable within a day and
 * differ between places. Hosted service: listens in `start`, closes in `stop`. Registered before
 * the weather cache, so it is up before the first refresh and goes down after the last.
 */
export class WeatherStubServer implements HostedService {
  readonly #time: TimeProvider;
  readonly #logger: Logger;
  #server: HonoServerService | undefined = undefined;
  #url: string | undefined = undefined;
  #requests = 0;

  constructor(time: TimeProvider, logger: Logger) {
    this.#time = time;
    this.#logger = logger;
  }

  /**
   * `http://127.0.0.1:<port>`, the base URL to give the weather client.
   * @throws Error before `start` has completed.
   */
  get url(): string {
    if (this.#url === undefined) throw new Error('The weather stub server is not listening yet: it starts with the host.');
    return this.#url;
  }

  /** Requests answered so far. */
  get requests(): number {
    return this.#requests;
  }

  /** Called by the host at start: listens on 127.0.0.1 (the runtime's own server), port chosen by the system. */
  async start(signal: AbortSignal): Promise<void> {
    const server = new HonoServerService({
      app: {
        fetch: (request) => {
          this.#requests++;
          return handleStubRequest(request, this.#time);
        },
      },
      port: 0,
      time: this.#time,
      logger: this.#logger,
      name: 'Weather stub',
      // Its own line follows; a second 'listening on' would read like the samples' server.
      quiet: true,
    });
    await server.start(signal);
    this.#server = server;
    this.#url = server.url;
    this.#logger.info(
      `Weather: WEATHER_API_URL is not set, so forecasts come from the built-in Open-Meteo stub at ${this.#url ?? ''} (made-up data, no network). Set WEATHER_API_URL=https://api.open-meteo.com for real forecasts.`,
    );
  }

  /** Called by the host at stop: stops accepting and closes every connection (keep-alive ones too). */
  async stop(signal: AbortSignal): Promise<void> {
    const server = this.#server;
    if (server === undefined) return;
    this.#server = undefined;
    await server.stop(signal);
  }
}

/**
 * Answers one Open-Meteo forecast request: `current=` and/or `daily=` with `forecast_days`, in
 * the units asked for. Anything else gets Open-Meteo's error shape (`{ error: true, reason }`).
 */
export function handleStubRequest(request: Request, time: TimeProvider): Response {
  const url = new URL(request.url);
  const send = (status: number, body: unknown): Response =>
    new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json; charset=utf-8' } });
  if (request.method !== 'GET' || url.pathname.replace(/\/+$/, '') !== '/v1/forecast') {
    return send(404, { error: true, reason: `Not found: ${request.method} ${url.pathname}` });
  }
  const latitude = Number(url.searchParams.get('latitude'));
  const longitude = Number(url.searchParams.get('longitude'));
  if (!Number.isFinite(latitude) || latitude < -90 || latitude > 90 || !Number.isFinite(longitude) || longitude < -180 || longitude > 180) {
    return send(400, { error: true, reason: 'Latitude must be in range of -90 to 90°, longitude in range of -180 to 180°.' });
  }
  const days = Number(url.searchParams.get('forecast_days') ?? '7');
  if (!Number.isInteger(days) || days < 1 || days > 16) {
    return send(400, { error: true, reason: `Forecast days is invalid. Allowed range 1 to 16. Given ${days}.` });
  }
  const fahrenheit = url.searchParams.get('temperature_unit') === 'fahrenheit';
  const temperatureUnit = fahrenheit ? '°F' : '°C';
  const toUnit = (celsius: number): number => round1(fahrenheit ? (celsius * 9) / 5 + 32 : celsius);
  const windUnit = { kmh: 'km/h', ms: 'm/s', mph: 'mp/h', kn: 'kn' }[url.searchParams.get('wind_speed_unit') ?? 'kmh'] ?? 'km/h';
  const inch = url.searchParams.get('precipitation_unit') === 'inch';
  const now = time.now();
  const body: Record<string, unknown> = {
    latitude: round1(latitude * 100) / 100,
    longitude: round1(longitude * 100) / 100,
    generationtime_ms: 0.05,
    utc_offset_seconds: 0,
    timezone: 'UTC',
    timezone_abbreviation: 'UTC',
    elevation: 42,
  };
  if (url.searchParams.has('current')) {
    const quarter = Math.floor(now / 900_000) * 900_000;
    const seed = noise(latitude, longitude, quarter);
    body['current_units'] = { time: 'iso8601', interval: 'seconds', temperature_2m: temperatureUnit, wind_speed_10m: windUnit, weather_code: 'wmo code' };
    body['current'] = {
      time: new Date(quarter).toISOString().slice(0, 16),
      interval: 900,
      temperature_2m: toUnit(baseTemperature(latitude, now) + seed * 6 - 3),
      wind_speed_10m: round1(5 + seed * 20),
      weather_code: WEATHER_CODES[Math.floor(seed * WEATHER_CODES.length)] ?? 0,
    };
  }
  if (url.searchParams.has('daily')) {
    const today = Math.floor(now / 86_400_000) * 86_400_000;
    const dates: string[] = [];
    const max: number[] = [];
    const min: number[] = [];
    const precipitation: number[] = [];
    const codes: number[] = [];
    for (let i = 0; i < days; i++) {
      const day = today + i * 86_400_000;
      const seed = noise(latitude, longitude, day);
      const base = baseTemperature(latitude, day);
      dates.push(new Date(day).toISOString().slice(0, 10));
      max.push(toUnit(base + 3 + seed * 5));
      min.push(toUnit(base - 4 - seed * 4));
      const rain = seed > 0.6 ? round1((seed - 0.6) * 20) : 0;
      precipitation.push(inch ? Math.round((rain / 25.4) * 1000) / 1000 : rain);
      codes.push(rain > 0 ? 61 : (WEATHER_CODES[Math.floor(seed * 3)] ?? 0));
    }
    body['daily_units'] = {
      time: 'iso8601',
      temperature_2m_max: temperatureUnit,
      temperature_2m_min: temperatureUnit,
      precipitation_sum: inch ? 'inch' : 'mm',
      weather_code: 'wmo code',
    };
    body['daily'] = { time: dates, temperature_2m_max: max, temperature_2m_min: min, precipitation_sum: precipitation, weather_code: codes };
  }
  return send(200, body);
}

const WEATHER_CODES = [0, 1, 2, 3, 45, 61, 80];

function round1(value: number): number {
  return Math.round(value * 10) / 10;
}

/** A seasonal mean in °C: warmer near the equator and in the hemisphere's summer. */
function baseTemperature(latitude: number, at: number): number {
  const dayOfYear = Math.floor((at % 31_557_600_000) / 86_400_000);
  const season = Math.cos(((dayOfYear - 196) / 365.25) * 2 * Math.PI) * Math.sign(latitude || 1);
  return 27 - Math.abs(latitude) * 0.4 + season * (Math.abs(latitude) / 6);
}

/** A stable pseudo-random number in [0, 1) for a place and an instant. */
function noise(latitude: number, longitude: number, at: number): number {
  let hash = 2_166_136_261;
  for (const char of `${latitude.toFixed(2)}|${longitude.toFixed(2)}|${at}`) {
    hash ^= char.charCodeAt(0);
    hash = Math.imul(hash, 16_777_619);
  }
  return (hash >>> 0) / 4_294_967_296;
}
