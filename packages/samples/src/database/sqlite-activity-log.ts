import type { HealthCheckResult, Logger, TimeProvider, Timer } from '@hostkit/core';
import { existsSync, renameSync } from 'node:fs';
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import type { ActivityLog } from './activity-log.ts';
import { appDatabasePath, openAppDatabase, SHORT_BUSY_TIMEOUT_MS } from './app-database.ts';
import { sqliteErrorKind } from './sqlite-errors.ts';

/** Options of {@link SqliteActivityLog}. */
export interface SqliteActivityLogOptions {
  /**
   * Rows kept in memory while app.db cannot be written (locked by another process, disk full).
   * Beyond it, new rows are dropped, counted in `dropped` and reported in the log. @default 10000
   */
  readonly maxQueued?: number;
  /** First pause before writing again after app.db refused a write; doubles up to {@link maxRetryDelayMs}. @default 50 */
  readonly retryDelayMs?: number;
  /** Longest pause between two attempts while app.db refuses writes. @default 1000 */
  readonly maxRetryDelayMs?: number;
  /** How long the last flush at dispose may wait for another process's lock (it blocks the stop, not the serving). @default 2000 */
  readonly disposeBusyTimeoutMs?: number;
}

/** The counters of the activity log, for GET /status. */
export interface ActivityLogCounts {
  /** `ok`, `waiting` (app.db refuses writes for now; rows are queued), `closed`. */
  readonly state: 'ok' | 'waiting' | 'closed';
  readonly written: number;
  /** Rows that could not be written and will not be retried (a bug, a schema change). */
  readonly failed: number;
  /** Rows dropped because the queue was full while app.db refused writes. */
  readonly dropped: number;
  /** Rows waiting to be written. */
  readonly queued: number;
  /** Why app.db refuses writes right now, while `waiting`. */
  readonly waitingFor?: string;
  /** Where a corrupt app.db found at start was moved. */
  readonly corruptFileMovedTo?: string;
}

interface Row {
  readonly at: number;
  readonly message: string;
}

/**
 * The {@link ActivityLog} over DATA_DIR/app.db, which never blocks the event loop for long.
 *
 * `write` only queues the row; a timer of the host's TimeProvider writes the queue in ONE
 * transaction on the next turn of the event loop. The connection's busy timeout is short
 * ({@link SHORT_BUSY_TIMEOUT_MS}): when another process holds the write lock (a `BEGIN EXCLUSIVE`
 * in the sqlite3 CLI, another replica), or the disk is full, the write fails at once, the rows
 * stay queued and the log tries again with a growing pause (50 ms up to 1 s), so that /healthz
 * keeps answering and the rows land as soon as app.db takes writes again. The queue is bounded
 * (`maxQueued`): past it, new rows are dropped, counted (`dropped` in GET /status) and reported
 * in the console log, never silently.
 *
 * A corrupt app.db (not a database, malformed) does not stop the host: it is moved aside to
 * `app.db.corrupt-<time>` (with its -wal and -shm files; never deleted), a fresh app.db is
 * created, and the `activity-log` health check stays degraded until the next start, saying where
 * the old file is.
 *
 * Registered as a singleton; the container disposes it after every hosted service has stopped,
 * which writes what is still queued (waiting up to `disposeBusyTimeoutMs` for a lock) and closes
 * the connection. After that, writes are ignored.
 */
export class SqliteActivityLog implements ActivityLog, Disposable {
  readonly #dataDir: string;
  readonly #time: TimeProvider;
  readonly #logger: Logger;
  readonly #maxQueued: number;
  readonly #retryDelayMs: number;
  readonly #maxRetryDelayMs: number;
  readonly #disposeBusyTimeoutMs: number;
  #database: DatabaseSync | undefined;
  #insert: StatementSync | undefined;
  #queue: Row[] = [];
  #timer: Timer | undefined;
  #closed = false;
  #written = 0;
  #failed = 0;
  #dropped = 0;
  #droppedInEpisode = 0;
  #retryDelay = 0;
  /** Since when (TimeProvider timestamp) and why app.db refuses writes; undefined while it takes them. */
  #waiting: { readonly since: number; reason: string } | undefined;
  #corruptMovedTo: string | undefined;

  /** Opens app.db now when it can; when it cannot (locked, unreadable), the first flush tries again. Never throws for the database. */
  constructor(dataDir: string, time: TimeProvider, logger: Logger, options: SqliteActivityLogOptions = {}) {
    this.#dataDir = dataDir;
    this.#time = time;
    this.#logger = logger;
    this.#maxQueued = options.maxQueued ?? 10_000;
    this.#retryDelayMs = options.retryDelayMs ?? 50;
    this.#maxRetryDelayMs = options.maxRetryDelayMs ?? 1_000;
    this.#disposeBusyTimeoutMs = options.disposeBusyTimeoutMs ?? 2_000;
    try {
      this.#open();
    } catch (error) {
      this.#startWaiting(error);
      this.#schedule();
    }
  }

  /** Counters and state, for GET /status. */
  get counts(): ActivityLogCounts {
    return {
      state: this.#closed ? 'closed' : this.#waiting === undefined ? 'ok' : 'waiting',
      written: this.#written,
      failed: this.#failed,
      dropped: this.#dropped,
      queued: this.#queue.length,
      ...(this.#waiting !== undefined && { waitingFor: this.#waiting.reason }),
      ...(this.#corruptMovedTo !== undefined && { corruptFileMovedTo: this.#corruptMovedTo }),
    };
  }

  write(source: string, message: string): void {
    if (this.#closed) return;
    if (this.#queue.length >= this.#maxQueued) {
      this.#dropped++;
      if (this.#droppedInEpisode++ === 0) {
        this.#logger.warn(
          `Activity log: ${this.#queue.length} rows are waiting for app.db (${this.#waiting?.reason ?? 'not written yet'}); ` +
            'dropping new rows until it takes writes again (counted in GET /status activityLog.dropped)',
        );
      }
      return;
    }
    this.#queue.push({ at: this.#time.now(), message: `[${source}] ${message}` });
    this.#schedule();
  }

  /**
   * The `activity-log` health check: degraded while app.db refuses writes (rows are queued, or
   * dropped) and, until the next start, after a corrupt app.db was moved aside. Never unhealthy:
   * uploads and file processing work without it, so it must neither restart the process nor take
   * it out of traffic.
   */
  health(): HealthCheckResult {
    const notes: string[] = [];
    if (this.#waiting !== undefined) {
      const forMs = Math.round(this.#time.elapsedSince(this.#waiting.since));
      notes.push(
        `app.db has refused writes for ${forMs} ms (${this.#waiting.reason}); ${this.#queue.length} rows are waiting` +
          (this.#droppedInEpisode > 0 ? `, ${this.#droppedInEpisode} were dropped` : '') +
          '. They are written as soon as it takes writes again',
      );
    }
    if (this.#corruptMovedTo !== undefined) {
      notes.push(
        `app.db was corrupt at start and was moved to ${this.#corruptMovedTo} (kept, never deleted); a fresh app.db was created. ` +
          'Inspect or archive the old file (e.g. sqlite3 <file> .recover), then delete it; this notice clears at the next start',
      );
    }
    if (notes.length === 0) return { status: 'healthy', description: `${this.#written} rows written` };
    return { status: 'degraded', description: notes.join('. ') };
  }

  /**
   * Writes what is queued now, in one transaction; called by the timer. Returns whether the queue
   * is empty afterwards. Never throws: a refusal schedules the next attempt.
   */
  flush(): boolean {
    if (this.#queue.length === 0) return true;
    try {
      if (this.#database === undefined) this.#open();
      const database = this.#database;
      const insert = this.#insert;
      if (database === undefined || insert === undefined) return false;
      const batch = this.#queue;
      database.exec('BEGIN IMMEDIATE');
      try {
        for (const row of batch) insert.run(row.at, row.message);
        database.exec('COMMIT');
      } catch (error) {
        if (database.isTransaction) database.exec('ROLLBACK');
        throw error;
      }
      this.#queue = this.#queue === batch ? [] : this.#queue.slice(batch.length);
      this.#written += batch.length;
      this.#caughtUp();
      return this.#queue.length === 0;
    } catch (error) {
      const kind = sqliteErrorKind(error);
      if (kind === 'other') {
        // Retrying cannot help (a missing table, a bug): report the rows as failed, once.
        this.#failed += this.#queue.length;
        this.#logger.warn(`Could not write ${this.#queue.length} activity rows to the logs table`, { error });
        this.#queue = [];
        return true;
      }
      if (kind === 'corrupt' && this.#corruptMovedTo === undefined) {
        this.#moveCorruptAside(error);
        return this.flush();
      }
      this.#startWaiting(error);
      this.#schedule();
      return false;
    }
  }

  /** Writes what is still queued (waiting longer for a lock: the host has stopped serving), then closes. Idempotent. */
  [Symbol.dispose](): void {
    if (this.#closed) return;
    this.#cancelTimer();
    if (this.#queue.length > 0) {
      try {
        this.#database?.exec(`PRAGMA busy_timeout = ${this.#disposeBusyTimeoutMs}`);
      } catch {
        // The flush below reports the failure.
      }
      this.flush();
      this.#cancelTimer();
      if (this.#queue.length > 0) {
        this.#logger.warn(
          `Activity log: ${this.#queue.length} rows could not be written before the stop (${this.#waiting?.reason ?? 'unknown'}); they are lost`,
        );
        this.#dropped += this.#queue.length;
        this.#queue = [];
      }
    }
    this.#closed = true;
    if (this.#database?.isOpen === true) this.#database.close();
  }

  #open(): void {
    let database: DatabaseSync;
    try {
      database = openAppDatabase(this.#dataDir, { busyTimeoutMs: SHORT_BUSY_TIMEOUT_MS, synchronous: 'normal' });
    } catch (error) {
      if (sqliteErrorKind(error) !== 'corrupt' || this.#corruptMovedTo !== undefined) throw error;
      this.#moveCorruptAside(error);
      database = openAppDatabase(this.#dataDir, { busyTimeoutMs: SHORT_BUSY_TIMEOUT_MS, synchronous: 'normal' });
    }
    this.#database = database;
    this.#insert = database.prepare('INSERT INTO logs (created_at, message) VALUES (?, ?)');
  }

  #moveCorruptAside(error: unknown): void {
    if (this.#database?.isOpen === true) this.#database.close();
    this.#database = undefined;
    this.#insert = undefined;
    const path = appDatabasePath(this.#dataDir);
    const target = `${path}.corrupt-${new Date(this.#time.now()).toISOString().replaceAll(':', '-')}`;
    for (const suffix of ['', '-wal', '-shm']) {
      if (existsSync(path + suffix)) renameSync(path + suffix, target + suffix);
    }
    this.#corruptMovedTo = target;
    this.#logger.error(
      `Activity log: ${path} is corrupt (${error instanceof Error ? error.message : String(error)}); ` +
        `moved it to ${target} (kept, not deleted) and started a fresh app.db. Uploads and file processing are not affected`,
    );
  }

  #startWaiting(error: unknown): void {
    const reason = `${sqliteErrorKind(error) === 'full' ? 'disk full: ' : ''}${error instanceof Error ? error.message : String(error)}`;
    if (this.#waiting === undefined) {
      this.#waiting = { since: this.#time.timestamp(), reason };
      this.#logger.warn(`Activity log: app.db refuses writes (${reason}); keeping up to ${this.#maxQueued} rows in memory and trying again`);
    } else {
      this.#waiting.reason = reason;
    }
    this.#retryDelay = this.#retryDelay === 0 ? this.#retryDelayMs : Math.min(this.#retryDelay * 2, this.#maxRetryDelayMs);
  }

  #caughtUp(): void {
    if (this.#waiting !== undefined) {
      const forMs = Math.round(this.#time.elapsedSince(this.#waiting.since));
      this.#logger.info(
        `Activity log: app.db takes writes again after ${forMs} ms; the waiting rows are written` +
          (this.#droppedInEpisode > 0 ? `, ${this.#droppedInEpisode} were dropped while it refused them` : ''),
      );
    }
    this.#waiting = undefined;
    this.#droppedInEpisode = 0;
    this.#retryDelay = 0;
  }

  #cancelTimer(): void {
    this.#timer?.dispose();
    this.#timer = undefined;
  }

  /** Arms the flush timer: at once while app.db takes writes, after the back-off while it refuses them. */
  #schedule(): void {
    if (this.#timer !== undefined || this.#closed) return;
    this.#timer = this.#time.createTimer(() => {
      this.#timer = undefined;
      this.flush();
    }, this.#waiting === undefined ? 0 : this.#retryDelay);
  }
}
