/**
 * Real-directory helpers for the chokidar adapter's tests. These tests must use the real clock
 * (chokidar and the filesystem run on it): they wait by polling a condition with a deadline,
 * never by sleeping a fixed time. The only fixed pauses are a producer's pacing between chunks,
 * which is the scenario under test, not synchronisation.
 */
import { statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FileWatcher, FileWatchHandler } from '@hostkit/core';

/** Resolves after `ms` of real time. Only for pacing a producer. */
export function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Polls `condition` every 10 ms until it holds; rejects with `message` (and what `describe`
 * says about the state) once `timeout` ms have passed.
 */
export async function waitFor(
  condition: () => boolean,
  message: string,
  options: { timeout?: number; describe?: () => unknown } = {},
): Promise<void> {
  const deadline = performance.now() + (options.timeout ?? 10_000);
  while (!condition()) {
    if (performance.now() > deadline) {
      const state = options.describe === undefined ? '' : `: ${JSON.stringify(options.describe())}`;
      throw new Error(`Timed out waiting until ${message}${state}`);
    }
    await pause(10);
  }
}

/** Like {@link waitFor}, for a condition that has to do I/O to find out. */
export async function waitForAsync(
  condition: () => Promise<boolean>,
  message: string,
  options: { timeout?: number } = {},
): Promise<void> {
  const deadline = performance.now() + (options.timeout ?? 10_000);
  while (!(await condition())) {
    if (performance.now() > deadline) throw new Error(`Timed out waiting until ${message}`);
    await pause(10);
  }
}

/** Creates and removes temporary directories under the OS temp dir; call `removeAll` in afterEach. */
export class TemporaryDirectories {
  readonly #created: string[] = [];

  async create(prefix = 'hostkit-chokidar-'): Promise<string> {
    const directory = await mkdtemp(join(tmpdir(), prefix));
    this.#created.push(directory);
    return directory;
  }

  async removeAll(): Promise<void> {
    const directories = this.#created.splice(0);
    await Promise.all(directories.map((directory) => rm(directory, { recursive: true, force: true })));
  }
}

/** One call a watcher made to a {@link RecordingHandler}. */
export interface Report {
  readonly kind: 'ready' | 'removed' | 'overflowed';
  readonly path: string;
  /** The file's size when `fileReady` was called; -1 when it was already gone. */
  readonly size: number;
  /** `performance.now()` when the call was made. */
  readonly at: number;
}

/** A FileWatchHandler that records what it is told, for assertions. */
export class RecordingHandler implements FileWatchHandler {
  readonly reports: Report[] = [];
  readonly errors: unknown[] = [];

  fileReady(path: string): void {
    let size = -1;
    try {
      size = statSync(path).size;
    } catch {
      // Gone already: recorded as -1.
    }
    this.reports.push({ kind: 'ready', path, size, at: performance.now() });
  }

  fileRemoved(path: string): void {
    this.reports.push({ kind: 'removed', path, size: -1, at: performance.now() });
  }

  overflowed(): void {
    this.reports.push({ kind: 'overflowed', path: '', size: -1, at: performance.now() });
  }

  error(error: unknown): void {
    this.errors.push(error);
  }

  /** Paths reported ready, in order, repeats included. */
  ready(): string[] {
    return this.reports.filter((report) => report.kind === 'ready').map((report) => report.path);
  }

  readyCount(path: string): number {
    return this.ready().filter((reported) => reported === path).length;
  }
}

/** Collects every path `watcher.list()` yields. */
export async function listAll(watcher: FileWatcher, signal?: AbortSignal): Promise<string[]> {
  const paths: string[] = [];
  for await (const path of watcher.list(signal)) paths.push(path);
  return paths;
}
