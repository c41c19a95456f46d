import { createToken, type Token } from '@hostkit/core';
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import { openAppDatabase } from './app-database.ts';

/** One run of a cluster singleton (a cleanup, a weather refresh), as recorded in `cluster_runs`. */
export interface ClusterRun {
  readonly id: number;
  /** What ran: `cleanup`, `weather`. */
  readonly kind: string;
  /** REPLICA_ID of the replica that ran it. */
  readonly replica: string;
  /** The fencing token of the lease it ran under. */
  readonly fencingToken: number;
  /** Epoch ms. */
  readonly startedAt: number;
  /** Epoch ms; null while running, or when the replica died before it finished. */
  readonly endedAt: number | null;
  /** `ok`, `failed: ...`, `interrupted`; null until it ended. */
  readonly outcome: string | null;
}

/** Why {@link SqliteClusterRunLog.begin} refused a run. */
export type RunRefusal =
  /** A run under a greater fencing token was recorded: this replica's lease is stale. */
  | { readonly ok: false; readonly reason: 'stale-token'; readonly highestToken: number }
  /** The last run started less than the minimum spacing ago: not due yet. */
  | { readonly ok: false; readonly reason: 'too-soon'; readonly dueAt: number };

/**
 * The record of cluster-singleton runs in DATA_DIR/app.db (`cluster_runs`), shared by every
 * replica of the cluster because they share DATA_DIR. It is the FENCED resource of the samples:
 * a run is only recorded when its fencing token is at least the greatest one recorded for that
 * kind, so a replica that lost its lease without noticing (a long pause) is refused. It is also the
 * SCHEDULE of work that must happen once per interval across the cluster: a new leader waits for
 * `last start + interval`, whenever the previous leader died.
 *
 * Synchronous (node:sqlite); each claim is one `BEGIN IMMEDIATE` transaction, so two processes
 * cannot both pass the checks.
 */
export class SqliteClusterRunLog implements Disposable {
  readonly #database: DatabaseSync;
  readonly #last: StatementSync;
  readonly #insert: StatementSync;
  readonly #end: StatementSync;
  readonly #list: StatementSync;
  readonly #latest: StatementSync;
  readonly #resume: StatementSync;

  /** @throws what `openAppDatabase` throws. */
  constructor(dataDir: string) {
    this.#database = openAppDatabase(dataDir);
    this.#last = this.#database.prepare(
      'SELECT MAX(fencing_token) AS token, MAX(started_at) AS started FROM cluster_runs WHERE kind = ?',
    );
    this.#insert = this.#database.prepare(
      'INSERT INTO cluster_runs (kind, replica, fencing_token, started_at, ended_at, outcome) VALUES (?, ?, ?, ?, ?, ?)',
    );
    this.#end = this.#database.prepare('UPDATE cluster_runs SET ended_at = ?, outcome = ? WHERE id = ?');
    this.#list = this.#database.prepare(
      'SELECT id, kind, replica, fencing_token AS fencingToken, started_at AS startedAt, ended_at AS endedAt, outcome FROM cluster_runs WHERE kind = ? ORDER BY started_at, id',
    );
    this.#latest = this.#database.prepare(
      'SELECT id, kind, replica, fencing_token AS fencingToken, started_at AS startedAt, ended_at AS endedAt, outcome FROM cluster_runs WHERE kind = ? ORDER BY started_at DESC, id DESC LIMIT 1',
    );
    this.#resume = this.#database.prepare('UPDATE cluster_runs SET replica = ?, fencing_token = ? WHERE id = ? AND ended_at IS NULL');
  }

  /** Epoch ms of the last recorded start of `kind`, or undefined when it never ran. */
  lastStartedAt(kind: string): number | undefined {
    const row = this.#last.get(kind) as { started: number | bigint | null } | undefined;
    return row?.started === null || row?.started === undefined ? undefined : Number(row.started);
  }

  /**
   * Records the start of a run of `kind` at `now`, unless a greater fencing token was recorded for
   * it, or its last run started less than `minSpacingMs` before `now`.
   * @returns the run's id (pass it to {@link end}), or why it must not run.
   */
  begin(kind: string, replica: string, fencingToken: number, now: number, minSpacingMs = 0): { readonly ok: true; readonly id: number } | RunRefusal {
    return this.#transaction(() => {
      const refusal = this.#check(kind, fencingToken, now, minSpacingMs);
      if (refusal !== undefined) return refusal;
      const { lastInsertRowid } = this.#insert.run(kind, replica, fencingToken, now, null, null);
      return { ok: true, id: Number(lastInsertRowid) };
    });
  }

  /** Records the end of run `id`. */
  end(id: number, now: number, outcome: string): void {
    this.#end.run(now, outcome, id);
  }

  /**
   * Records a whole run at once (start and end), under the same fencing rule as {@link begin}
   * (no spacing rule): for short runs such as a weather refresh.
   * @returns false when a greater fencing token was recorded for `kind` (nothing is written).
   */
  record(kind: string, replica: string, fencingToken: number, startedAt: number, endedAt: number, outcome: string): boolean {
    return this.#transaction(() => {
      if (this.#check(kind, fencingToken, startedAt, 0) !== undefined) return false;
      this.#insert.run(kind, replica, fencingToken, startedAt, endedAt, outcome);
      return true;
    });
  }

  /** The run of `kind` that started last, or undefined when it never ran. */
  latest(kind: string): ClusterRun | undefined {
    const row = this.#latest.get(kind) as unknown as ClusterRun | undefined;
    return row === undefined ? undefined : toRun(row);
  }

  /**
   * Takes over run `id`, which its replica started and never ended (it died mid-run), to run it
   * again: records it under `replica` and `fencingToken`, in place (still one row per start), unless
   * a greater fencing token was recorded for `kind` or the run has ended meanwhile.
   * @returns `resumed` (run it, then {@link end} it), `stale-token`, or `ended` (do not run it).
   */
  resume(kind: string, id: number, replica: string, fencingToken: number): 'resumed' | 'stale-token' | 'ended' {
    return this.#transaction(() => {
      if (this.#check(kind, fencingToken, Number.POSITIVE_INFINITY, 0)?.reason === 'stale-token') return 'stale-token';
      return Number(this.#resume.run(replica, fencingToken, id).changes) === 1 ? 'resumed' : 'ended';
    });
  }

  /** Every run of `kind`, oldest first. */
  list(kind: string): ClusterRun[] {
    return (this.#list.all(kind) as unknown as ClusterRun[]).map(toRun);
  }

  /** Closes the connection. Idempotent. */
  [Symbol.dispose](): void {
    if (this.#database.isOpen) this.#database.close();
  }

  #check(kind: string, fencingToken: number, now: number, minSpacingMs: number): RunRefusal | undefined {
    const row = this.#last.get(kind) as { token: number | bigint | null; started: number | bigint | null } | undefined;
    const highestToken = row?.token === null || row?.token === undefined ? undefined : Number(row.token);
    if (highestToken !== undefined && fencingToken < highestToken) return { ok: false, reason: 'stale-token', highestToken };
    const started = row?.started === null || row?.started === undefined ? undefined : Number(row.started);
    if (started !== undefined && now < started + minSpacingMs) return { ok: false, reason: 'too-soon', dueAt: started + minSpacingMs };
    return undefined;
  }

  #transaction<T>(body: () => T): T {
    // IMMEDIATE: take the write lock (waiting up to the busy timeout) before reading, so that the
    // check and the insert are one atomic step across processes.
    this.#database.exec('BEGIN IMMEDIATE');
    try {
      const result = body();
      this.#database.exec('COMMIT');
      return result;
    } catch (error) {
      if (this.#database.isTransaction) this.#database.exec('ROLLBACK');
      throw error;
    }
  }
}

/** A `cluster_runs` row with its numbers as numbers (SQLite may return bigints). */
function toRun(row: ClusterRun): ClusterRun {
  return {
    ...row,
    id: Number(row.id),
    fencingToken: Number(row.fencingToken),
    startedAt: Number(row.startedAt),
    endedAt: row.endedAt === null ? null : Number(row.endedAt),
  };
}

/** The DI token of the {@link SqliteClusterRunLog} singleton (cluster mode only). */
export const ClusterRunLogToken: Token<SqliteClusterRunLog> = createToken<SqliteClusterRunLog>('ClusterRunLog');
