import { safeJsonStringify } from '../logging/safe-json.ts';
import { serializeError } from '../logging/serialize-error.ts';
import type { HealthStatus } from './health-status.ts';

/** One check's outcome in a {@link HealthReport}. */
export interface HealthReportEntry {
  /** The check's status, or its failure status when it threw or timed out. */
  readonly status: HealthStatus;
  /** The check's description, or what went wrong when it threw or timed out. */
  readonly description?: string;
  /** Milliseconds from the check's start to its result (or to its deadline when it timed out). */
  readonly duration: number;
  /** What the check threw, what it returned as `error`, or the `TimeoutError` its signal was aborted with. */
  readonly error?: unknown;
  /** The check's extra values, as it returned them. */
  readonly data?: Readonly<Record<string, unknown>>;
  /** The registration's tags. */
  readonly tags: readonly string[];
}

/**
 * The outcome of one `HealthCheckService.checkHealth` call. Plain data; `error` values are kept as
 * they are (use {@link formatHealthReportJson} for a response body).
 */
export interface HealthReport {
  /** The worst status among the entries; `healthy` when no check was selected. */
  readonly status: HealthStatus;
  /** Milliseconds from the start of the call until the last entry was known. */
  readonly totalDuration: number;
  /** One entry per selected check, keyed by registration name. */
  readonly entries: Readonly<Record<string, HealthReportEntry>>;
}

/** Options of {@link formatHealthReportJson}. */
export interface HealthReportJsonOptions {
  /**
   * `false` writes only the overall status and each entry's status: for endpoints reachable by
   * anyone, where descriptions, error messages and data could reveal internals.
   * @default true
   */
  readonly includeDetails?: boolean;
}

/**
 * The report as a JSON response body, errors written as their messages:
 *
 * ```json
 * {"status":"unhealthy","totalDuration":12.5,"entries":{"db":{"status":"unhealthy",
 *  "description":"Timed out after 1000 ms","duration":1000,"error":"…","tags":["ready"]}}}
 * ```
 *
 * Never throws: circular or BigInt data is written safely.
 */
export function formatHealthReportJson(report: HealthReport, options: HealthReportJsonOptions = {}): string {
  const includeDetails = options.includeDetails ?? true;
  const entries: Record<string, unknown> = {};
  for (const [name, entry] of Object.entries(report.entries)) {
    const body = includeDetails
      ? {
          status: entry.status,
          ...(entry.description !== undefined && { description: entry.description }),
          duration: entry.duration,
          ...(entry.error !== undefined && { error: serializeError(entry.error).message }),
          ...(entry.data !== undefined && { data: entry.data }),
          tags: entry.tags,
        }
      : { status: entry.status };
    Object.defineProperty(entries, name, { value: body, enumerable: true, writable: true, configurable: true });
  }
  const body = includeDetails
    ? { status: report.status, totalDuration: report.totalDuration, entries }
    : { status: report.status, entries };
  return safeJsonStringify(body) ?? '{}';
}
