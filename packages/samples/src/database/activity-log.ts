import { createToken, type Token } from '@hostkit/core';

/**
 * Writes one row per thing a feature did into the shared `logs` table of DATA_DIR/app.db. A
 * singleton with its own connection; the cleanup sample later deletes the old rows.
 *
 * `write` only queues the row (the SQLite implementation writes it on the next turn of the event
 * loop, or later while app.db is locked), so it never blocks and never throws: activity rows are
 * diagnostics and must not fail, or slow down, the work they describe. What cannot be written is
 * counted and reported through the logger. After the host has stopped, writes are ignored.
 */
export interface ActivityLog {
  /** Inserts `[source] message` stamped with the host's TimeProvider. */
  write(source: string, message: string): void;
}

/** The DI token of the {@link ActivityLog} singleton. */
export const ActivityLogToken: Token<ActivityLog> = createToken<ActivityLog>('ActivityLog');
