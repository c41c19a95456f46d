import { createToken, type Token } from '@hostkit/core';

/**
 * Writes one row per thing a feature did into the shared `logs` table of DATA_DIR/app.db. A
 * singleton with its own connection; the cleanup sample later deletes the old rows.
 *
 * `write` is synchronous (node:sqlite is) and cheap (one prepared INSERT). It never throws: a
 * failed write is reported through the logger, because activity rows are diagnostics and must not
 * fail the work they describe. After the host has stopped, writes are ignored.
 */
export interface ActivityLog {
  /** Inserts `[source] message` stamped with the host's TimeProvider. */
  write(source: string, message: string): void;
}

/** The DI token of the {@link ActivityLog} singleton. */
export const ActivityLogToken: Token<ActivityLog> = createToken<ActivityLog>('ActivityLog');
