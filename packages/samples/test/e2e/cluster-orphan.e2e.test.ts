/**
 * The window between claiming an inbox file and enqueuing it, on the real program in cluster mode:
 * a replica renames an inbox file into `claimed/` (so no other replica will ever take it), then
 * dies before its work-queue entry exists. Nothing but the orphan sweep knows about that file; the
 * test holds the window open by stopping Redis before the file is dropped (the claim succeeds, the
 * enqueue fails and is retried), SIGKILLs the replica inside it, brings Redis back and starts
 * another replica, which must sweep the file up and process it once, as an inbox file under its
 * own name. The activity rows tell the story: claimed by r0, never queued, requeued and processed
 * by r1.
 *
 * Skipped, with one line saying why, when redis-server is not on PATH.
 */
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterAll, describe, expect, it } from 'vitest';
import { dirs, dropFiles, list } from '../file-processing/e2e-support.ts';
import { type AppProcess, type AppRuntime, makeTempDataDir, pollUntil, RUNTIMES, startApp } from './app-process.ts';
import { redisUnavailableReason, startRedisServer } from './redis-server.ts';

const unavailable = redisUnavailableReason();
if (unavailable !== undefined) console.log(`[cluster orphan e2e] NOT RUN: ${unavailable}`);

function activityRows(dataDir: string): string[] {
  const database = new DatabaseSync(join(dataDir, 'app.db'), { readOnly: true });
  try {
    return (database.prepare("SELECT message FROM logs WHERE message LIKE '[files] %' ORDER BY id").all() as { message: string }[]).map(
      (row) => row.message,
    );
  } finally {
    database.close();
  }
}

describe.skipIf(unavailable !== undefined).each(RUNTIMES)('a replica killed between claiming an inbox file and enqueuing it, on %s', (runtime: AppRuntime) => {
  const cleanups: (() => PromiseLike<void>)[] = [];
  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });

  it(
    "leaves the file in claimed/ with no entry, and another replica's orphan sweep has it processed once, as an inbox file under its own name",
    async () => {
      const redis = await startRedisServer();
      cleanups.push(() => redis[Symbol.asyncDispose]());
      const dataDir = await makeTempDataDir();
      cleanups.push(() => rm(dataDir, { recursive: true, force: true, maxRetries: 3 }));
      const { inbox, outbox, failed } = dirs(dataDir);
      const claimed = join(dataDir, 'claimed');
      const start = async (replica: string): Promise<AppProcess> => {
        const app = await startApp({
          runtime,
          dataDir,
          env: {
            REDIS_URL: redis.url,
            REPLICA_ID: replica,
            LEASE_TTL_MS: '1000',
            // Orphans are files older than 2 * this: 2 s.
            WORK_VISIBILITY_TIMEOUT_MS: '1000',
            ORPHAN_SWEEP_INTERVAL_MS: '500',
            SERVICES: 'files',
            LOG_FORMAT: 'json',
          },
          startTimeoutMs: 90_000,
        });
        cleanups.push(() => app.dispose());
        return app;
      };

      const r0 = await start('r0');
      await redis.stop();
      const [[name, hash]] = [...(await dropFiles(inbox, 1, 'orphan'))] as [[string, string]];
      // r0 claims the file (the rename does not need Redis), then cannot enqueue it: the window.
      const enqueueFailed = new RegExp(`Could not enqueue claimed/([^ ]+--${name.replaceAll('.', '\\.')});`);
      const claimedName = (await r0.waitForOutput(enqueueFailed, 30_000))[1]!;
      expect(await list(inbox)).toEqual([]);
      expect(await list(claimed)).toEqual([claimedName]);
      r0.kill('SIGKILL');
      expect(await r0.exited).toEqual({ code: null, signal: 'SIGKILL' });
      await redis.start();
      // Nothing in the queue knows about the file: only what is in DATA_DIR does.
      expect(redis.cli('XLEN', 'hostkit-samples:queue:{samples-files}:stream')).toBe('0');

      const r1 = await start('r1');
      const resultName = `${claimedName}.result.json`;
      await pollUntil(async () => ((await list(outbox)).includes(resultName) && (await list(claimed)).length === 0 ? true : undefined), {
        timeoutMs: 60_000,
        intervalMs: 100,
        description: `the result of ${claimedName}\n${r1.output().slice(-4000)}`,
      });
      const result = JSON.parse(await readFile(join(outbox, resultName), 'utf8')) as Record<string, unknown>;
      expect(result).toMatchObject({ input: claimedName, originalName: name, source: 'inbox', sha256: hash });
      expect(await list(outbox)).toEqual([resultName]);
      expect(await list(failed)).toEqual([]);

      // Claimed by r0, never queued by it; enqueued again by r1's sweep, and that entry processed.
      const rows = activityRows(dataDir).filter((row) => row.includes(claimedName));
      expect(rows[0]).toBe(`[files] claimed ${name} as claimed/${claimedName} replica=r0`);
      expect(rows.filter((row) => row.startsWith('[files] queued '))).toEqual([]);
      const requeued = rows.map((row) => /^\[files\] requeued claimed\/\S+ entry=(\S+) replica=r1$/.exec(row)?.[1]).filter((id) => id !== undefined);
      expect(requeued.length).toBeGreaterThanOrEqual(1);
      const processed = rows.filter((row) => row.startsWith('[files] processed '));
      expect(processed).toEqual([expect.stringMatching(new RegExp(`^\\[files\\] processed ${claimedName.replaceAll('.', '\\.')} entry=(${requeued.join('|')}) delivery=1 replica=r1 `))]);

      r1.kill('SIGTERM');
      expect(await r1.waitForExit(60_000)).toEqual({ code: 0, signal: null });
    },
    240_000,
  );
});
