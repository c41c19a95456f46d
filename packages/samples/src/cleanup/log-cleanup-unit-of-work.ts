import { createToken, type Token } from '@hostkit/core';
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import { openAppDatabase, SHORT_BUSY_TIMEOUT_MS } from '../database/app-database.ts';

/**
 * One cleanup run's access to the `logs` table, the port of the seed's scoped `DbContext`:
 * registered as SCOPED, so each tick gets its own connection and the end of the tick's scope
 * closes it ({@link Symbol.dispose}), whatever happened during the tick.
 *
 * Its busy timeout is short ({@link SHORT_BUSY_TIMEOUT_MS}): a batch runs on the event loop, so
 * when another process holds app.db's write lock the batch fails at once with SQLITE_BUSY and the
 * cleanup service tries again after a pause, instead of freezing the host for seconds.
 */
export class LogCleanupUnitOfWork implements Disposable {
  readonly #database: DatabaseSync;
  readonly #deleteBatch: StatementSync;
  readonly #countOlder: StatementSync;

  /** Opens DATA_DIR/app.db. @throws what `openAppDatabase` throws. */
  constructor(dataDir: string) {
    this.#database = openAppDatabase(dataDir, { busyTimeoutMs: SHORT_BUSY_TIMEOUT_MS });
    // DELETE ... LIMIT needs a compile-time option that node:sqlite does not promise; a sub-select
    // over the created_at index bounds the batch everywhere.
    this.#deleteBatch = this.#database.prepare(
      'DELETE FROM logs WHERE id IN (SELECT id FROM logs WHERE created_at < ? ORDER BY created_at LIMIT ?)',
    );
    this.#countOlder = this.#database.prepare('SELECT COUNT(*) AS count FROM logs WHERE created_at < ?');
  }

  /** Whether the connection is still open (false once the scope has ended). */
  get isOpen(): boolean {
    return this.#database.isOpen;
  }

  /** Whether a transaction is open on the connection: never true between two calls. */
  get inTransaction(): boolean {
    return this.#database.isOpen && this.#database.isTransaction;
  }

  /**
   * Deletes at most `limit` rows created before `cutoff` (epoch ms), oldest first, in ONE
   * transaction, and returns how many went. Synchronous from BEGIN to COMMIT: nothing else in
   * this process runs in between, so a stop can only come between two batches, never inside one.
   * @throws Error from node:sqlite; the transaction is rolled back first.
   */
  deleteBatch(cutoff: number, limit: number): number {
    this.#database.exec('BEGIN IMMEDIATE');
    try {
      const { changes } = this.#deleteBatch.run(cutoff, limit);
      this.#database.exec('COMMIT');
      return Number(changes);
    } catch (error) {
      if (this.#database.isTransaction) this.#database.exec('ROLLBACK');
      throw error;
    }
  }

  /** How many rows are older than `cutoff` (epoch ms). */
  countOlderThan(cutoff: number): number {
    const row = this.#countOlder.get(cutoff) as { count: number | bigint } | undefined;
    return Number(row?.count ?? 0);
  }

  /** Closes the connection; called by the DI scope when the tick ends. Idempotent. */
  [Symbol.dispose](): void {
    if (this.#database.isOpen) this.#database.close();
  }
}

/** The DI token of the scoped {@link LogCleanupUnitOfWork}. */
export const LogCleanupUnitOfWorkToken: Token<LogCleanupUnitOfWork> = createToken<LogCleanupUnitOfWork>('LogCleanupUnitOfWork');
