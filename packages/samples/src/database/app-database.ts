import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';

/** The file name of the samples' database inside DATA_DIR. */
export const APP_DATABASE_FILE = 'app.db';

/** DATA_DIR/app.db. */
export function appDatabasePath(dataDir: string): string {
  return join(dataDir, APP_DATABASE_FILE);
}

/**
 * How long a connection waits for another connection's write lock before failing, in ms, unless
 * the caller asks for less. node:sqlite is synchronous: the wait blocks the event loop, so the
 * connections that write while the host serves requests (the activity log, the cleanup) ask for
 * {@link SHORT_BUSY_TIMEOUT_MS} and retry later instead.
 */
const BUSY_TIMEOUT_MS = 5_000;

/** The busy timeout of connections used on the event loop while the host serves: short enough not to be felt. */
export const SHORT_BUSY_TIMEOUT_MS = 10;

/** Options of {@link openAppDatabase}. */
export interface OpenAppDatabaseOptions {
  /** How long a statement waits for another connection's lock, blocking the thread. @default 5000 */
  readonly busyTimeoutMs?: number;
  /**
   * SQLite's `synchronous` for this connection. `full` fsyncs the WAL at every commit: a
   * committed transaction survives a power loss. `normal` (WAL mode) fsyncs only at checkpoints:
   * the database stays consistent after a crash, but the last commits before a power loss (not a
   * process crash) may be rolled back. `normal` suits a log whose rows only describe durable
   * work done elsewhere (the activity log: the files themselves are fsynced by `FileStore`).
   * @default 'full'
   */
  readonly synchronous?: 'full' | 'normal';
}

/**
 * Opens a connection to DATA_DIR/app.db (creating the directory, the file and the schema when
 * missing). `node:sqlite` is built into Node 24 and Deno 2.9: no native module to install.
 *
 * Each owner opens its own connection and closes it: the activity log (a singleton, closed when
 * the host is disposed) and the cleanup's unit of work (one per tick, closed at the end of its DI
 * scope). WAL mode lets a reader (the cleanup, a test, `sqlite3` in a terminal) work while another
 * connection writes; the busy timeout makes a second writer wait instead of failing at once.
 *
 * Several processes may share DATA_DIR (cluster mode: every replica opens the same app.db, on a
 * local disk or a volume whose locking works); WAL plus the busy timeout is what makes that safe,
 * and writers that read before they write use `BEGIN IMMEDIATE`, so they wait for the write lock
 * up front instead of failing with SQLITE_BUSY when upgrading.
 *
 * Schema: `logs(id INTEGER PRIMARY KEY, created_at INTEGER epoch ms, message TEXT)` and an index on
 * `created_at`, which the retention delete ranges over; `cluster_runs` (see `SqliteClusterRunLog`),
 * one row per run of a cluster singleton.
 * @throws Error from node:sqlite or node:fs when the directory or file cannot be created or opened.
 */
export function openAppDatabase(dataDir: string, options: OpenAppDatabaseOptions = {}): DatabaseSync {
  mkdirSync(dataDir, { recursive: true });
  const database = new DatabaseSync(appDatabasePath(dataDir));
  try {
    database.exec(`PRAGMA busy_timeout = ${options.busyTimeoutMs ?? BUSY_TIMEOUT_MS}`);
    database.exec('PRAGMA journal_mode = WAL');
    database.exec(`PRAGMA synchronous = ${options.synchronous === 'normal' ? 'NORMAL' : 'FULL'}`);
    database.exec(
      'CREATE TABLE IF NOT EXISTS logs (id INTEGER PRIMARY KEY, created_at INTEGER NOT NULL, message TEXT NOT NULL);' +
        'CREATE INDEX IF NOT EXISTS logs_created_at ON logs (created_at);' +
        'CREATE TABLE IF NOT EXISTS cluster_runs (id INTEGER PRIMARY KEY, kind TEXT NOT NULL, replica TEXT NOT NULL, ' +
        'fencing_token INTEGER NOT NULL, started_at INTEGER NOT NULL, ended_at INTEGER, outcome TEXT);' +
        'CREATE INDEX IF NOT EXISTS cluster_runs_kind_started ON cluster_runs (kind, started_at);',
    );
  } catch (error) {
    database.close();
    throw error;
  }
  return database;
}
