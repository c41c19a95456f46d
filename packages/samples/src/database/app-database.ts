import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';

/** The file name of the samples' database inside DATA_DIR. */
export const APP_DATABASE_FILE = 'app.db';

/** DATA_DIR/app.db. */
export function appDatabasePath(dataDir: string): string {
  return join(dataDir, APP_DATABASE_FILE);
}

/** How long a connection waits for another connection's write lock before failing, in ms. */
const BUSY_TIMEOUT_MS = 5_000;

/**
 * Opens a connection to DATA_DIR/app.db (creating the directory, the file and the schema when
 * missing). `node:sqlite` is built into Node 24 and Deno 2.9: no native module to install.
 *
 * Each owner opens its own connection and closes it: the activity log (a singleton, closed when
 * the host is disposed) and the cleanup's unit of work (one per tick, closed at the end of its DI
 * scope). WAL mode lets a reader (the cleanup, a test, `sqlite3` in a terminal) work while another
 * connection writes; the busy timeout makes a second writer wait instead of failing at once.
 *
 * Schema: `logs(id INTEGER PRIMARY KEY, created_at INTEGER epoch ms, message TEXT)` and an index on
 * `created_at`, which the retention delete ranges over.
 * @throws Error from node:sqlite or node:fs when the directory or file cannot be created or opened.
 */
export function openAppDatabase(dataDir: string): DatabaseSync {
  mkdirSync(dataDir, { recursive: true });
  const database = new DatabaseSync(appDatabasePath(dataDir));
  try {
    database.exec(`PRAGMA busy_timeout = ${BUSY_TIMEOUT_MS}`);
    database.exec('PRAGMA journal_mode = WAL');
    database.exec(
      'CREATE TABLE IF NOT EXISTS logs (id INTEGER PRIMARY KEY, created_at INTEGER NOT NULL, message TEXT NOT NULL);' +
        'CREATE INDEX IF NOT EXISTS logs_created_at ON logs (created_at);',
    );
  } catch (error) {
    database.close();
    throw error;
  }
  return database;
}
