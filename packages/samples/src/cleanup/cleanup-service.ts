import {
  BackgroundService,
  CronTimer,
  PeriodicTimer,
  type CronSchedule,
  type HealthCheckResult,
  type Logger,
  type ServiceScopeFactory,
  type TimeProvider,
  type UnfinishedOccurrencePolicy,
} from '@hostkit/core';
import type { ActivityLog } from '../database/activity-log.ts';
import { sqliteErrorKind } from '../database/sqlite-errors.ts';
import { clusterSingletonServiceOptions, type ClusterRunOptions } from '../cluster/cluster-run-options.ts';
import { LogCleanupUnitOfWorkToken } from './log-cleanup-unit-of-work.ts';

const DAY_MS = 86_400_000;

/** Options of {@link CleanupService}. */
export interface CleanupServiceOptions {
  /** Ms between runs (CLEANUP_INTERVAL_MS), the first at start: used when there is no {@link schedule}. */
  readonly intervalMs: number;
  /**
   * When runs happen (CLEANUP_SCHEDULE in CLEANUP_TIME_ZONE): at each occurrence, none at start.
   * Wins over {@link intervalMs}. @default undefined: every `intervalMs` from start
   */
  readonly schedule?: CronSchedule | undefined;
  /** Rows older than this many days are deleted (LOG_RETENTION_DAYS). */
  readonly retentionDays: number;
  /** Rows deleted per transaction. @default 1000 */
  readonly batchSize?: number;
  /**
   * Ms between two batches, on the TimeProvider: lets other writers in, and is where a stop
   * interrupts a run. @default 5
   */
  readonly batchPauseMs?: number;
  /**
   * How long a run keeps trying again while another connection holds app.db's write lock (each
   * try fails at once; the pauses between them grow from `batchPauseMs` to 1 s), before it gives up
   * until the next tick. @default 60000
   */
  readonly busyRetryMs?: number;
  /**
   * Schedule and cluster mode: what a new leader does with the latest occurrence when its leader
   * died mid-run (started in `cluster_runs`, never ended): `run` it again under the new fencing
   * token before waiting for the next one, or `skip` it; as core's `ScheduledBackgroundService`.
   * @default 'run'
   */
  readonly unfinished?: UnfinishedOccurrencePolicy | undefined;
  /** Cluster mode: run as a cluster singleton, once per interval across every replica. @default single process */
  readonly cluster?: CleanupClusterOptions | undefined;
}

/** How the cleanup runs in cluster mode (see {@link CleanupService}). */
export type CleanupClusterOptions = ClusterRunOptions;

/** The lease name of the cleanup, and its `kind` in `cluster_runs`. */
export const CLEANUP_SINGLETON = 'samples:cleanup';
const CLEANUP_RUN_KIND = 'cleanup';

/** What one run did. */
export interface CleanupRun {
  /** Wall-clock start, epoch ms. */
  readonly startedAt: number;
  /** Rows older than this (epoch ms) were deleted. */
  readonly cutoff: number;
  readonly deleted: number;
  /** Transactions committed. */
  readonly batches: number;
  readonly durationMs: number;
  /** The host stopped the run between two batches; the rest is left for the next start. */
  readonly interrupted: boolean;
}

/**
 * Deletes the `logs` rows older than the retention: at each occurrence of a cron schedule
 * (CLEANUP_SCHEDULE, on a CronTimer), or, in interval mode (CLEANUP_INTERVAL_MS), once at start
 * and then on every tick of a PeriodicTimer. The port of the seed's `TCleanupService`, without its bugs:
 *
 * - the seed slept an hour with `Sleep(60 * 60 * 1000)`, deaf to cancellation, so a stop waited up
 *   to an hour; here the wait is `timer.waitForNextTick(stopping)`, which a stop ends at once;
 * - the seed's `StopAsync` set a flag and returned without waiting for the loop; here
 *   `BackgroundService.stop` aborts `stopping` and waits for `execute` to return;
 * - the seed's `Sleep` after the work made the period drift by the run time; the PeriodicTimer is
 *   fixed-rate.
 *
 * Each run is one DI scope: the scoped {@link LogCleanupUnitOfWork} opens its own connection and
 * the scope's end closes it. Rows go in batches of `batchSize`, each in its own transaction; a
 * stop is honoured between two batches (never inside one), and the rows left go next time.
 * A failed run is logged, reported as degraded health, and retried at the next tick.
 */
export class CleanupService extends BackgroundService {
  readonly #scopes: ServiceScopeFactory;
  readonly #time: TimeProvider;
  readonly #logger: Logger;
  readonly #activity: ActivityLog;
  readonly #intervalMs: number;
  readonly #schedule: CronSchedule | undefined;
  readonly #unfinished: UnfinishedOccurrencePolicy;
  /** The schedule's timer while this replica runs it: for the next run in /status. */
  #cronTimer: CronTimer | undefined = undefined;
  readonly #retentionMs: number;
  readonly #batchSize: number;
  readonly #batchPauseMs: number;
  readonly #busyRetryMs: number;
  #runs = 0;
  #totalDeleted = 0;
  #running = false;
  #lastRun: CleanupRun | undefined = undefined;
  #lastError: { readonly at: number; readonly message: string } | undefined = undefined;

  readonly #cluster: CleanupClusterOptions | undefined;

  constructor(scopes: ServiceScopeFactory, time: TimeProvider, logger: Logger, activity: ActivityLog, options: CleanupServiceOptions) {
    const cluster = options.cluster;
    super(clusterSingletonServiceOptions(cluster, CLEANUP_SINGLETON, time, logger));
    this.#cluster = cluster;
    this.#scopes = scopes;
    this.#time = time;
    this.#logger = logger;
    this.#activity = activity;
    this.#intervalMs = options.intervalMs;
    this.#schedule = options.schedule;
    const unfinished: unknown = options.unfinished ?? 'run';
    if (unfinished !== 'run' && unfinished !== 'skip') {
      throw new RangeError(`Expected unfinished to be 'run' or 'skip', got ${typeof unfinished === 'string' ? `"${unfinished}"` : String(unfinished)}`);
    }
    this.#unfinished = unfinished;
    this.#retentionMs = options.retentionDays * DAY_MS;
    this.#batchSize = options.batchSize ?? 1_000;
    this.#batchPauseMs = options.batchPauseMs ?? 5;
    this.#busyRetryMs = options.busyRetryMs ?? 60_000;
  }

  protected override async execute(stopping: AbortSignal): Promise<void> {
    if (this.#schedule !== undefined) return this.#executeOnSchedule(stopping, this.#schedule, this.#cluster);
    if (this.#cluster !== undefined) return this.#executeAsLeader(stopping, this.#cluster);
    // Created before the first run, so that runs stay on a fixed rate from start.
    using timer = new PeriodicTimer(this.#intervalMs, { timeProvider: this.#time, name: 'cleanup' });
    this.#logger.info(
      `Cleanup: deleting logs rows older than ${this.#retentionMs / DAY_MS} days now, then every ${formatMs(this.#intervalMs)}`,
    );
    await this.#runOnce(stopping);
    // A stop rejects the wait with the stop's reason at once: a clean stop for BackgroundService.
    try {
      while (!stopping.aborted && (await timer.waitForNextTick(stopping))) {
        await this.#runOnce(stopping);
      }
    } finally {
      this.#logger.info(`Cleanup: stopped after ${this.#runs} run${this.#runs === 1 ? '' : 's'}`);
    }
  }

  /**
   * Schedule mode (CLEANUP_SCHEDULE): one run per occurrence, none at start. A run that overruns
   * the next occurrence makes it wait (one run, right after), never overlap. In cluster mode it
   * runs only on the leader, and each occurrence is claimed in `cluster_runs` with its occurrence
   * time as `started_at` and the leader's fencing token: a claim is refused when that occurrence
   * (or a later one) was already started, or when the token is stale, so each occurrence runs
   * once across the cluster, whatever the leader changes. A new leader catches up once on an
   * occurrence missed while no replica led, and (`unfinished: 'run'`, the default) first runs
   * again the latest occurrence if its leader died mid-run: its row, still without an end, is
   * taken over under the new fencing token (still one row per occurrence), as core's
   * `ScheduledBackgroundService` does with its run log.
   */
  async #executeOnSchedule(stopping: AbortSignal, schedule: CronSchedule, cluster: CleanupClusterOptions | undefined): Promise<void> {
    const token = this.clusterLease?.fencingToken ?? 0;
    const lastOccurrence = cluster?.runs.lastStartedAt(CLEANUP_RUN_KIND);
    using timer = new CronTimer(schedule, { timeProvider: this.#time, overlap: 'wait', catchUp: 'run-once', lastOccurrence, name: 'cleanup' });
    this.#cronTimer = timer;
    this.#logger.info(
      `Cleanup: deleting logs rows older than ${this.#retentionMs / DAY_MS} days on the schedule ${schedule.toString()}; next run ${new Date(timer.nextOccurrence ?? Number.NaN).toISOString()}` +
        (cluster === undefined ? '' : ` (${cluster.replicaId} leads, fencing token ${token})`),
    );
    try {
      if (cluster !== undefined && this.#unfinished === 'run' && !(await this.#rerunUnfinished(stopping, cluster, token))) return;
      for (;;) {
        const occurrence = await timer.waitForNextOccurrence(stopping);
        if (occurrence === undefined) return;
        if (cluster === undefined) {
          await this.#runOnce(stopping);
          continue;
        }
        let claim: ReturnType<ClusterRunOptions['runs']['begin']>;
        try {
          claim = cluster.runs.begin(CLEANUP_RUN_KIND, cluster.replicaId, token, occurrence, 1);
        } catch (error) {
          this.#logger.warn(`Cleanup: the run of ${new Date(occurrence).toISOString()} could not be claimed; skipping it`, { error });
          continue;
        }
        if (!claim.ok) {
          if (claim.reason === 'too-soon') continue; // Another leader already ran this occurrence.
          this.#logger.error(
            `Cleanup: the run record refused fencing token ${token} (a run under token ${claim.highestToken} was recorded); ` +
              `releasing the lease "${CLEANUP_SINGLETON}" and campaigning again`,
            { fencingToken: token, highestToken: claim.highestToken, replica: cluster.replicaId },
          );
          await this.clusterLease?.release();
          return;
        }
        const outcome = await this.#runOnce(stopping);
        try {
          cluster.runs.end(claim.id, this.#time.now(), outcome);
        } catch (error) {
          this.#logger.warn('Cleanup: the end of the run could not be recorded', { error });
        }
      }
    } finally {
      this.#cronTimer = undefined;
      this.#logger.info(`Cleanup: stopped after ${this.#runs} run${this.#runs === 1 ? '' : 's'}`);
    }
  }

  /**
   * Runs again the latest occurrence when a previous leader started it and never ended it (it
   * died or lost its lease mid-run). Resolves false when the record refused this replica's
   * fencing token: the lease is released, and the caller returns.
   */
  async #rerunUnfinished(stopping: AbortSignal, cluster: CleanupClusterOptions, token: number): Promise<boolean> {
    let resumed: ReturnType<ClusterRunOptions['runs']['resume']>;
    let latest: ReturnType<ClusterRunOptions['runs']['latest']>;
    try {
      latest = cluster.runs.latest(CLEANUP_RUN_KIND);
      // A run under this token is this leader's own; one that ended needs nothing.
      if (latest === undefined || latest.endedAt !== null || latest.fencingToken >= token) return true;
      resumed = cluster.runs.resume(CLEANUP_RUN_KIND, latest.id, cluster.replicaId, token);
    } catch (error) {
      this.#logger.warn('Cleanup: the unfinished run could not be read or taken over; leaving it to the next occurrence', { error });
      return true;
    }
    if (resumed === 'ended') return true;
    if (resumed === 'stale-token') {
      this.#logger.error(
        `Cleanup: the run record refused fencing token ${token} (a greater one was recorded); releasing the lease "${CLEANUP_SINGLETON}" and campaigning again`,
        { fencingToken: token, replica: cluster.replicaId },
      );
      await this.clusterLease?.release();
      return false;
    }
    this.#logger.warn(
      `Cleanup: the run of ${new Date(latest.startedAt).toISOString()} started on ${latest.replica} (fencing token ${latest.fencingToken}) never ended; running it again`,
      { occurrence: latest.startedAt, previousReplica: latest.replica, previousToken: latest.fencingToken, fencingToken: token },
    );
    const outcome = await this.#runOnce(stopping);
    try {
      cluster.runs.end(latest.id, this.#time.now(), outcome);
    } catch (error) {
      this.#logger.warn('Cleanup: the end of the run could not be recorded', { error });
    }
    return true;
  }

  /**
   * Cluster mode: runs only while this replica holds the `samples:cleanup` lease (the
   * BackgroundService's cluster singleton calls `execute` once the lease is taken, and aborts
   * `stopping` when it is lost or the host stops). The schedule is NOT counted from this leader's
   * start, which would run a cleanup at every change of leader: it is the last start RECORDED in
   * the shared `cluster_runs` table plus the interval, whoever ran it. Each run is claimed there
   * first, in one transaction that refuses it when it is not due yet or when a run under a
   * greater fencing token was recorded (this replica's lease is stale): once per interval across
   * the cluster, whatever the leader changes. A refusal for a stale token is logged at error and
   * releases the lease (the service then campaigns again, for a newer token), so a replica the
   * record refuses never keeps the others from leading.
   */
  async #executeAsLeader(stopping: AbortSignal, cluster: CleanupClusterOptions): Promise<void> {
    const token = this.clusterLease?.fencingToken ?? 0;
    this.#logger.info(
      `Cleanup: ${cluster.replicaId} leads the cleanup (fencing token ${token}); one run per ${formatMs(this.#intervalMs)} across the cluster`,
    );
    try {
      for (;;) {
        stopping.throwIfAborted();
        let claim: ReturnType<ClusterRunOptions['runs']['begin']>;
        try {
          const last = cluster.runs.lastStartedAt(CLEANUP_RUN_KIND);
          const wait = last === undefined ? 0 : last + this.#intervalMs - this.#time.now();
          if (wait > 0) {
            await this.#time.delay(wait, stopping);
            continue;
          }
          claim = cluster.runs.begin(CLEANUP_RUN_KIND, cluster.replicaId, token, this.#time.now(), this.#intervalMs);
        } catch (error) {
          if (stopping.aborted) throw error;
          this.#logger.warn('Cleanup: the run record could not be read or claimed; trying again shortly', { error });
          await this.#time.delay(Math.min(this.#intervalMs, 1_000), stopping);
          continue;
        }
        if (!claim.ok) {
          if (claim.reason === 'stale-token') {
            // Holding on would keep the lease from any replica whose token the record accepts, and
            // the cleanup would never run again: give it up, and campaign again for a newer token.
            this.#logger.error(
              `Cleanup: the run record refused fencing token ${token} (a run under token ${claim.highestToken} was recorded); ` +
                `releasing the lease "${CLEANUP_SINGLETON}" and campaigning again`,
              { fencingToken: token, highestToken: claim.highestToken, replica: cluster.replicaId },
            );
            await this.clusterLease?.release();
            return;
          }
          continue;
        }
        const outcome = await this.#runOnce(stopping);
        try {
          cluster.runs.end(claim.id, this.#time.now(), outcome);
        } catch (error) {
          this.#logger.warn('Cleanup: the end of the run could not be recorded', { error });
        }
      }
    } finally {
      this.#logger.info(`Cleanup: ${cluster.replicaId} no longer leads the cleanup after ${this.#runs} run${this.#runs === 1 ? '' : 's'}`);
    }
  }

  /** Counters for GET /status. */
  snapshot(): Record<string, unknown> {
    return {
      state: this.status,
      ...(this.#cluster !== undefined && { leader: this.clusterLease !== undefined, replica: this.#cluster.replicaId }),
      running: this.#running,
      ...(this.#schedule === undefined
        ? { intervalMs: this.#intervalMs }
        : {
            schedule: this.#schedule.expression,
            timeZone: this.#schedule.timeZone,
            nextRun: this.#cronTimer?.nextOccurrence === undefined ? null : new Date(this.#cronTimer.nextOccurrence).toISOString(),
          }),
      retentionDays: this.#retentionMs / DAY_MS,
      runs: this.#runs,
      processed: this.#totalDeleted,
      deletedTotal: this.#totalDeleted,
      failed: this.#lastError === undefined ? 0 : 1,
      lastRun:
        this.#lastRun === undefined
          ? null
          : {
              ...this.#lastRun,
              startedAt: new Date(this.#lastRun.startedAt).toISOString(),
              cutoff: new Date(this.#lastRun.cutoff).toISOString(),
              durationMs: Math.round(this.#lastRun.durationMs),
            },
      lastError: this.#lastError === undefined ? null : { ...this.#lastError, at: new Date(this.#lastError.at).toISOString() },
    };
  }

  /** The `cleanup` health check: degraded while the last run failed. */
  health(): HealthCheckResult {
    if (this.#lastError !== undefined) {
      return { status: 'degraded', description: `The last cleanup failed: ${this.#lastError.message}` };
    }
    return {
      status: 'healthy',
      description: this.#lastRun === undefined ? 'No cleanup has run yet' : `The last cleanup deleted ${this.#lastRun.deleted} rows`,
    };
  }

  /** One run; resolves with its outcome (`ok`, `interrupted`, `failed: ...`), never rejects. */
  async #runOnce(stopping: AbortSignal): Promise<string> {
    const startedAt = this.#time.now();
    const started = this.#time.timestamp();
    const cutoff = startedAt - this.#retentionMs;
    let deleted = 0;
    let batches = 0;
    let interrupted = false;
    this.#running = true;
    try {
      await using scope = this.#scopes.createScope();
      const unit = scope.get(LogCleanupUnitOfWorkToken);
      let busySince: number | undefined;
      let busyPause = this.#batchPauseMs;
      for (;;) {
        let count: number;
        try {
          count = unit.deleteBatch(cutoff, this.#batchSize);
          busySince = undefined;
          busyPause = this.#batchPauseMs;
        } catch (error) {
          // Another process holds the write lock: wait on the event loop (it keeps serving), not in SQLite.
          if (sqliteErrorKind(error) !== 'busy') throw error;
          busySince ??= this.#time.timestamp();
          if (this.#time.elapsedSince(busySince) >= this.#busyRetryMs) throw error;
          try {
            await this.#time.delay(busyPause, stopping);
          } catch (stopError) {
            if (!stopping.aborted) throw stopError;
            interrupted = true;
            break;
          }
          busyPause = Math.min(busyPause * 2 || 1, 1_000);
          continue;
        }
        batches++;
        deleted += count;
        this.#totalDeleted += count;
        if (count < this.#batchSize) break;
        try {
          await this.#time.delay(this.#batchPauseMs, stopping);
        } catch (error) {
          if (!stopping.aborted) throw error;
          interrupted = true;
          break;
        }
      }
      this.#lastRun = { startedAt, cutoff, deleted, batches, durationMs: this.#time.elapsedSince(started), interrupted };
      this.#lastError = undefined;
      const what = `deleted ${deleted} logs rows older than ${new Date(cutoff).toISOString()} in ${batches} batch${batches === 1 ? '' : 'es'}`;
      if (interrupted) {
        this.#logger.info(`Cleanup: stopped between batches after it ${what}; the rest goes next run`, { deleted, batches });
      } else {
        this.#logger.info(`Cleanup: ${what}`, { deleted, batches, durationMs: Math.round(this.#lastRun.durationMs) });
      }
      this.#activity.write('cleanup', this.#cluster === undefined ? what : `${what} (replica ${this.#cluster.replicaId})`);
      return interrupted ? 'interrupted' : 'ok';
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      this.#lastError = { at: this.#time.now(), message };
      this.#logger.error(`Cleanup failed after deleting ${deleted} rows; retrying at the next tick`, { error });
      this.#activity.write('cleanup', `failed: ${message}`);
      return `failed: ${message}`;
    } finally {
      this.#runs++;
      this.#running = false;
    }
  }
}

/** `3600000` → `1 h`, `90000` → `90 s`, `250` → `250 ms`: for log lines people read. */
export function formatMs(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000} h`;
  if (ms % 60_000 === 0) return `${ms / 60_000} min`;
  if (ms % 1_000 === 0) return `${ms / 1_000} s`;
  return `${ms} ms`;
}
