import type { FileWatcher, FileWatchHandler } from '../../src/file-watching/index.ts';

/**
 * A FileWatcher over an in-memory "directory" (a set of paths) that a test drives by hand: it
 * reports what the test tells it to, and can also change the directory without reporting, as a
 * real watcher that missed events would.
 */
export class FakeFileWatcher implements FileWatcher {
  readonly directory = '/inbox';
  /** The files "in the directory", in creation order. */
  readonly files = new Set<string>();
  handler: FileWatchHandler | undefined;
  startCalls = 0;
  closeCalls = 0;
  /** How many paths `list()` has yielded, over all listings. */
  listed = 0;
  listings = 0;
  /** Makes `start` reject with this. */
  startError: unknown = undefined;
  /** Makes the next `list` reject with this after yielding `listErrorAfter` paths. */
  listError: unknown = undefined;
  listErrorAfter = 0;

  async start(handler: FileWatchHandler, signal?: AbortSignal): Promise<void> {
    this.startCalls += 1;
    signal?.throwIfAborted();
    if (this.startError !== undefined) throw this.startError;
    this.handler = handler;
    for (const path of this.files) handler.fileReady(path);
  }

  async *list(signal?: AbortSignal): AsyncGenerator<string> {
    this.listings += 1;
    let yielded = 0;
    // A snapshot, as a directory read sees entries present when it reached them.
    for (const path of Array.from(this.files)) {
      await Promise.resolve();
      signal?.throwIfAborted();
      if (this.listError !== undefined && yielded === this.listErrorAfter) throw this.listError;
      if (!this.files.has(path)) continue;
      this.listed += 1;
      yielded += 1;
      yield path;
    }
  }

  async close(): Promise<void> {
    this.closeCalls += 1;
    this.handler = undefined;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /** A file arrives and is reported. */
  add(...paths: string[]): void {
    for (const path of paths) {
      this.files.add(path);
      this.handler?.fileReady(path);
    }
  }

  /** A file arrives but the watcher misses it. */
  addSilently(...paths: string[]): void {
    for (const path of paths) this.files.add(path);
  }

  /** A file is removed and the removal reported. */
  remove(path: string): void {
    this.files.delete(path);
    this.handler?.fileRemoved(path);
  }

  /** A file is renamed: reported as removal of the old name and arrival of the new one. */
  rename(from: string, to: string): void {
    this.files.delete(from);
    this.files.add(to);
    this.handler?.fileReady(to);
    this.handler?.fileRemoved(from);
  }
}

/** Lets every queued promise reaction run, and those they queue. */
export async function flush(): Promise<void> {
  for (let i = 0; i < 200; i++) await Promise.resolve();
}
