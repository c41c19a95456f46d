import type { HealthCheckResult } from '@hostkit/core';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Bytes the probe writes: room for a result document and an upload's first chunks. */
const PROBE_BYTES = 64 * 1024;

/**
 * Whether `error` (or an error it wraps) says the disk or the quota is full: ENOSPC, EDQUOT.
 * Those are not faults of the file being processed, so they are waited out, not retried and failed.
 */
export function isOutOfSpace(error: unknown): boolean {
  for (let current = error, depth = 0; current !== undefined && current !== null && depth < 5; depth++) {
    const code = (current as { code?: unknown }).code;
    if (code === 'ENOSPC' || code === 'EDQUOT') return true;
    if (current instanceof AggregateError && current.errors.some(isOutOfSpace)) return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}

/**
 * Whether DATA_DIR's disk has room, as the file-processing sample last saw it. Set full by the
 * upload route and the processor when a write fails with ENOSPC/EDQUOT; cleared by a successful
 * {@link probe} (a 64 KiB file written and removed) or a result written. Read by the `storage`
 * health check, GET /status and the upload route.
 */
export class StorageMonitor {
  readonly #dataDir: string;
  #full: { readonly since: number; readonly reason: string } | undefined;

  constructor(dataDir: string) {
    this.#dataDir = dataDir;
  }

  /** Since when (epoch ms) and why DATA_DIR is full; undefined while it has room. */
  get full(): { readonly since: number; readonly reason: string } | undefined {
    return this.#full;
  }

  /**
   * Records a write that failed for lack of space.
   * @returns true when this starts an episode (the caller logs it once).
   */
  reportFull(error: unknown, now: number): boolean {
    if (this.#full !== undefined) return false;
    this.#full = { since: now, reason: error instanceof Error ? error.message : String(error) };
    return true;
  }

  /**
   * Writes and removes a probe file in DATA_DIR, synchronously (64 KiB on a local disk: well under
   * a millisecond). Clears the full state when it works.
   * @returns whether there is room again.
   */
  probe(): boolean {
    const path = join(this.#dataDir, '.hostkit-space-probe');
    try {
      writeFileSync(path, new Uint8Array(PROBE_BYTES));
      this.#full = undefined;
      return true;
    } catch {
      return false;
    } finally {
      rmSync(path, { force: true });
    }
  }

  /** Forgets a full state: a write just succeeded. */
  reportWritten(): void {
    this.#full = undefined;
  }

  /** The `storage` health check: degraded while DATA_DIR is full (a restart would not free space). */
  health(): HealthCheckResult {
    // Probed here too, so that the report clears when space comes back while nothing else writes.
    if (this.#full !== undefined) this.probe();
    if (this.#full === undefined) return { status: 'healthy', description: 'DATA_DIR has room' };
    return {
      status: 'degraded',
      description:
        `DATA_DIR ${this.#dataDir} is full since ${new Date(this.#full.since).toISOString()} (${this.#full.reason}): uploads are answered 507, ` +
        'processing waits and resumes within a second of space coming back; nothing is lost. Free space on that disk',
    };
  }

  /** For GET /status. */
  snapshot(): Record<string, unknown> {
    return this.#full === undefined ? { full: false } : { full: true, since: new Date(this.#full.since).toISOString(), reason: this.#full.reason };
  }
}
