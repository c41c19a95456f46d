import type { Stats } from 'node:fs';
import { lstat, stat } from 'node:fs/promises';

/** Options for {@link SettleTracker}. @internal */
export interface SettleTrackerOptions {
  /** How long a file must stay unchanged to count as complete, in ms. */
  stabilityThreshold: number;
  /** How often a settling file is checked, in ms. */
  pollInterval: number;
  /** Follow symbolic links to files; otherwise a link is never a regular file. */
  followSymlinks: boolean;
  /** A file became complete. */
  onSettled(path: string): void;
  /** Checking a file failed for another reason than the file being gone. */
  onError(error: unknown): void;
}

/**
 * Decides when a file is complete: when its size, modification time, change time and inode have
 * stayed the same for `stabilityThreshold` ms. The equivalent of chokidar's `awaitWriteFinish`,
 * done here because chokidar's:
 * - does not hold files found by the initial scan (a file being written while the process starts
 *   would be reported at once, half written);
 * - compares sizes only, so it misses a rename (the change time moves, the size does not): during
 *   a rename storm every intermediate name is a candidate;
 * - checks with `stat`, which follows symbolic links, so a link added later looks like a file.
 *
 * A check that finds the file gone drops it silently: chokidar reports the removal, and a file
 * renamed away is reported under its new name. A file reported complete is not reported again
 * until its content (size, modification time, inode) changes or it is forgotten (removed).
 * @internal
 */
export class SettleTracker {
  readonly #options: SettleTrackerOptions;
  readonly #settling = new Map<string, Settling>();
  /** The content signature each path was last reported with. */
  readonly #reported = new Map<string, string>();
  #closed = false;

  constructor(options: SettleTrackerOptions) {
    this.#options = options;
  }

  /**
   * Starts watching `path` settle, unless it already is.
   * @param trustTimestamps The path comes from a directory listing, not from a change event: a
   *   file whose timestamps are already older than the threshold is complete at the first check.
   *   An event means something just happened, which the timestamps may not show yet (a rename
   *   keeps the modification time, and some filesystems and runtimes round the change time down
   *   to the second), so evented paths are always observed for the whole threshold.
   * @param reportAgain Report the file when it settles even if it was reported before with the
   *   same content. A rescan's listing asks for this when it cannot vouch for a file yet: the
   *   earlier report may have been dropped by a consumer that was full, and the rescan is how
   *   that file gets delivered.
   */
  track(path: string, trustTimestamps: boolean, reportAgain = false): void {
    if (this.#closed) return;
    const settling = this.#settling.get(path);
    if (settling !== undefined) {
      if (reportAgain) settling.reportAgain = true;
      return;
    }
    const entry: Settling = { timer: undefined, signature: undefined, quietSince: 0, trustTimestamps, reportAgain };
    this.#settling.set(path, entry);
    this.#schedule(path, entry, 0);
  }

  /** Stops tracking `path` and forgets that it was reported: it is gone. */
  forget(path: string): void {
    const entry = this.#settling.get(path);
    if (entry !== undefined) clearTimeout(entry.timer);
    this.#settling.delete(path);
    this.#reported.delete(path);
  }

  isSettling(path: string): boolean {
    return this.#settling.has(path);
  }

  /** Whether `stats`, read now from a listing, describe a file left alone for the threshold. */
  isQuiet(stats: Stats): boolean {
    return quietForByTimestamps(stats) >= this.#options.stabilityThreshold;
  }

  /** Reads what {@link isQuiet} and the checks need, following links only when told to. */
  statFile(path: string): Promise<Stats> {
    return this.#options.followSymlinks ? stat(path) : lstat(path);
  }

  close(): void {
    this.#closed = true;
    for (const entry of this.#settling.values()) clearTimeout(entry.timer);
    this.#settling.clear();
    this.#reported.clear();
  }

  #schedule(path: string, entry: Settling, delay: number): void {
    entry.timer = setTimeout(() => {
      entry.timer = undefined;
      // The check handles its own errors; this catch only catches a handler that broke its
      // contract by throwing, and reports that instead of leaving an unhandled rejection.
      void this.#check(path, entry).catch((error: unknown) => this.#report(error));
    }, delay);
  }

  async #check(path: string, entry: Settling): Promise<void> {
    let stats: Stats;
    try {
      stats = await this.statFile(path);
    } catch (error) {
      if (this.#settling.get(path) !== entry) return;
      this.#settling.delete(path);
      if (!isGone(error)) this.#options.onError(error);
      return;
    }
    // Forgotten, closed or replaced while the stat ran.
    if (this.#settling.get(path) !== entry) return;
    if (!stats.isFile()) {
      this.#settling.delete(path);
      return;
    }
    const now = performance.now();
    const signature = `${contentSignature(stats)}:${stats.ctimeMs}`;
    if (signature !== entry.signature) {
      entry.signature = signature;
      entry.quietSince = now;
    }
    let quietFor = now - entry.quietSince;
    if (entry.trustTimestamps) quietFor = Math.max(quietFor, quietForByTimestamps(stats));
    const threshold = this.#options.stabilityThreshold;
    if (quietFor < threshold) {
      this.#schedule(path, entry, Math.min(this.#options.pollInterval, threshold - quietFor));
      return;
    }
    this.#settling.delete(path);
    const content = contentSignature(stats);
    if (!entry.reportAgain && this.#reported.get(path) === content) return;
    this.#reported.set(path, content);
    this.#options.onSettled(path);
  }

  #report(error: unknown): void {
    try {
      this.#options.onError(error);
    } catch (thrown) {
      // Nothing left to tell: fail loudly, as an uncaught exception, rather than lose it.
      queueMicrotask(() => {
        throw thrown;
      });
    }
  }
}

interface Settling {
  timer: ReturnType<typeof setTimeout> | undefined;
  /** The stats seen at the last check, as a string. */
  signature: string | undefined;
  /** `performance.now()` when the signature last changed. */
  quietSince: number;
  trustTimestamps: boolean;
  reportAgain: boolean;
}

/** What changes when the content changes. The change time is left out: chmod, link, rename. */
function contentSignature(stats: Stats): string {
  return `${stats.size}:${stats.mtimeMs}:${stats.ino}`;
}

/**
 * How long ago the file last changed, by its own timestamps, read conservatively: a timestamp
 * with no millisecond part may have been rounded down to the second (ext3, HFS+, Deno's change
 * time) or to two seconds (FAT), so it is taken as up to 2 s later.
 */
function quietForByTimestamps(stats: Stats): number {
  const latest = Math.max(roundUp(stats.mtimeMs), roundUp(stats.ctimeMs));
  return Date.now() - latest;
}

function roundUp(epochMs: number): number {
  return epochMs % 1000 === 0 ? epochMs + 2000 : epochMs;
}

/** Whether `error` says the path is not there (any more): removed, renamed away, or its directory is. @internal */
export function isGone(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}
