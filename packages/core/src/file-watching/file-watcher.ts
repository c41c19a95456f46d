/**
 * What a {@link FileWatcher} calls as it observes its directory.
 *
 * Every method is called synchronously from the watcher's own event handling, never after
 * {@link FileWatcher.close} has been called, and must not throw: a handler that cannot keep up
 * records what it needs (a path, a flag) and returns. That is what lets the consumer side bound its
 * memory: the watcher pushes, and the handler decides what to keep.
 */
export interface FileWatchHandler {
  /**
   * A complete regular file is at `path`: it was there when watching started, it arrived (created,
   * or renamed or moved in), or it changed and has settled again. Called once per arrival or
   * settled change, not once per write; a path may also be reported again without a change
   * (after a {@link FileWatcher.list} that could not vouch for it yet), so handlers deduplicate.
   *
   * "Complete" is the watcher's judgement (for example: size and modification time unchanged for
   * a stability threshold); producers that write under a temporary name and rename into place
   * make it certain.
   */
  fileReady(path: string): void;

  /**
   * The file at `path` is gone: removed, or renamed or moved away. A rename arrives as
   * `fileRemoved(old)` and `fileReady(new)`, in either order. A path that was never reported
   * ready may be reported removed.
   */
  fileRemoved(path: string): void;

  /**
   * The watcher may have missed events (a kernel queue overflowed, a backend told it to rescan):
   * the handler should compare the directory's contents, from {@link FileWatcher.list}, with what
   * it knows.
   */
  overflowed(): void;

  /**
   * Watching failed for one path or for all of them. The watcher keeps going where it can; the
   * handler decides whether this is fatal. Errors are never swallowed by a watcher.
   */
  error(error: unknown): void;
}

/**
 * The port through which hostkit watches a directory for files to process: an inbox.
 *
 * It reports complete regular files only: no directories, no symbolic links unless the adapter
 * is told to follow them, and none of the temporary names that producers write before renaming
 * into place (see {@link isTemporaryFileName}). Paths are absolute and spelled the same way by
 * {@link FileWatchHandler.fileReady} and {@link list}, so they can be compared as strings.
 *
 * Implementations live in `@hostkit/adapters` (`@hostkit/adapters/chokidar`). Core uses the port
 * through {@link createFileChannelFeeder}, which turns reports into channel items without losing
 * files and without unbounded memory.
 *
 * A watcher is used once: {@link start} it, then {@link close} it. Closing is final.
 */
export interface FileWatcher extends AsyncDisposable {
  /** The watched directory, as an absolute path. */
  readonly directory: string;

  /**
   * Starts watching and reporting to `handler`. Called once per watcher.
   *
   * Files already in the directory are reported too (as {@link FileWatchHandler.fileReady}), so
   * nothing written while the process was down is missed. The promise resolves once the watcher
   * is watching and has seen what was there; those files are reported as they prove complete,
   * possibly after it resolves.
   * @param signal Gives up starting: the watcher is closed and the promise rejects with
   *   `signal.reason`. It does not stop a watcher that has started; {@link close} does.
   * @throws Error (as a rejection) when the directory cannot be watched (missing, not a directory,
   *   no permission), or when `start` was already called.
   */
  start(handler: FileWatchHandler, signal?: AbortSignal): Promise<void>;

  /**
   * Lists the complete regular files in the directory now, applying the same rules as the
   * reports (depth, ignored names, symbolic links). Called after an overflow to find what the
   * reports missed; may be called before {@link start} and while watching.
   *
   * It streams, so a caller that has seen enough can stop iterating and nothing more is read.
   * Files that may still be being written are not listed; when the watcher is running they are
   * reported through {@link FileWatchHandler.fileReady} once they settle, even if they were
   * reported before (that report may be the one a full consumer dropped).
   * @param signal Ends the listing: the pending or next step rejects with `signal.reason`.
   */
  list(signal?: AbortSignal): AsyncIterable<string>;

  /**
   * Stops watching and releases every handle and timer. The handler is not called once `close`
   * has been called. Idempotent: later calls return the same promise.
   */
  close(): Promise<void>;
}
