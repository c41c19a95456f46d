/**
 * The cleanup on a cron schedule in cluster mode, on the real program: three replicas (two on
 * Node, one on Deno) against one private Redis, sharing one DATA_DIR, with CLEANUP_SCHEDULE every
 * two seconds. The first replica, which leads, is SIGKILLed; afterwards `cluster_runs` must show
 * each occurrence run at most once (one row per occurrence time), every row on the schedule's
 * grid, fencing tokens that never go down, and the schedule going on under a new leader.
 *
 * Skipped, with one line saying why, when redis-server is not on PATH.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterAll, describe, expect, it } from 'vitest';
import { type AppProcess, type AppRuntime, makeTempDataDir, pollUntil, startApp } from './app-process.ts';
import { redisUnavailableReason, startRedisServer } from './redis-server.ts';

const unavailable = redisUnavailableReason();
if (unavailable !== undefined) console.log(`[cluster schedule e2e] NOT RUN: ${unavailable}`);

const EVERY_MS = 2_000;

interface ClusterRunRow {
  readonly replica: string;
  readonly fencing_token: number;
  readonly started_at: number;
  readonly outcome: string | null;
}

function cleanupRuns(dataDir: string): ClusterRunRow[] {
  const database = new DatabaseSync(join(dataDir, 'app.db'), { readOnly: true });
  try {
    return database.prepare("SELECT replica, fencing_token, started_at, outcome FROM cluster_runs WHERE kind = 'cleanup' ORDER BY started_at, id").all() as unknown as ClusterRunRow[];
  } finally {
    database.close();
  }
}

describe.skipIf(unavailable !== undefined)('the scheduled cleanup in cluster mode (3 replicas, one Redis, one DATA_DIR)', () => {
  const cleanups: (() => PromiseLike<void>)[] = [];
  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });

  it(
    'runs each occurrence once across the replicas, under non-decreasing fencing tokens, through a SIGKILLed leader',
    async () => {
      const redis = await startRedisServer();
      cleanups.push(() => redis[Symbol.asyncDispose]());
      const dataDir = await makeTempDataDir();
      cleanups.push(() => rm(dataDir, { recursive: true, force: true, maxRetries: 3 }));
      const start = async (replica: string, runtime: AppRuntime): Promise<AppProcess> => {
        const app = await startApp({
          runtime,
          dataDir,
          env: { REDIS_URL: redis.url, REPLICA_ID: replica, SERVICES: 'cleanup', CLEANUP_SCHEDULE: '*/2 * * * * *', LEASE_TTL_MS: '2000', LOG_FORMAT: 'json' },
          startTimeoutMs: 90_000,
        });
        cleanups.push(() => app.dispose());
        return app;
      };
      // r0 starts alone, so it leads: killing it forces a failover.
      const r0 = await start('r0', 'node');
      await pollUntil(() => (cleanupRuns(dataDir).some((row) => row.replica === 'r0') ? true : undefined), {
        timeoutMs: 30_000,
        description: `a scheduled cleanup on r0\n${r0.output().slice(-2000)}`,
      });
      const [r1, r2] = await Promise.all([start('r1', 'node'), start('r2', 'deno')]);
      const status = (await (await r0.fetch('/status')).json()) as { services: { cleanup: { schedule: string; nextRun: string | null } } };
      expect(status.services.cleanup.schedule).toBe('*/2 * * * * *');
      expect(Date.parse(status.services.cleanup.nextRun ?? '') % EVERY_MS).toBe(0);
      // Two more occurrences with three replicas up, then the leader dies without releasing its lease.
      const before = cleanupRuns(dataDir).length;
      await pollUntil(() => (cleanupRuns(dataDir).length >= before + 2 ? true : undefined), {
        timeoutMs: 30_000,
        description: `two more scheduled cleanups\n${r0.output().slice(-2000)}`,
      });
      r0.kill('SIGKILL');
      const killedAt = Date.now();
      await r0.waitForExit(30_000);
      await pollUntil(
        () => (cleanupRuns(dataDir).filter((row) => row.replica !== 'r0' && row.started_at > killedAt).length >= 3 ? true : undefined),
        { timeoutMs: 60_000, description: `three scheduled cleanups on a new leader\n${r1.output().slice(-2000)}\n${r2.output().slice(-2000)}` },
      );
      for (const app of [r1, r2]) app.kill('SIGTERM');
      for (const app of [r1, r2]) expect(await app.waitForExit(60_000)).toEqual({ code: 0, signal: null });

      const rows = cleanupRuns(dataDir);
      const times = rows.map((row) => row.started_at);
      // One row per occurrence: no occurrence ran twice, on any replica.
      expect(new Set(times).size).toBe(rows.length);
      // Every row is an occurrence of the schedule (it records the occurrence time, not the start).
      expect(times.filter((time) => time % EVERY_MS !== 0)).toEqual([]);
      // While a leader lives, it misses none: r0's runs and the new leader's are each on consecutive
      // occurrences; only the failover gap (the lease's time-to-live) may be one catch-up run.
      const gaps = (list: readonly ClusterRunRow[]): number[] => list.slice(1).map((row, i) => row.started_at - (list[i]?.started_at ?? 0));
      expect(gaps(rows.filter((row) => row.replica === 'r0')).filter((gap) => gap !== EVERY_MS)).toEqual([]);
      expect(gaps(rows.filter((row) => row.started_at > killedAt)).filter((gap) => gap !== EVERY_MS)).toEqual([]);
      // Fencing tokens never go down along the schedule, and the new leader's are greater.
      const tokens = rows.map((row) => row.fencing_token);
      expect(tokens).toEqual([...tokens].sort((a, b) => a - b));
      const r0Tokens = rows.filter((row) => row.replica === 'r0').map((row) => row.fencing_token);
      const after = rows.filter((row) => row.started_at > killedAt);
      expect(after.every((row) => row.replica !== 'r0' && row.fencing_token > Math.max(...r0Tokens))).toBe(true);
      // Every run of the replicas that stopped cleanly ended (r0's last may have been cut by the kill).
      expect(rows.filter((row) => row.replica !== 'r0' && row.outcome === null)).toEqual([]);
    },
    240_000,
  );
});
