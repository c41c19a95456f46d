import {
  BackgroundService,
  CancellationSource,
  getJson,
  PeriodicTimer,
  setJson,
  type DistributedCache,
  type HealthCheckResult,
  type Logger,
  type TimeProvider,
} from '@hostkit/core';
import { WeatherApiError, type Coordinates, type ForecastDay, type WeatherClient } from '@hostkit/core/weather';
import type { ActivityLog } from '../database/activity-log.ts';
import { clusterSingletonServiceOptions, type ClusterRunOptions } from '../cluster/cluster-run-options.ts';

/** What the cache holds for a UTC day, and what GET /weather serves. */
export interface CachedForecast {
  /** The cache key it was stored under: `weather:forecast:<YYYY-MM-DD>` (UTC). */
  readonly key: string;
  /** When it was fetched, epoch ms on the host's TimeProvider (wall clock). */
  readonly fetchedAt: number;
  /** The grid point the service answered for. */
  readonly location: Coordinates;
  readonly days: readonly ForecastDay[];
}

/** Options of {@link WeatherCacheService}. */
export interface WeatherCacheServiceOptions {
  readonly location: Coordinates;
  /** Ms between refreshes while they succeed (WEATHER_REFRESH_MS). */
  readonly refreshMs: number;
  /** Days of forecast to fetch. @default 3 */
  readonly days?: number;
  /** First retry delay after a failure; doubles with each failure in a row. @default min(1000, refreshMs) */
  readonly initialBackoffMs?: number;
  /** The most a retry is delayed. @default max(refreshMs, 300000) */
  readonly maxBackoffMs?: number;
  /** A refresh that takes longer is cancelled and counts as a failure. @default refreshMs clamped to 1 s..10 s */
  readonly refreshTimeoutMs?: number;
  /**
   * Cluster mode: refresh as a cluster singleton (only the replica holding the lease calls the
   * API; every replica serves GET /weather from the shared cache). @default single process
   */
  readonly cluster?: WeatherClusterOptions | undefined;
}

/** How the weather refresh runs in cluster mode. */
export type WeatherClusterOptions = ClusterRunOptions;

/** The lease name of the weather refresh, and its `kind` in `cluster_runs` is `weather`. */
export const WEATHER_SINGLETON = 'samples:weather';
const WEATHER_RUN_KIND = 'weather';

const DAY_MS = 86_400_000;

/** `weather:forecast:2026-11-21`: one cache entry per UTC day, as the seed's `CurrentWeather:yyyy_MM_dd`. */
export function weatherCacheKey(at: number): string {
  return `weather:forecast:${new Date(at).toISOString().slice(0, 10)}`;
}

/**
 * Keeps the forecast in the DistributedCache, refreshed through the WeatherClient on a
 * PeriodicTimer. The port of the seed's `WeatherCacheService`, without its bugs:
 *
 * - the seed looped `while (ct.IsCancellationRequested)`, inverted, so the loop never ran and the
 *   cache stayed empty; here the loop runs until the timer wait is cancelled by the stop;
 * - the seed paused with a fixed `Task.Delay` after the work, so the period drifted by the fetch
 *   time; the PeriodicTimer is fixed-rate;
 * - the seed cached for 1 s with a 1 s refresh: one failed refresh and there was nothing to serve.
 *   Here entries live 2 days and the last good value is also kept in memory, so GET /weather keeps
 *   serving it (with its age) through an outage.
 *
 * When a refresh fails, the timer's period becomes an exponential backoff (doubling from
 * `initialBackoffMs` to `maxBackoffMs`, at least what a `Retry-After` asked for), measured on the
 * TimeProvider, and the health check reports degraded; the first success restores the period.
 */
export class WeatherCacheService extends BackgroundService {
  readonly #client: WeatherClient;
  readonly #cache: DistributedCache;
  readonly #time: TimeProvider;
  readonly #logger: Logger;
  readonly #activity: ActivityLog;
  readonly #location: Coordinates;
  readonly #refreshMs: number;
  readonly #days: number;
  readonly #initialBackoffMs: number;
  readonly #maxBackoffMs: number;
  readonly #refreshTimeoutMs: number;
  #lastGood: CachedForecast | undefined = undefined;
  #lastError: { readonly at: number; readonly message: string } | undefined = undefined;
  #consecutiveFailures = 0;
  #refreshes = 0;
  #failures = 0;
  /** Timestamp (TimeProvider.timestamp) of the next scheduled refresh, for Retry-After. */
  #nextRefreshAt: number | undefined = undefined;
  #currentDelayMs: number;
  readonly #cluster: WeatherClusterOptions | undefined;

  constructor(
    client: WeatherClient,
    cache: DistributedCache,
    time: TimeProvider,
    logger: Logger,
    activity: ActivityLog,
    options: WeatherCacheServiceOptions,
  ) {
    const cluster = options.cluster;
    super(clusterSingletonServiceOptions(cluster, WEATHER_SINGLETON, time, logger));
    this.#cluster = cluster;
    this.#client = client;
    this.#cache = cache;
    this.#time = time;
    this.#logger = logger;
    this.#activity = activity;
    this.#location = options.location;
    this.#refreshMs = options.refreshMs;
    this.#days = options.days ?? 3;
    this.#initialBackoffMs = options.initialBackoffMs ?? Math.min(1_000, options.refreshMs);
    this.#maxBackoffMs = options.maxBackoffMs ?? Math.max(options.refreshMs, 300_000);
    this.#refreshTimeoutMs = options.refreshTimeoutMs ?? Math.min(10_000, Math.max(1_000, options.refreshMs));
    this.#currentDelayMs = options.refreshMs;
  }

  protected override async execute(stopping: AbortSignal): Promise<void> {
    using timer = new PeriodicTimer(this.#refreshMs, { timeProvider: this.#time, name: 'weather-refresh' });
    this.#logger.info(
      `Weather: refreshing the ${this.#days}-day forecast for ${this.#location.latitude},${this.#location.longitude} now, then every ${this.#refreshMs} ms` +
        (this.#cluster === undefined ? '' : ` (${this.#cluster.replicaId} leads the refresh, fencing token ${this.clusterLease?.fencingToken ?? '?'})`),
    );
    // A new leader does not refresh early: the shared cache may hold a forecast fetched moments
    // ago by the previous leader.
    const fresh = this.#cluster === undefined ? undefined : await this.current(stopping);
    const wait = fresh === undefined ? 0 : this.#refreshMs - this.ageOf(fresh);
    if (fresh !== undefined) this.#lastGood = fresh;
    if (wait > 0) {
      this.#nextRefreshAt = this.#time.timestamp() + wait;
      await this.#time.delay(wait, stopping);
      timer.period = this.#refreshMs;
    }
    await this.#refresh(stopping, timer);
    // A stop rejects the wait with the stop's reason at once: a clean stop for BackgroundService.
    try {
      while (!stopping.aborted && (await timer.waitForNextTick(stopping))) {
        // A tick that came while a failing refresh was still running is pending when the period
        // changes to the backoff; skipping it keeps the backoff honest.
        if (this.#consecutiveFailures > 0 && this.#nextRefreshAt !== undefined && this.#time.timestamp() < this.#nextRefreshAt) continue;
        await this.#refresh(stopping, timer);
      }
    } finally {
      this.#logger.info(`Weather: stopped after ${this.#refreshes} refresh${this.#refreshes === 1 ? '' : 'es'} (${this.#failures} failed)`);
    }
  }

  /**
   * What GET /weather serves: today's entry from the cache, else the last good value kept in
   * memory (yesterday's, or one the cache has evicted or cannot return); `undefined` before the
   * first success.
   * @throws `signal.reason` when `signal` aborts.
   */
  async current(signal?: AbortSignal): Promise<CachedForecast | undefined> {
    try {
      const cached = await getJson<CachedForecast>(this.#cache, weatherCacheKey(this.#time.now()), signal);
      return cached ?? this.#lastGood;
    } catch (error) {
      if (signal?.aborted === true) throw error;
      // A cache that cannot answer (a corrupt entry, a store that is down) is a miss.
      this.#logger.warn('Weather: the cache could not be read; serving the last good value kept in memory', { error });
      return this.#lastGood;
    }
  }

  /** Ms since `forecast` was fetched, on the host's clock (never negative). */
  ageOf(forecast: CachedForecast): number {
    return Math.max(0, this.#time.now() - forecast.fetchedAt);
  }

  /** Ms until the next refresh attempt (at least 1 s): the Retry-After of a 503. */
  retryAfterMs(): number {
    const next = this.#nextRefreshAt;
    const remaining = next === undefined ? this.#currentDelayMs : next - this.#time.timestamp();
    return Math.max(1_000, remaining);
  }

  /** Whether the last refresh failed (the value served, if any, is stale). */
  get failing(): boolean {
    return this.#consecutiveFailures > 0;
  }

  /** The last failure, if the last refresh failed. */
  get lastError(): { readonly at: number; readonly message: string } | undefined {
    return this.#consecutiveFailures > 0 ? this.#lastError : undefined;
  }

  /** The `weather` health check: degraded while refreshes fail or before the first success. */
  health(): HealthCheckResult {
    if (this.#cluster !== undefined && this.clusterLease === undefined) {
      // Another replica refreshes; this one serves the shared cache. Its health is the leader's.
      return { status: 'healthy', description: `Standby: another replica refreshes the forecast; ${this.#cluster.replicaId} serves it from the shared cache` };
    }
    const ageMs = this.#lastGood === undefined ? undefined : this.#time.now() - this.#lastGood.fetchedAt;
    const data = {
      consecutiveFailures: this.#consecutiveFailures,
      ...(ageMs !== undefined && { ageMs }),
      nextRefreshInMs: Math.round(this.retryAfterMs()),
    };
    if (this.#consecutiveFailures > 0) {
      const served = ageMs === undefined ? 'nothing to serve yet' : `serving the forecast fetched ${Math.round(ageMs / 1000)} s ago`;
      return {
        status: 'degraded',
        description: `${this.#consecutiveFailures} refresh${this.#consecutiveFailures === 1 ? '' : 'es'} in a row failed (${this.#lastError?.message ?? 'unknown error'}); ${served}`,
        data,
      };
    }
    if (this.#lastGood === undefined) return { status: 'degraded', description: 'No forecast fetched yet', data };
    return { status: 'healthy', description: 'The last refresh succeeded', data };
  }

  /** Counters for GET /status. */
  snapshot(): Record<string, unknown> {
    return {
      state: this.status,
      ...(this.#cluster !== undefined && { leader: this.clusterLease !== undefined, replica: this.#cluster.replicaId }),
      refreshMs: this.#refreshMs,
      currentDelayMs: this.#currentDelayMs,
      processed: this.#refreshes,
      failed: this.#failures,
      consecutiveFailures: this.#consecutiveFailures,
      lastFetchedAt: this.#lastGood === undefined ? null : new Date(this.#lastGood.fetchedAt).toISOString(),
      lastError: this.lastError === undefined ? null : { message: this.lastError.message, at: new Date(this.lastError.at).toISOString() },
    };
  }

  async #refresh(stopping: AbortSignal, timer: PeriodicTimer): Promise<void> {
    // The refresh gets its own deadline on the TimeProvider, linked to the stop: a stalled service
    // must not hold the loop (or the stop) for as long as the HTTP client is willing to wait.
    using attempt = CancellationSource.linked([stopping], { timeProvider: this.#time, delay: this.#refreshTimeoutMs });
    const startedAt = this.#time.now();
    try {
      const forecast = await this.#client.getDailyForecast(this.#location, { days: this.#days }, attempt.signal);
      const fetchedAt = this.#time.now();
      const entry: CachedForecast = { key: weatherCacheKey(fetchedAt), fetchedAt, location: forecast.location, days: forecast.days };
      await setJson(this.#cache, entry.key, entry, { absoluteExpirationRelativeToNow: 2 * DAY_MS }, attempt.signal);
      this.#lastGood = entry;
      this.#refreshes++;
      const recovered = this.#consecutiveFailures > 0;
      this.#consecutiveFailures = 0;
      this.#schedule(timer, this.#refreshMs);
      const today = entry.days[0];
      const summary =
        today === undefined
          ? 'no days'
          : `today ${today.temperatureMin.value}..${today.temperatureMax.value} ${today.temperatureMax.unit}, code ${today.weatherCode}`;
      this.#logger.info(`Weather: ${recovered ? 'recovered; ' : ''}cached the forecast under ${entry.key} (${summary})`);
      this.#activity.write('weather', `refreshed ${entry.key}: ${summary}`);
      this.#recordRun(startedAt, 'ok');
    } catch (error) {
      if (stopping.aborted) return;
      const timedOut = attempt.signal.aborted;
      const message = timedOut ? `the refresh timed out after ${this.#refreshTimeoutMs} ms` : error instanceof Error ? error.message : String(error);
      this.#consecutiveFailures++;
      this.#failures++;
      this.#lastError = { at: this.#time.now(), message };
      const exponent = Math.min(this.#consecutiveFailures - 1, 30);
      let delay = Math.min(this.#initialBackoffMs * 2 ** exponent, this.#maxBackoffMs);
      if (error instanceof WeatherApiError && error.retryAfterMs !== undefined) delay = Math.max(delay, Math.min(error.retryAfterMs, this.#maxBackoffMs));
      this.#schedule(timer, delay);
      const serving = this.#lastGood === undefined ? 'nothing cached yet' : `still serving the forecast from ${new Date(this.#lastGood.fetchedAt).toISOString()}`;
      this.#logger.warn(`Weather: refresh failed (${message}); ${serving}; retrying in ${delay} ms`, {
        error,
        consecutiveFailures: this.#consecutiveFailures,
        delay,
      });
      this.#activity.write('weather', `refresh failed (${message}); retrying in ${delay} ms`);
      this.#recordRun(startedAt, `failed: ${message}`);
    }
  }

  /** Cluster mode: records the refresh in `cluster_runs` (fenced: a stale leader's is refused). */
  #recordRun(startedAt: number, outcome: string): void {
    const cluster = this.#cluster;
    if (cluster === undefined) return;
    const token = this.clusterLease?.fencingToken ?? 0;
    try {
      if (!cluster.runs.record(WEATHER_RUN_KIND, cluster.replicaId, token, startedAt, this.#time.now(), outcome)) {
        this.#logger.error(
          `Weather: the run record refused fencing token ${token} (a refresh under a newer token was recorded); ` +
            'releasing the lease and campaigning again',
          { fencingToken: token, replica: cluster.replicaId },
        );
        // Ends execute through the lease's signal; the cluster singleton then campaigns again.
        void this.clusterLease?.release();
      }
    } catch (error) {
      this.#logger.warn('Weather: the refresh could not be recorded in cluster_runs', { error });
    }
  }

  /** Sets when the next refresh comes: `delay` ms from now, then every `delay` ms. */
  #schedule(timer: PeriodicTimer, delay: number): void {
    this.#currentDelayMs = delay;
    // Setting the period restarts the schedule from now, so a backoff counts from the failure,
    // and a recovery goes back to the regular rate counted from the success.
    if (timer.period !== delay || this.#consecutiveFailures > 0) timer.period = delay;
    this.#nextRefreshAt = this.#time.timestamp() + delay;
  }
}
