import { describeValue } from '../internal/describe-value.ts';

/** Where a recorded occurrence of a schedule is: claimed and running, or over. */
export type ScheduleRunState = 'started' | 'completed' | 'failed';

/** One occurrence of a schedule as a {@link ScheduleRunLog} records it. */
export interface ScheduleRunRecord {
  /** The occurrence, epoch ms: the identity of the run. */
  readonly occurrence: number;
  /** The fencing token of the lease it (last) started under; 0 outside a cluster. */
  readonly fencingToken: number;
  /** `started` while it runs, and forever if its runner died before it ended. */
  readonly state: ScheduleRunState;
}

/** What {@link ScheduleRunLog.begin} decided. */
export type ScheduleRunClaim =
  /** Recorded as started under this token: run it. */
  | 'started'
  /** It already completed: do not run it again. */
  | 'completed'
  /** A greater fencing token is recorded for this schedule: this runner's lease is stale; do not run. */
  | 'stale';

/**
 * The port a {@link ScheduledBackgroundService} records its occurrences in, so that across a
 * cluster (and across restarts) each occurrence runs once: the fenced resource of a scheduled
 * cluster singleton. Implement it on the store the replicas share (a database table, Redis);
 * {@link MemoryScheduleRunLog} is the in-process one, for tests and single processes.
 *
 * Every implementation decides {@link begin} atomically, in this order: a token lower than the
 * greatest recorded for `name` is `stale`; an occurrence already `completed` is `completed`;
 * otherwise the occurrence is recorded (again) as `started` under `fencingToken`.
 */
export interface ScheduleRunLog {
  /**
   * Called by the service before it runs `occurrence` of `name`, with the fencing token it holds.
   * @param signal Aborted when the service stops or loses its lease.
   */
  begin(name: string, occurrence: number, fencingToken: number, signal?: AbortSignal): Promise<ScheduleRunClaim>;
  /**
   * Called when the run of `occurrence` ended. Recorded only if the occurrence is still recorded
   * under `fencingToken` (a newer runner's record wins).
   */
  end(name: string, occurrence: number, fencingToken: number, state: 'completed' | 'failed', signal?: AbortSignal): Promise<void>;
  /** The record of the latest occurrence of `name`, or undefined when none ran. Called when a replica becomes leader. */
  latest(name: string, signal?: AbortSignal): Promise<ScheduleRunRecord | undefined>;
}

/**
 * {@link ScheduleRunLog} in memory: shared by the services of one process (or by the replicas a
 * test simulates), lost with it.
 */
export class MemoryScheduleRunLog implements ScheduleRunLog {
  readonly #schedules = new Map<string, { highestToken: number; runs: Map<number, ScheduleRunRecord> }>();

  /** Decides and records as {@link ScheduleRunLog.begin} says. */
  begin(name: string, occurrence: number, fencingToken: number): Promise<ScheduleRunClaim> {
    checkArguments(name, occurrence, fencingToken);
    let schedule = this.#schedules.get(name);
    if (schedule === undefined) {
      schedule = { highestToken: fencingToken, runs: new Map() };
      this.#schedules.set(name, schedule);
    }
    if (fencingToken < schedule.highestToken) return Promise.resolve('stale');
    schedule.highestToken = fencingToken;
    if (schedule.runs.get(occurrence)?.state === 'completed') return Promise.resolve('completed');
    schedule.runs.set(occurrence, { occurrence, fencingToken, state: 'started' });
    return Promise.resolve('started');
  }

  /** Records the end as {@link ScheduleRunLog.end} says. */
  end(name: string, occurrence: number, fencingToken: number, state: 'completed' | 'failed'): Promise<void> {
    checkArguments(name, occurrence, fencingToken);
    const runs = this.#schedules.get(name)?.runs;
    if (runs?.get(occurrence)?.fencingToken === fencingToken) runs.set(occurrence, { occurrence, fencingToken, state });
    return Promise.resolve();
  }

  /** The latest record of `name`. */
  latest(name: string): Promise<ScheduleRunRecord | undefined> {
    let latest: ScheduleRunRecord | undefined = undefined;
    for (const record of this.#schedules.get(name)?.runs.values() ?? []) {
      if (latest === undefined || record.occurrence > latest.occurrence) latest = record;
    }
    return Promise.resolve(latest);
  }

  /** Every record of `name`, oldest occurrence first: for tests and status pages. */
  list(name: string): ScheduleRunRecord[] {
    return [...(this.#schedules.get(name)?.runs.values() ?? [])].sort((a, b) => a.occurrence - b.occurrence);
  }
}

function checkArguments(name: unknown, occurrence: unknown, fencingToken: unknown): void {
  if (typeof name !== 'string' || name === '') throw new TypeError(`Expected name to be a non-empty string, got ${describeValue(name)}`);
  if (typeof occurrence !== 'number' || !Number.isFinite(occurrence)) {
    throw new RangeError(`Expected occurrence to be epoch ms (a finite number), got ${describeValue(occurrence)}`);
  }
  if (typeof fencingToken !== 'number' || !Number.isFinite(fencingToken)) {
    throw new RangeError(`Expected fencingToken to be a finite number, got ${describeValue(fencingToken)}`);
  }
}
