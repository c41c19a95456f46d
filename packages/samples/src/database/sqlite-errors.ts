/**
 * What a node:sqlite error means for the caller. Node sets `errcode` (the SQLite result code);
 * Deno 2.9's node:sqlite does not, so the message (SQLite's own `sqlite3_errstr` text) decides there.
 *
 * - `busy`: another connection holds the lock (SQLITE_BUSY, SQLITE_LOCKED): try again shortly.
 * - `full`: the disk or the quota is full (SQLITE_FULL): try again once space is back.
 * - `corrupt`: the file is not a database or is damaged (SQLITE_NOTADB, SQLITE_CORRUPT).
 * - `io`: the operating system refused a read or a write (SQLITE_IOERR, SQLITE_CANTOPEN, SQLITE_READONLY, SQLITE_PERM).
 * - `other`: a bug or a schema change (a missing table): retrying will not help.
 */
export type SqliteErrorKind = 'busy' | 'full' | 'corrupt' | 'io' | 'other';

const BY_CODE: Readonly<Record<number, SqliteErrorKind>> = { 5: 'busy', 6: 'busy', 13: 'full', 26: 'corrupt', 11: 'corrupt', 10: 'io', 14: 'io', 8: 'io', 3: 'io' };

const BY_MESSAGE: readonly (readonly [RegExp, SqliteErrorKind])[] = [
  [/database( table)? is locked|database is busy/i, 'busy'],
  [/database or disk is full|disk is full|no space left/i, 'full'],
  [/file is not a database|disk image is malformed|file is encrypted/i, 'corrupt'],
  [/disk I\/O error|unable to open database|attempt to write a readonly database|access permission denied/i, 'io'],
];

/** Classifies `error` (anything a node:sqlite call threw). */
export function sqliteErrorKind(error: unknown): SqliteErrorKind {
  const code = (error as { errcode?: unknown } | null)?.errcode;
  // The primary result code is the low byte of an extended one (SQLITE_IOERR_WRITE = 778 → 10).
  if (typeof code === 'number') return BY_CODE[code & 0xff] ?? 'other';
  const message = error instanceof Error ? error.message : String(error);
  for (const [pattern, kind] of BY_MESSAGE) if (pattern.test(message)) return kind;
  return 'other';
}
