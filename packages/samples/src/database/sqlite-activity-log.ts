import type { Logger, TimeProvider } from '@hostkit/core';
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import type { ActivityLog } from './activity-log.ts';
import { openAppDatabase } from './app-database.ts';

/**
 * The {@link ActivityLog} over DATA_DIR/app.db: one connection and one prepared INSERT for the
 * life of the host. Registered as a singleton; the container disposes it (closing the
 * connection) after every hosted service has stopped, so the services can log until the end.
 */
export class SqliteActivityLog implements ActivityLog, Disposable {
  readonly #database: DatabaseSync;
  readonly #insert: StatementSync;
  readonly #time: TimeProvider;
  readonly #logger: Logger;
  #written = 0;
  #failed = 0;

  /** @throws what {@link openAppDatabase} throws. */
  constructor(dataDir: string, time: TimeProvider, logger: Logger) {
    this.#database = openAppDatabase(dataDir);
    this.#insert = this.#database.prepare('INSERT INTO logs (created_at, message) VALUES (?, ?)');
    this.#time = time;
    this.#logger = logger;
  }

  /** Rows written, and writes that failed, since start: for GET /status. */
  get counts(): { readonly written: number; readonly failed: number } {
    return { written: this.#written, failed: this.#failed };
  }

  write(source: string, message: string): void {
    if (!this.#database.isOpen) return;
    try {
      this.#insert.run(this.#time.now(), `[${source}] ${message}`);
      this.#written++;
    } catch (error) {
      this.#failed++;
      this.#logger.warn('Could not write an activity row to the logs table', { error, source });
    }
  }

  /** Closes the connection; later writes are ignored. */
  [Symbol.dispose](): void {
    if (this.#database.isOpen) this.#database.close();
  }
}
