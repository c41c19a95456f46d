import { HostLogEvents } from '../hosting/host-log-events.ts';
import { describeValue } from '../internal/describe-value.ts';
import type { Logger } from '../logging/logger.ts';
import { nullLogger } from '../logging/null-logger.ts';
import type { TimeProvider, Timer } from '../time/time-provider.ts';
import type { HealthCheckResult } from './health-check.ts';
import {
  normalizeHealthCheckRegistration,
  type HealthCheckRegistration,
  type NormalizedHealthCheckRegistration,
} from './health-check-registration.ts';
import type { HealthReport, HealthReportEntry } from './health-report.ts';
import { isHealthStatus, worstHealthStatus } from './health-status.ts';

/** Options of {@link HealthCheckService}. */
export interface HealthCheckServiceOptions {
  /** The checks; names must be unique. */
  readonly registrations: readonly HealthCheckRegistration[];
  /** Measures durations and timeouts. */
  readonly timeProvider: TimeProvider;
  /**
   * Receives `HealthCheckFailed` and `HealthCheckTimedOut` for every check that does not report
   * healthy (warn when degraded, error when unhealthy).
   * @default nullLogger
   */
  readonly logger?: Logger;
  /**
   * The timeout of registrations that set none, in ms (a finite number >= 0). .NET has no default
   * timeout; hostkit has one because a check that never settles would otherwise hold every probe
   * open forever, piling up one pending request per probe.
   * @default 30_000
   */
  readonly defaultTimeout?: number;
}

/** Options of {@link HealthCheckService.checkHealth}. */
export interface CheckHealthOptions {
  /** Selects the checks to run; combined with {@link tags} (both must accept). @default all */
  readonly predicate?: (registration: NormalizedHealthCheckRegistration) => boolean;
  /**
   * Selects the checks that carry at least ONE of these tags (`[HealthCheckTags.ready]` for a
   * readiness endpoint). An empty array selects nothing.
   * @default all checks, tagged or not
   */
  readonly tags?: readonly string[];
  /**
   * The caller giving up (an HTTP request closed, a probe's own deadline). When it aborts,
   * `checkHealth` rejects at once with its reason and every running check's signal aborts with
   * the same reason.
   */
  readonly signal?: AbortSignal;
}

/**
 * Runs health checks and reports on them, like .NET's `HealthCheckService`.
 *
 * The host builds one when it is built, so registration errors (a duplicate name, a bad timeout)
 * surface then; endpoints call {@link checkHealth} for each probe.
 */
export class HealthCheckService {
  /** The validated registrations, in the order given. */
  readonly registrations: readonly NormalizedHealthCheckRegistration[];
  readonly #time: TimeProvider;
  readonly #logger: Logger;

  /**
   * Validates the registrations and keeps them in the order given.
   * @throws RangeError when two registrations share a name (every duplicate is named), or a
   * timeout or failure status is invalid.
   * @throws TypeError when a registration is malformed.
   */
  constructor(options: HealthCheckServiceOptions) {
    const { registrations, timeProvider, logger = nullLogger, defaultTimeout = 30_000 } = options;
    if (!Array.isArray(registrations)) {
      throw new TypeError(`Expected registrations to be an array, got ${describeValue(registrations)}`);
    }
    if (typeof timeProvider?.createTimer !== 'function') {
      throw new TypeError(`Expected timeProvider to be a TimeProvider, got ${describeValue(timeProvider)}`);
    }
    if (typeof defaultTimeout !== 'number' || !Number.isFinite(defaultTimeout) || defaultTimeout < 0) {
      throw new RangeError(`Expected defaultTimeout to be a finite number >= 0, got ${describeValue(defaultTimeout)}`);
    }
    const normalized = registrations.map((registration: HealthCheckRegistration) =>
      normalizeHealthCheckRegistration(registration, defaultTimeout),
    );
    const counts = new Map<string, number>();
    for (const { name } of normalized) counts.set(name, (counts.get(name) ?? 0) + 1);
    const duplicates = [...counts].filter(([, count]) => count > 1);
    if (duplicates.length > 0) {
      const list = duplicates.map(([name, count]) => `'${name}' (${count} times)`).join(', ');
      throw new RangeError(`Expected health check names to be unique, got duplicates: ${list}`);
    }
    this.registrations = Object.freeze(normalized);
    this.#time = timeProvider;
    this.#logger = logger;
  }

  /**
   * Runs the selected checks in parallel, each under its own timeout, and reports on all of them.
   *
   * Never rejects because of a check: a check that throws, rejects, returns something that is not
   * a result, or times out reports its `failureStatus`. Rejects only when `options.signal` aborts
   * (with its reason), before or during the run.
   */
  async checkHealth(options: CheckHealthOptions = {}): Promise<HealthReport> {
    const { predicate, tags, signal } = options;
    signal?.throwIfAborted();
    const selected = this.registrations.filter(
      (registration) =>
        (tags === undefined || registration.tags.some((tag) => tags.includes(tag))) &&
        (predicate === undefined || predicate(registration)),
    );
    const started = this.#time.timestamp();
    const runs = selected.map((registration) => new CheckRun(registration, this.#time));
    let onAbort: (() => void) | undefined;
    try {
      const finished = Promise.all(runs.map((run) => run.entry));
      const entries =
        signal === undefined
          ? await finished
          : await Promise.race([
              finished,
              new Promise<never>((_resolve, reject) => {
                onAbort = (): void => {
                  for (const run of runs) run.cancel(signal.reason);
                  reject(signal.reason);
                };
                signal.addEventListener('abort', onAbort, { once: true });
                // A check may have aborted the caller's signal while it was being started, above.
                if (signal.aborted) onAbort();
              }),
            ]);
      const report: HealthReport = {
        status: worstHealthStatus(entries.map((entry) => entry.status)),
        totalDuration: this.#time.elapsedSince(started),
        entries: Object.fromEntries(selected.map((registration, index) => [registration.name, entries[index]])) as Record<
          string,
          HealthReportEntry
        >,
      };
      for (const [index, run] of runs.entries()) this.#logOutcome(run, entries[index]);
      return report;
    } finally {
      if (onAbort !== undefined) signal?.removeEventListener('abort', onAbort);
    }
  }

  #logOutcome(run: CheckRun, entry: HealthReportEntry | undefined): void {
    if (entry === undefined || entry.status === 'healthy') return;
    const level = entry.status === 'degraded' ? 'warn' : 'error';
    const { name, timeout } = run.registration;
    if (!this.#logger.isEnabled(level)) return;
    if (run.timedOut) {
      this.#logger.log(level, `Health check '${name}' timed out after ${timeout} ms`, {
        event: HostLogEvents.HealthCheckTimedOut,
        check: name,
        timeout,
        status: entry.status,
      });
    } else {
      const reason = entry.description === undefined ? '' : `: ${entry.description}`;
      this.#logger.log(level, `Health check '${name}' reported ${entry.status}${reason}`, {
        event: HostLogEvents.HealthCheckFailed,
        check: name,
        status: entry.status,
        duration: entry.duration,
        error: entry.error,
      });
    }
  }
}

/**
 * One execution of one check: its timer, its signal and the entry it produces. The entry is
 * settled exactly once, by whichever comes first: the check's result, its deadline, or the
 * caller's cancellation.
 */
class CheckRun {
  readonly registration: NormalizedHealthCheckRegistration;
  readonly entry: Promise<HealthReportEntry>;
  timedOut = false;
  readonly #time: TimeProvider;
  readonly #controller = new AbortController();
  readonly #started: number;
  #timer: Timer | undefined;
  #settle: ((entry: HealthReportEntry) => void) | undefined;

  constructor(registration: NormalizedHealthCheckRegistration, time: TimeProvider) {
    this.registration = registration;
    this.#time = time;
    this.#started = time.timestamp();
    this.entry = new Promise<HealthReportEntry>((resolve) => {
      this.#settle = resolve;
    });
    this.#timer = time.createTimer(() => this.#onTimeout(), registration.timeout);
    let outcome: HealthCheckResult | Promise<HealthCheckResult>;
    try {
      outcome = registration.check(this.#controller.signal);
    } catch (error) {
      this.#finish(this.#failure(error));
      return;
    }
    // Both branches are handled here, so a check that rejects after its deadline (when nobody
    // awaits it any more) never becomes an unhandled rejection.
    void Promise.resolve(outcome).then(
      (result) => {
        let entry: HealthReportEntry;
        try {
          entry = this.#fromResult(result);
        } catch (error) {
          // A result whose getters throw: report the check as failed rather than lose the entry.
          entry = this.#failure(error);
        }
        this.#finish(entry);
      },
      (error: unknown) => this.#finish(this.#failure(error)),
    );
  }

  /** The caller gave up: abort the check with the caller's reason; its entry is no longer awaited. */
  cancel(reason: unknown): void {
    if (this.#finish(undefined)) this.#controller.abort(reason);
  }

  #onTimeout(): void {
    const { name, timeout, failureStatus, tags } = this.registration;
    const description = `Timed out after ${timeout} ms`;
    const error = new DOMException(`Health check '${name}' timed out after ${timeout} ms`, 'TimeoutError');
    if (this.#finish({ status: failureStatus, description, duration: this.#time.elapsedSince(this.#started), error, tags })) {
      this.timedOut = true;
      this.#controller.abort(error);
    }
  }

  /** Settles the entry (or only releases the timer, with `undefined`); false when already settled. */
  #finish(entry: HealthReportEntry | undefined): boolean {
    const settle = this.#settle;
    if (settle === undefined) return false;
    this.#settle = undefined;
    this.#timer?.dispose();
    this.#timer = undefined;
    if (entry !== undefined) settle(entry);
    return true;
  }

  #fromResult(result: HealthCheckResult): HealthReportEntry {
    if (typeof result !== 'object' || result === null || !isHealthStatus(result.status)) {
      const got = describeValue(typeof result === 'object' && result !== null ? result.status : result);
      return this.#failure(
        new TypeError(
          `Expected health check '${this.registration.name}' to return a HealthCheckResult with status 'healthy', ` +
            `'degraded' or 'unhealthy', got ${got}`,
        ),
      );
    }
    const { status, description, error, data } = result;
    return {
      status,
      ...(description !== undefined && { description: typeof description === 'string' ? description : describeValue(description) }),
      duration: this.#time.elapsedSince(this.#started),
      ...(error !== undefined && { error }),
      ...(data !== undefined && { data }),
      tags: this.registration.tags,
    };
  }

  #failure(error: unknown): HealthReportEntry {
    let description: string;
    try {
      description = error instanceof Error ? error.message : String(error);
    } catch {
      description = 'The check threw a value that cannot be described';
    }
    return {
      status: this.registration.failureStatus,
      description,
      duration: this.#time.elapsedSince(this.#started),
      error,
      tags: this.registration.tags,
    };
  }
}
