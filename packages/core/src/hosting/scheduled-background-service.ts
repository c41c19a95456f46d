import { isCancellation } from '../cancellation/is-cancellation.ts';
import { describeValue } from '../internal/describe-value.ts';
import { CronSchedule } from '../time/cron-schedule.ts';
import { CronTimer, type CronCatchUpPolicy, type CronTimerOptions } from '../time/cron-timer.ts';
import { BackgroundService, serviceExecuteSpan, serviceLogger, serviceName, serviceTimeProvider, type BackgroundServiceOptions } from './background-service.ts';
import { traceOccurrence } from '../telemetry/service-telemetry.ts';
import type { ScheduleRunLog } from './schedule-run-log.ts';

/**
 * What a {@link ScheduledBackgroundService} does when an occurrence comes while the previous run
 * is still running:
 * - `skip`: drop it; the next run is the next occurrence to come.
 * - `wait`: run it as soon as the previous run ends (several that came meanwhile are one run, for
 *   the latest): runs never overlap and a slow run loses no occurrence.
 * - `allow`: start it at once, alongside.
 */
export type ScheduledOverlapPolicy = 'skip' | 'wait' | 'allow';

/**
 * What a new leader does with the latest occurrence in the run log when it is still `started`:
 * the previous leader died (or lost its lease) before it finished.
 * - `run`: run it again, under the new leader's fencing token, before waiting for the next one.
 * - `skip`: leave it unfinished.
 */
export type UnfinishedOccurrencePolicy = 'run' | 'skip';

/** Options of {@link ScheduledBackgroundService}, passed with `super(options)`. */
export interface ScheduledBackgroundServiceOptions extends BackgroundServiceOptions {
  /** A cron expression (5 or 6 fields, read in {@link timeZone}), or a `CronSchedule`. */
  schedule: string | CronSchedule;
  /** The IANA time zone of a string `schedule`. @default 'UTC' */
  timeZone?: string | undefined;
  /** See {@link ScheduledOverlapPolicy}. @default 'skip' */
  overlap?: ScheduledOverlapPolicy | undefined;
  /**
   * What to do with occurrences that passed while no replica ran the service (downtime, a
   * failover gap, a sleep): one catch-up run for the latest, or none. Downtime is only known
   * through {@link runLog}. See `CronCatchUpPolicy`.
   * @default 'run-once'
   */
  catchUp?: CronCatchUpPolicy | undefined;
  /** How late an occurrence may start and still count as on time, in ms. @default 60000 */
  graceMs?: number | undefined;
  /**
   * Where each occurrence is claimed and recorded with the fencing token it ran under: with
   * `clusterSingleton`, what makes each occurrence run once across the cluster and across
   * failovers; without it, what makes a restarted process catch up.
   * @default undefined: nothing is recorded, and a new leader knows nothing of the old one's runs.
   */
  runLog?: ScheduleRunLog | undefined;
  /** The schedule's name in {@link runLog}. @default clusterSingleton.name; required with runLog otherwise. */
  runLogName?: string | undefined;
  /** See {@link UnfinishedOccurrencePolicy}. @default 'run' */
  unfinished?: UnfinishedOccurrencePolicy | undefined;
}

/** The occurrence a {@link ScheduledBackgroundService.runOccurrence} call is for. */
export interface ScheduledOccurrence {
  /** The occurrence, epoch ms: the run's identity. */
  readonly time: number;
  /** The fencing token of the cluster lease it runs under; undefined outside a cluster. Pass it to resources that check it. */
  readonly fencingToken: number | undefined;
  /** True when this re-runs an occurrence a previous leader started and never finished. */
  readonly rerun: boolean;
}

/**
 * A {@link BackgroundService} that runs {@link runOccurrence} at each occurrence of a cron
 * schedule, on the host's TimeProvider.
 *
 * ```ts
 * class Report extends ScheduledBackgroundService {
 *   constructor(lock: DistributedLock, runLog: ScheduleRunLog) {
 *     super({ schedule: '0 6 * * MON-FRI', timeZone: 'Europe/Berlin', runLog,
 *             clusterSingleton: { lock, name: 'daily-report' } });
 *   }
 *   protected override async runOccurrence(occurrence: ScheduledOccurrence, signal: AbortSignal) {
 *     await sendReport(new Date(occurrence.time), occurrence.fencingToken, signal);
 *   }
 * }
 * ```
 *
 * - Overlap and catch-up follow {@link ScheduledBackgroundServiceOptions.overlap} (default
 *   `skip`) and `catchUp` (default `run-once`). DST as `CronSchedule` documents (an hourly job
 *   also runs in the second pass of a fall-back's repeated hour).
 * - A run that rejects is logged at error and recorded `failed`; the schedule goes on. A run that
 *   rejects because the service is stopping ends the service.
 * - With `clusterSingleton`, only the leader runs occurrences. With a `runLog` as well, each
 *   occurrence is claimed there under the leader's fencing token before it runs: an occurrence
 *   already completed is never run again (a new leader does not repeat the old one's work), a
 *   stale token is refused (the replica steps down), and a new leader reruns the latest
 *   occurrence if it is still `started` (its runner died), by {@link UnfinishedOccurrencePolicy}.
 */
export abstract class ScheduledBackgroundService extends BackgroundService {
  readonly #schedule: CronSchedule;
  readonly #overlap: ScheduledOverlapPolicy;
  readonly #catchUp: CronCatchUpPolicy;
  readonly #graceMs: number;
  readonly #runLog: ScheduleRunLog | undefined;
  readonly #runLogName: string;
  readonly #unfinished: UnfinishedOccurrencePolicy;
  #timer: CronTimer | undefined = undefined;

  /**
   * Checks the schedule and the options at once, so a bad expression fails at construction.
   * @throws RangeError or TypeError naming the bad value (see `CronSchedule`, `CronTimer` and
   *   `BackgroundService`).
   */
  constructor(options: ScheduledBackgroundServiceOptions) {
    super(options);
    this.#overlap = checkChoice('overlap', options.overlap ?? 'skip', ['skip', 'wait', 'allow']);
    this.#unfinished = checkChoice('unfinished', options.unfinished ?? 'run', ['run', 'skip']);
    // Checked now, not at start: a bad expression, zone or policy fails where the service is built.
    this.#schedule = options.schedule instanceof CronSchedule ? options.schedule : new CronSchedule(options.schedule, { timeZone: options.timeZone });
    this.#catchUp = checkChoice('catchUp', options.catchUp ?? 'run-once', ['run-once', 'skip']);
    const graceMs = options.graceMs ?? 60_000;
    if (typeof graceMs !== 'number' || !(graceMs >= 0) || graceMs === Infinity) {
      throw new RangeError(`Expected graceMs to be a finite number >= 0, got ${describeValue(graceMs)}`);
    }
    this.#graceMs = graceMs;
    this.#runLog = options.runLog;
    const name = options.runLogName ?? options.clusterSingleton?.name;
    if (this.#runLog !== undefined && (typeof name !== 'string' || name === '')) {
      throw new TypeError(`Expected runLogName (or clusterSingleton.name) to be a non-empty string with runLog, got ${describeValue(name)}`);
    }
    this.#runLogName = name ?? '';
  }

  /**
   * The next occurrence this replica would run (epoch ms); undefined while it does not run the
   * schedule (not started, stopped, or a follower campaigning for the lease). For status pages.
   */
  get nextOccurrence(): number | undefined {
    return this.#timer?.nextOccurrence;
  }

  /**
   * Runs one occurrence. Called at each occurrence (see the class documentation for which).
   * @param signal Aborted when the host stops the service or the cluster lease is lost: stop
   *   promptly, and the occurrence stays unfinished in the run log.
   */
  protected abstract runOccurrence(occurrence: ScheduledOccurrence, signal: AbortSignal): Promise<void>;

  /** Runs the schedule until `stopping` aborts. Not for subclasses to override. */
  protected override async execute(stopping: AbortSignal): Promise<void> {
    let lastOccurrence: number | undefined = undefined;
    const log = this.#runLog;
    if (log !== undefined) {
      const latest = await log.latest(this.#runLogName, stopping);
      lastOccurrence = latest?.occurrence;
      if (latest?.state === 'started' && this.#unfinished === 'run') {
        await this.#runOne(latest.occurrence, true, stopping);
      }
    }
    const timer = new CronTimer(this.#schedule, this.#timerOptions(lastOccurrence));
    this.#timer = timer;
    const running = new Set<Promise<void>>();
    try {
      for (;;) {
        const occurrence = await timer.waitForNextOccurrence(stopping);
        if (occurrence === undefined) return;
        if (this.#overlap !== 'allow') {
          await this.#runOne(occurrence, false, stopping);
          continue;
        }
        const run = this.#runOne(occurrence, false, stopping).catch(() => {
          // A run that failed on the way out (stopping): the loop's own wait reports the stop.
        });
        running.add(run);
        // Removes the settled run; the derived promise cannot reject (the catch above).
        void run.then(() => running.delete(run));
      }
    } finally {
      timer.dispose();
      this.#timer = undefined;
      await Promise.all(running);
    }
  }

  async #runOne(time: number, rerun: boolean, signal: AbortSignal): Promise<void> {
    const logger = serviceLogger(this);
    const fencingToken = this.clusterLease?.fencingToken;
    const log = this.#runLog;
    const name = this.#runLogName;
    if (log !== undefined) {
      const claim = await log.begin(name, time, fencingToken ?? 0, signal);
      if (claim === 'completed') {
        logger.debug(`Occurrence ${new Date(time).toISOString()} of "${name}" already completed; not running it again`, { occurrence: time });
        return;
      }
      if (claim === 'stale') {
        logger.warn(`Occurrence ${new Date(time).toISOString()} of "${name}" refused: fencing token ${fencingToken} is stale; stepping down`, {
          occurrence: time,
          fencingToken,
        });
        // Aborts this execute's signal with a LeaseReleasedError: the base class campaigns again.
        await this.clusterLease?.release();
        return;
      }
    }
    try {
      const occurrence = { time, fencingToken, rerun };
      await traceOccurrence(serviceName(this), serviceExecuteSpan(this), occurrence, () => this.runOccurrence(occurrence, signal));
    } catch (error) {
      // oxlint-disable-next-line typescript/only-throw-error -- the cancellation is rethrown as is: the service is stopping or lost its lease.
      if (signal.aborted && isCancellation(error, signal)) throw error;
      logger.error(`Occurrence ${new Date(time).toISOString()} of ${this.#describe()} failed; the schedule goes on`, {
        error,
        occurrence: time,
        fencingToken,
      });
      await log?.end(name, time, fencingToken ?? 0, 'failed', signal);
      return;
    }
    await log?.end(name, time, fencingToken ?? 0, 'completed', signal);
  }

  #timerOptions(lastOccurrence: number | undefined): CronTimerOptions {
    return {
      timeProvider: serviceTimeProvider(this),
      overlap: this.#overlap === 'skip' ? 'skip' : 'wait',
      catchUp: this.#catchUp,
      graceMs: this.#graceMs,
      lastOccurrence,
    };
  }

  #describe(): string {
    return this.#runLogName === '' ? `schedule ${String(this.#schedule)}` : `"${this.#runLogName}"`;
  }
}

function checkChoice<T extends string>(name: string, value: unknown, choices: readonly T[]): T {
  if (typeof value === 'string' && (choices as readonly string[]).includes(value)) return value as T;
  throw new RangeError(`Expected ${name} to be one of ${choices.map((c) => `'${c}'`).join(', ')}, got ${describeValue(value)}`);
}
