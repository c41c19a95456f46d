/**
 * Weather client: requests per second against a loopback `node:http` server that serves a fixed,
 * valid Open-Meteo 7-day forecast, 16 requests in flight at a time.
 *
 * Judged: the client's own overhead over the transport it runs on, on each runtime the client
 * that runtime uses: `UndiciWeatherClient` over bare undici `Agent.request` on Node,
 * `FetchWeatherClient` over bare `fetch` on Deno (where native fetch outruns undici over the
 * `node:net` emulation). The client's time per request may be at most 1.1 times the bare
 * transport's: argument checks, path building, the retry loop, the size cap and the timeouts
 * cost at most 10 %.
 *
 * Every case does the same work per request: a GET of the same URL on a keep-alive connection,
 * the whole body read, the status checked, `JSON.parse`, and the client's own response checks
 * (`readDailyForecast`, the very function the client calls); every case's results are counted and
 * checked so that a case that skipped work fails the run instead of looking fast. Not judged,
 * printed as notes: the client against the runtime's global `fetch` (Node's is undici with the
 * WHATWG layers on top), and on Deno the undici client, which the fetch client replaces there.
 *
 * The server runs on a worker thread, so that the measured thread does client work only; on the
 * measured thread, the server's cost per request would be added to every case alike and compress
 * the ratio. Its code is plain JavaScript evaluated in the worker, so the worker loads nothing of
 * hostkit.
 */
import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import { Agent } from 'undici';
import { FetchWeatherClient } from '../../packages/adapters/src/fetch/index.ts';
import { dailyForecastPath } from '../../packages/adapters/src/open-meteo/open-meteo-request.ts';
import { type OpenMeteoUnits, readDailyForecast } from '../../packages/adapters/src/open-meteo/open-meteo-response.ts';
import { UndiciWeatherClient } from '../../packages/adapters/src/undici/index.ts';
import { type BenchCase, ExactlyOnce, formatCount, judgeOverhead, measureInterleaved, runSuite, runtimeKey, speedRatio } from '../lib/harness.ts';

const CONCURRENCY = 16;
const DAYS = 7;

const UNDICI_CLIENT = 'hostkit UndiciWeatherClient.getDailyForecast';
const FETCH_CLIENT = 'hostkit FetchWeatherClient.getDailyForecast';
const FETCH = 'global fetch + JSON.parse + same checks';
const RAW = 'undici Agent.request + JSON.parse + same checks';

const location = { latitude: 52.52, longitude: 13.41 } as const;
const units: OpenMeteoUnits = { temperature: '°C', windSpeed: 'km/h', precipitation: 'mm' };

/** A 7-day forecast as Open-Meteo sends it (about 700 bytes). */
function forecastBody(): string {
  const day = (i: number): string => new Date(Date.UTC(2026, 10, 21 + i)).toISOString().slice(0, 10);
  const series = <T>(f: (i: number) => T): T[] => Array.from({ length: DAYS }, (_, i) => f(i));
  return JSON.stringify({
    latitude: 52.52,
    longitude: 13.419998,
    generationtime_ms: 0.05,
    utc_offset_seconds: 0,
    timezone: 'GMT',
    timezone_abbreviation: 'GMT',
    elevation: 38,
    daily_units: { time: 'iso8601', temperature_2m_max: '°C', temperature_2m_min: '°C', precipitation_sum: 'mm', weather_code: 'wmo code' },
    daily: {
      time: series(day),
      temperature_2m_max: series((i) => 6 + i / 10),
      temperature_2m_min: series((i) => -1 + i / 10),
      precipitation_sum: series((i) => (i % 3) * 0.4),
      weather_code: series((i) => [3, 61, 0][i % 3]),
    },
  });
}

/** The server, as CommonJS evaluated in the worker: it answers every request with the body. */
const serverSource = `
const { createServer } = require('node:http');
const { parentPort, workerData } = require('node:worker_threads');
const body = Buffer.from(workerData);
const server = createServer((request, response) => {
  response.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': body.length });
  response.end(body);
});
server.keepAliveTimeout = 60000;
server.on('connection', (socket) => socket.on('error', () => {}));
server.listen(0, '127.0.0.1', () => parentPort.postMessage(server.address().port));
`;

/** Runs `items` requests with `CONCURRENCY` in flight; each returns how many days it read. */
async function concurrently(name: string, items: number, request: () => Promise<number>): Promise<void> {
  let next = 0;
  const seen = new ExactlyOnce(items, name);
  const lane = async (): Promise<void> => {
    while (next < items) {
      const id = next++;
      const days = await request();
      if (days !== DAYS) throw new Error(`${name}: expected ${DAYS} days in response ${id}, got ${days}`);
      seen.see(id);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, lane));
  seen.expectAll();
}

await runSuite(import.meta.url, async ({ quick }) => {
  const server = new Worker(serverSource, { eval: true, workerData: forecastBody() });
  const [port] = (await once(server, 'message')) as [number];
  const baseUrl = `http://127.0.0.1:${port}`;
  const path = dailyForecastPath('', location, DAYS, '');
  const url = `${baseUrl}${path}`;
  const onDeno = runtimeKey() === 'deno';

  const undiciClient = new UndiciWeatherClient({ baseUrl });
  const fetchClient = new FetchWeatherClient({ baseUrl });
  const agent = new Agent({ allowH2: false });

  const viaClient = (name: string, client: UndiciWeatherClient | FetchWeatherClient) => async (items: number): Promise<void> => {
    await concurrently(name, items, async () => (await client.getDailyForecast(location, { days: DAYS })).days.length);
  };

  const viaFetch = async (items: number): Promise<void> => {
    await concurrently(FETCH, items, async () => {
      const response = await fetch(url, { headers: { accept: 'application/json' } });
      const text = await response.text();
      if (response.status !== 200) throw new Error(`fetch: expected status 200, got ${response.status}`);
      return readDailyForecast(JSON.parse(text), DAYS, units).days.length;
    });
  };

  const viaRequest = async (items: number): Promise<void> => {
    await concurrently(RAW, items, async () => {
      const response = await agent.request({ origin: baseUrl, path, method: 'GET', headers: { accept: 'application/json' } });
      const text = await response.body.text();
      if (response.statusCode !== 200) throw new Error(`request: expected status 200, got ${response.statusCode}`);
      return readDailyForecast(JSON.parse(text), DAYS, units).days.length;
    });
  };

  // Each runtime's client and its bare transport; the third case is for a note.
  const client = onDeno ? FETCH_CLIENT : UNDICI_CLIENT;
  const bare = onDeno ? FETCH : RAW;
  const cases: BenchCase[] = onDeno
    ? [
        { name: FETCH_CLIENT, run: viaClient(FETCH_CLIENT, fetchClient) },
        { name: FETCH, run: viaFetch },
        { name: UNDICI_CLIENT, run: viaClient(UNDICI_CLIENT, undiciClient) },
      ]
    : [
        { name: UNDICI_CLIENT, run: viaClient(UNDICI_CLIENT, undiciClient) },
        { name: RAW, run: viaRequest },
        { name: FETCH, run: viaFetch },
      ];
  const items = quick ? 2_000 : 8_000;
  try {
    const results = await measureInterleaved(cases, {
      items,
      rounds: quick ? 5 : 10,
      warmupRounds: 2,
      label: `weather, ${formatCount(items)} requests`,
    });
    const notes = [
      `${formatCount(items)} GETs per sample, ${CONCURRENCY} in flight, keep-alive; the server runs on a worker thread`,
      `judged on ${onDeno ? 'deno' : 'node'}: ${client} against ${bare} (its bare transport)`,
    ];
    if (onDeno) {
      notes.push(`fetch client vs undici client on deno: ${speedRatio(results, FETCH_CLIENT, UNDICI_CLIENT).toFixed(2)} times the requests per second (why deno uses fetch)`);
    } else {
      notes.push(`undici client vs global fetch doing the same work: ${speedRatio(results, UNDICI_CLIENT, FETCH).toFixed(2)} times the requests per second`);
    }
    return {
      cases: results,
      ratios: [
        // Time per request of the client over the bare transport's: the inverse of their ops/sec ratio.
        judgeOverhead(results, `weather client time per request over its bare transport, ${CONCURRENCY} in flight`, client, bare, 1.1),
      ],
      notes,
    };
  } finally {
    await undiciClient.close();
    await fetchClient.close();
    await agent.close();
    await server.terminate();
  }
});
