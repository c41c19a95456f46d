import type { TimeProvider } from '@hostkit/core';
import { openAppDatabase, SHORT_BUSY_TIMEOUT_MS } from '../database/app-database.ts';

/** A stored answer to an upload sent with an `Idempotency-Key`. */
export interface StoredAnswer {
  readonly status: number;
  /** The JSON body, as sent. */
  readonly body: string;
}

/** How long a key is remembered: a client retries within minutes, not days. */
const RETENTION_MS = 24 * 60 * 60 * 1000;

/**
 * The answers to uploads sent with an `Idempotency-Key` header, in the `upload_idempotency` table
 * of DATA_DIR/app.db: a client that retries after a lost response gets the first answer (the same
 * id and result) instead of storing a second copy. In SQLite, not in memory, because the retry
 * may come after a restart, or to another replica that shares DATA_DIR.
 *
 * Only accepted uploads (202) are stored: a refusal (413, 503...) is worth retrying as it is. The
 * answer is stored after the file is queued and before the 202 is sent; a crash between the two
 * can still let a retry store a second copy, which the processor handles like any other file.
 *
 * Each call opens its own connection (uploads with a key are few, and a connection per call needs
 * no lifecycle); a locked database waits at most {@link SHORT_BUSY_TIMEOUT_MS}.
 */
export class UploadIdempotencyStore {
  readonly #dataDir: string;
  readonly #time: () => TimeProvider;
  /** Keys being received in this process: a concurrent retry gets 409 instead of a second copy. */
  readonly #inProgress = new Set<string>();

  /** @param time The clock of the retention, read per call (the container supplies it once built). */
  constructor(dataDir: string, time: () => TimeProvider) {
    this.#dataDir = dataDir;
    this.#time = time;
  }

  /** The stored answer for `key`, if an upload with it was accepted in the last 24 hours. */
  find(key: string): StoredAnswer | undefined {
    const database = openAppDatabase(this.#dataDir, { busyTimeoutMs: SHORT_BUSY_TIMEOUT_MS });
    try {
      ensureTable(database);
      const row = database
        .prepare('SELECT status, body FROM upload_idempotency WHERE key = ? AND created_at >= ?')
        .get(key, this.#time().now() - RETENTION_MS) as { status: number; body: string } | undefined;
      return row === undefined ? undefined : { status: Number(row.status), body: String(row.body) };
    } finally {
      database.close();
    }
  }

  /** Marks `key` as being received; false when it already is (a concurrent retry). */
  begin(key: string): boolean {
    if (this.#inProgress.has(key)) return false;
    this.#inProgress.add(key);
    return true;
  }

  /** Ends what {@link begin} started, whatever the outcome. */
  end(key: string): void {
    this.#inProgress.delete(key);
  }

  /** Stores the answer of an accepted upload, and forgets keys past the retention. */
  save(key: string, answer: StoredAnswer): void {
    const database = openAppDatabase(this.#dataDir, { busyTimeoutMs: SHORT_BUSY_TIMEOUT_MS });
    try {
      ensureTable(database);
      const now = this.#time().now();
      database.prepare('INSERT OR REPLACE INTO upload_idempotency (key, status, body, created_at) VALUES (?, ?, ?, ?)').run(key, answer.status, answer.body, now);
      database.prepare('DELETE FROM upload_idempotency WHERE created_at < ?').run(now - RETENTION_MS);
    } finally {
      database.close();
    }
  }
}

function ensureTable(database: ReturnType<typeof openAppDatabase>): void {
  database.exec(
    'CREATE TABLE IF NOT EXISTS upload_idempotency (key TEXT PRIMARY KEY, status INTEGER NOT NULL, body TEXT NOT NULL, created_at INTEGER NOT NULL)',
  );
}
