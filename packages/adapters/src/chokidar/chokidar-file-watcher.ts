import type { Dir, Stats } from 'node:fs';
import { opendir, stat } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { type FileWatcher, type FileWatchHandler, isTemporaryFileName } from '@hostkit/core';
import type { FSWatcher } from 'chokidar';
import { watch } from '../optional-peers/chokidar.ts';
import { isGone, SettleTracker } from './settle-tracker.ts';

/** Options for {@link createChokidarFileWatcher}. */
export interface ChokidarFileWatcherOptions {
  /** The directory to watch; resolved against the current directory when relative. */
  directory: string;
  /**
   * How many levels of subdirectories to watch below {@link directory}: `0` watches the directory
   * itself only, `Infinity` everything below it.
   * @default 0
   */
  depth?: number | undefined;
  /**
   * How long, in ms, a file must keep the same size, modification time, change time and inode to
   * count as complete. Higher is safer for slow producers (network copies) and delays every
   * report by as much.
   * @default 2000
   */
  stabilityThreshold?: number | undefined;
  /**
   * How often, in ms, a file that is settling is checked.
   * @default 100
   */
  pollInterval?: number | undefined;
  /**
   * Names to ignore, files and directories alike (an ignored directory hides what is inside).
   * Called with the entry's name and its absolute path; must not throw.
   * @default isTemporaryFileName: hidden files, `*.tmp`, `*.partial`, `~` backups, swap files...
   */
  ignore?: ((name: string, path: string) => boolean) | undefined;
  /**
   * Report symbolic links to regular files (as the link's path) and descend into linked
   * directories. Off by default: a link can point anywhere, including outside the inbox or at a
   * file another process is still writing.
   * @default false
   */
  followSymlinks?: boolean | undefined;
  /**
   * chokidar's backend: `'polling'` for network and other filesystems where native events are
   * unreliable.
   * @default 'auto'
   */
  backend?: 'auto' | 'native' | 'native-recursive' | 'polling' | undefined;
}

/**
 * A {@link FileWatcher} on chokidar 6, for Node and Deno (`Deno.watchFs` has been seen to drop
 * most of a burst of creates and reports overflow only as a flag; chokidar did not).
 *
 * - Reports complete regular files: a file is reported once its size, modification time, change
 *   time and inode have not changed for `stabilityThreshold` ms, checked every `pollInterval` ms
 *   (files found by a listing whose timestamps are already that old are reported at once). This
 *   replaces chokidar's `awaitWriteFinish`, which does not hold files found at start and does not
 *   notice renames.
 * - Reports files already there at start, so nothing is missed across restarts.
 * - Ignores temporary names (`ignore`), directories, and symbolic links unless `followSymlinks`.
 * - Errors from chokidar and from checking files go to {@link FileWatchHandler.error}; a file that
 *   disappears while it is checked is not an error (it was renamed or removed: chokidar reports
 *   that).
 * @throws TypeError when an option has the wrong type.
 * @throws RangeError when `directory` is empty, `depth` is not an integer >= 0 or `Infinity`,
 *   `stabilityThreshold` is not a finite number >= 0, or `pollInterval` is not a finite number > 0.
 */
export function createChokidarFileWatcher(options: ChokidarFileWatcherOptions): FileWatcher {
  return new ChokidarFileWatcher(options);
}

class ChokidarFileWatcher implements FileWatcher {
  readonly directory: string;
  readonly #depth: number;
  readonly #ignore: (name: string, path: string) => boolean;
  readonly #followSymlinks: boolean;
  readonly #backend: 'auto' | 'native' | 'native-recursive' | 'polling';
  readonly #tracker: SettleTracker;
  #state: 'new' | 'starting' | 'watching' | 'closed' = 'new';
  #handler: FileWatchHandler | undefined;
  #chokidar: FSWatcher | undefined;
  #closing: Promise<void> | undefined;

  constructor(options: ChokidarFileWatcherOptions) {
    if (typeof options !== 'object' || options === null) {
      throw new TypeError(`Expected options to be an object, got ${describe(options)}`);
    }
    const { directory } = options;
    if (typeof directory !== 'string') {
      throw new TypeError(`Expected directory to be a non-empty string, got ${describe(directory)}`);
    }
    if (directory.length === 0) {
      throw new RangeError(`Expected directory to be a non-empty string, got ${describe(directory)}`);
    }
    const depth = options.depth ?? 0;
    if (depth !== Infinity && (!Number.isSafeInteger(depth) || depth < 0)) {
      throw new RangeError(`Expected depth to be an integer >= 0 or Infinity, got ${describe(depth)}`);
    }
    const stabilityThreshold = options.stabilityThreshold ?? 2000;
    if (typeof stabilityThreshold !== 'number' || !(stabilityThreshold >= 0) || !Number.isFinite(stabilityThreshold)) {
      throw new RangeError(`Expected stabilityThreshold to be a finite number >= 0, got ${describe(stabilityThreshold)}`);
    }
    const pollInterval = options.pollInterval ?? 100;
    if (typeof pollInterval !== 'number' || !(pollInterval > 0) || !Number.isFinite(pollInterval)) {
      throw new RangeError(`Expected pollInterval to be a finite number > 0, got ${describe(pollInterval)}`);
    }
    const ignore = options.ignore ?? isTemporaryFileName;
    if (typeof ignore !== 'function') {
      throw new TypeError(`Expected ignore to be a function, got ${describe(ignore)}`);
    }
    this.directory = resolve(directory);
    this.#depth = depth;
    this.#ignore = ignore;
    this.#followSymlinks = options.followSymlinks ?? false;
    this.#backend = options.backend ?? 'auto';
    this.#tracker = new SettleTracker({
      stabilityThreshold,
      pollInterval,
      followSymlinks: this.#followSymlinks,
      onSettled: (path) => {
        if (this.#state !== 'closed') this.#handler?.fileReady(path);
      },
      onError: (error) => this.#reportError(error),
    });
  }

  async start(handler: FileWatchHandler, signal?: AbortSignal): Promise<void> {
    if (this.#state !== 'new') {
      throw new Error(`ChokidarFileWatcher.start() was already called (the watcher is ${this.#state}): a watcher starts once`);
    }
    this.#state = 'starting';
    try {
      signal?.throwIfAborted();
      const stats = await stat(this.directory);
      if (!stats.isDirectory()) throw new Error(`Cannot watch ${JSON.stringify(this.directory)}: not a directory`);
      signal?.throwIfAborted();
      this.#handler = handler;
      const watcher = watch(this.directory, {
        ...(this.#depth === Infinity ? {} : { depth: this.#depth }),
        followSymlinks: this.#followSymlinks,
        // Files already there are work left from before a restart.
        ignoreInitial: false,
        // Completeness is decided by the SettleTracker (see its doc for why not awaitWriteFinish).
        awaitWriteFinish: false,
        ignored: (path: string, entry?: Stats) => this.#isIgnored(path, entry),
        backend: this.#backend,
      });
      this.#chokidar = watcher;
      // Before 'ready', chokidar is listing what was there: trust the files' own timestamps.
      let listing = true;
      const onFile = (path: string): void => {
        if (this.#state !== 'closed') this.#tracker.track(path, listing);
      };
      watcher.on('add', onFile);
      watcher.on('change', onFile);
      watcher.on('unlink', (path) => {
        if (this.#state === 'closed') return;
        this.#tracker.forget(path);
        this.#handler?.fileRemoved(path);
      });
      watcher.on('error', (error) => this.#reportError(error));
      await new Promise<void>((resolvePromise, reject) => {
        const onAbort = (): void => reject(signal?.reason);
        watcher.once('ready', () => {
          signal?.removeEventListener('abort', onAbort);
          listing = false;
          resolvePromise();
        });
        signal?.addEventListener('abort', onAbort, { once: true });
      });
      if (this.#state === 'starting') this.#state = 'watching';
    } catch (error) {
      await this.close();
      throw error;
    }
  }

  async *list(signal?: AbortSignal): AsyncGenerator<string> {
    signal?.throwIfAborted();
    yield* this.#listDirectory(this.directory, 0, signal);
  }

  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  async #close(): Promise<void> {
    this.#state = 'closed';
    this.#tracker.close();
    await this.#chokidar?.close();
  }

  async *#listDirectory(directory: string, level: number, signal: AbortSignal | undefined): AsyncGenerator<string> {
    let handle: Dir;
    try {
      handle = await opendir(directory);
    } catch (error) {
      // A subdirectory removed while listing is not an error; the watched directory missing is.
      if (level > 0 && isGone(error)) return;
      throw error;
    }
    // Leaving the loop early (the caller stopped iterating) closes the directory handle.
    for await (const entry of handle) {
      signal?.throwIfAborted();
      const path = join(directory, entry.name);
      if (this.#ignore(entry.name, path)) continue;
      const isLink = entry.isSymbolicLink();
      if (!entry.isFile() && !entry.isDirectory() && !(isLink && this.#followSymlinks)) continue;
      let stats: Stats;
      try {
        stats = await this.#tracker.statFile(path);
      } catch (error) {
        if (isGone(error)) continue;
        throw error;
      }
      if (stats.isDirectory()) {
        if (level < this.#depth) yield* this.#listDirectory(path, level + 1, signal);
      } else if (stats.isFile()) {
        const watching = this.#state === 'watching' || this.#state === 'starting';
        // A file the tracker is still watching, or one whose timestamps are recent, may be
        // incomplete: it is not listed. When watching, the tracker reports it once it settles,
        // even if it reported it before (that report may be the one the caller dropped).
        if (watching && this.#tracker.isSettling(path)) this.#tracker.track(path, true, true);
        else if (this.#tracker.isQuiet(stats)) yield path;
        else if (watching) this.#tracker.track(path, true, true);
      }
    }
  }

  #isIgnored(path: string, entry: Stats | undefined): boolean {
    // The watched directory itself is never ignored, whatever its name.
    if (path === this.directory) return false;
    if (this.#ignore(basename(path), path)) return true;
    if (entry === undefined) return false;
    if (entry.isSymbolicLink()) return !this.#followSymlinks;
    // Sockets, FIFOs, devices: never work items, and reading a FIFO blocks.
    return !entry.isFile() && !entry.isDirectory();
  }

  #reportError(error: unknown): void {
    if (this.#state !== 'closed') this.#handler?.error(error);
  }
}

/** Renders a bad option for an error message: the value, then its type. Never throws. */
function describe(value: unknown): string {
  let shown: string;
  try {
    shown = typeof value === 'string' ? JSON.stringify(value) : String(value);
  } catch {
    shown = Object.prototype.toString.call(value);
  }
  return `${shown} (${value === null ? 'null' : typeof value})`;
}
