import type { MinimumLogLevel } from '@hostkit/core';

/** The features the samples host can run; `services` picks a subset (all by default). */
export type ServiceName = 'cleanup' | 'weather' | 'files';

/** Every feature, in the order they are registered. */
export const ALL_SERVICES: readonly ServiceName[] = ['cleanup', 'weather', 'files'];

/**
 * The validated configuration of the samples program, read once at start from environment
 * variables and command-line flags (flags win). Every field is already checked: features can use
 * the values as they are.
 */
export interface AppConfig {
  /** PORT / --port: TCP port on 127.0.0.1; 0 picks a free one. @default 8080 */
  readonly port: number;
  /** DATA_DIR / --data-dir: absolute; holds app.db, inbox/, outbox/, failed/. @default `<cwd>/.hostkit-data` */
  readonly dataDir: string;
  /** WEATHER_API_URL / --weather-api-url: Open-Meteo compatible base URL; unset = the in-process stub. */
  readonly weatherApiUrl?: string;
  /** WEATHER_LATITUDE / --weather-latitude: -90..90. @default 52.52 (Berlin) */
  readonly weatherLatitude: number;
  /** WEATHER_LONGITUDE / --weather-longitude: -180..180. @default 13.41 (Berlin) */
  readonly weatherLongitude: number;
  /** WEATHER_REFRESH_MS / --weather-refresh-ms. @default 60000 */
  readonly weatherRefreshMs: number;
  /**
   * CLEANUP_INTERVAL_MS / --cleanup-interval-ms: ms between cleanups, the first at start. Used only
   * when {@link cleanupSchedule} is undefined, which setting it makes so. @default 3600000
   */
  readonly cleanupIntervalMs: number;
  /**
   * CLEANUP_SCHEDULE / --cleanup-schedule: the cron expression the cleanup runs on, read in
   * {@link cleanupTimeZone}; `undefined` when CLEANUP_INTERVAL_MS was set (interval mode).
   * @default '0 * * * *'
   */
  readonly cleanupSchedule: string | undefined;
  /** CLEANUP_TIME_ZONE / --cleanup-time-zone: the IANA zone of {@link cleanupSchedule}. @default 'UTC' */
  readonly cleanupTimeZone: string;
  /** LOG_RETENTION_DAYS / --log-retention-days: rows older than this are deleted. @default 30 */
  readonly logRetentionDays: number;
  /** CHANNEL_CAPACITY / --channel-capacity: bounded file channel capacity. @default 100 */
  readonly channelCapacity: number;
  /** UPLOAD_MAX_BYTES / --upload-max-bytes. @default 10485760 (10 MiB) */
  readonly uploadMaxBytes: number;
  /** UPLOADS_MAX_IN_PROGRESS / --uploads-max-in-progress: uploads received at once; one more gets 503 before its body is read. @default 64 */
  readonly uploadsMaxInProgress: number;
  /** UPLOAD_IDLE_TIMEOUT_MS / --upload-idle-timeout-ms: longest wait for the next piece of an upload's body (then 408, its partial file removed). @default 60000 */
  readonly uploadIdleTimeoutMs: number;
  /**
   * UPLOAD_STAGING_MAX_BYTES / --upload-staging-max-bytes: bytes of uploads on disk not yet
   * processed (being received or queued); past it, 503 with Retry-After. @default 1073741824 (1 GiB)
   */
  readonly uploadStagingMaxBytes: number;
  /** SHUTDOWN_TIMEOUT_MS / --shutdown-timeout-ms: HostOptions.shutdownTimeout. @default 30000 */
  readonly shutdownTimeoutMs: number;
  /**
   * HTTP_DRAIN_DELAY_MS / --http-drain-delay-ms: at stop, ms the server keeps serving with /readyz
   * at 503 before it refuses connections (Kubernetes: 10000, see the README); part of
   * SHUTDOWN_TIMEOUT_MS. @default 200
   */
  readonly httpDrainDelayMs: number;
  /** SERVICES / --services: comma-separated subset of cleanup,weather,files. @default all */
  readonly services: ReadonlySet<ServiceName>;
  /** LOG_FORMAT / --log-format: text, json, or auto (text on a terminal, JSON otherwise). @default 'text' */
  readonly logFormat: LogFormatSetting;
  /**
   * LOG_LEVEL / --log-level: the least severe console record written: trace, debug, info, warn,
   * error, critical or none (.NET's Information, Warning... are accepted). `debug` adds one line per
   * processed file. @default 'info'
   */
  readonly logLevel: MinimumLogLevel;
  /**
   * REDIS_URL / --redis-url: `redis://` or `rediss://` URL. Set = cluster mode (see `src/cluster`):
   * leases, the weather cache and the file work queue live in Redis, shared by every replica that
   * uses the same Redis and the same DATA_DIR. Unset = the single-process samples.
   */
  readonly redisUrl?: string;
  /** REPLICA_ID / --replica-id: this replica's name in logs and in the activity log. @default `<hostname>-<pid>` */
  readonly replicaId: string;
  /** LEASE_TTL_MS / --lease-ttl-ms: time-to-live of the cluster-singleton leases (cluster mode). @default 15000 */
  readonly leaseTtlMs: number;
  /** WORK_VISIBILITY_TIMEOUT_MS / --work-visibility-timeout-ms: a work-queue entry not acked within this is redelivered (cluster mode). @default 30000 */
  readonly workVisibilityTimeoutMs: number;
  /**
   * ORPHAN_SWEEP_INTERVAL_MS / --orphan-sweep-interval-ms: how often the cluster's leader enqueues
   * again the stored files older than twice WORK_VISIBILITY_TIMEOUT_MS that are still waiting (a
   * replica that died before enqueuing them left them with no entry) (cluster mode). @default 60000
   */
  readonly orphanSweepIntervalMs: number;
  /** WORK_CONCURRENCY / --work-concurrency: work-queue entries processed at once per replica (cluster mode). @default 4 */
  readonly workConcurrency: number;
}

/** How the console log is written: `auto` is text on a terminal, JSON lines otherwise. */
export type LogFormatSetting = 'auto' | 'text' | 'json';
