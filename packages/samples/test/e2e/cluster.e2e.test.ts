/**
 * Cluster mode on the real program: three replicas (two on Node, one on Deno) against one private
 * Redis, sharing one DATA_DIR.
 *
 * - 1,000 uploads spread over the replicas by a client that retries on connection errors and 503
 *   (as a real client would), plus files dropped into the shared inbox;
 * - the first replica (the leader of the weather refresh and the cleanup, since it starts alone,
 *   and a slow processor, so that it always holds entries) is SIGKILLed after ~300 accepted
 *   uploads, once its /status shows entries in progress; Redis is restarted (SIGTERM, AOF flushed) after ~600;
 * - then: every accepted upload and every inbox file has exactly one result and none failed, no
 *   input is left in the inbox, in `claimed/` or in `uploads/` (what r0 had claimed or accepted and
 *   not yet enqueued when it died was found by the orphan sweep), the queue is empty, the killed replica's in-flight entries were redelivered and finished by
 *   others, cleanup runs are spaced by the interval across the cluster under non-decreasing
 *   fencing tokens, and weather refreshes never overlapped.
 *
 * Skipped, with one line saying why, when redis-server is not on PATH.
 */
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterAll, describe, expect, it } from 'vitest';
import { dirs, dropFiles, list, sha256 } from '../file-processing/e2e-support.ts';
import { type AppProcess, type AppRuntime, makeTempDataDir, pollUntil, startApp } from './app-process.ts';
import { redisUnavailableReason, startRedisServer } from './redis-server.ts';

const unavailable = redisUnavailableReason();
if (unavailable !== undefined) console.log(`[cluster e2e] NOT RUN: ${unavailable}`);

const UPLOADS = 1_000;
const IN_FLIGHT = 24;
const KILL_AFTER = 300;
const RESTART_REDIS_AFTER = 600;
const INBOX_FILES = 60;
const CLEANUP_INTERVAL_MS = 1_500;
const LEASE_TTL_MS = 2_000;
const WEATHER_REFRESH_MS = 1_000;
/** FILE_PROCESSING_DELAY_MS of r0 (20 ms on the others): it holds entries in flight whenever it is killed. */
const R0_PROCESSING_DELAY_MS = 400;

interface Accepted {
  readonly name: string;
  readonly originalName: string;
  readonly sha256: string;
}

interface ClusterRunRow {
  readonly replica: string;
  readonly fencing_token: number;
  readonly started_at: number;
  readonly ended_at: number | null;
  readonly outcome: string | null;
}

function readTable<T>(dataDir: string, sql: string): T[] {
  const database = new DatabaseSync(join(dataDir, 'app.db'), { readOnly: true });
  try {
    return database.prepare(sql).all() as T[];
  } finally {
    database.close();
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

describe.skipIf(unavailable !== undefined)('the samples program in cluster mode (3 replicas, one Redis, one DATA_DIR)', () => {
  const cleanups: (() => PromiseLike<void>)[] = [];
  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });

  it(
    'processes every upload and inbox file exactly once through a SIGKILLed replica and a Redis restart, with singletons one at a time',
    async () => {
      const startedAt = Date.now();
      const redis = await startRedisServer();
      cleanups.push(() => redis[Symbol.asyncDispose]());
      const dataDir = await makeTempDataDir();
      cleanups.push(() => rm(dataDir, { recursive: true, force: true, maxRetries: 3 }));
      const { inbox, outbox, failed, uploads: uploadsDir } = dirs(dataDir);

      const env = (replica: string, processingDelayMs = 20): Record<string, string> => ({
        REDIS_URL: redis.url,
        REPLICA_ID: replica,
        WEATHER_REFRESH_MS: String(WEATHER_REFRESH_MS),
        CLEANUP_INTERVAL_MS: String(CLEANUP_INTERVAL_MS),
        LEASE_TTL_MS: String(LEASE_TTL_MS),
        WORK_VISIBILITY_TIMEOUT_MS: '4000',
        WORK_CONCURRENCY: '4',
        // Files r0 stored and was killed before enqueuing (orphans) are enqueued again by the sweep:
        // at most this long after they are 2 * WORK_VISIBILITY_TIMEOUT_MS old.
        ORPHAN_SWEEP_INTERVAL_MS: '1000',
        FILE_PROCESSING_DELAY_MS: String(processingDelayMs),
        LOG_FORMAT: 'json',
      });
      const start = async (replica: string, runtime: AppRuntime, processingDelayMs?: number): Promise<AppProcess> => {
        const app = await startApp({ runtime, dataDir, env: env(replica, processingDelayMs), startTimeoutMs: 90_000 });
        cleanups.push(() => app.dispose());
        return app;
      };

      // r0 starts alone, so it leads the weather refresh and the cleanup: killing it forces a failover.
      // It takes R0_PROCESSING_DELAY_MS per file, so that it always holds entries when it is killed.
      const r0 = await start('r0', 'node', R0_PROCESSING_DELAY_MS);
      await pollUntil(async () => ((await r0.fetch('/weather')).status === 200 ? true : undefined), {
        timeoutMs: 30_000,
        description: `the first forecast on r0\n${r0.output()}`,
      });
      const [r1, r2] = await Promise.all([start('r1', 'node'), start('r2', 'deno')]);
      // Every replica serves the forecast from the shared cache, though only r0 fetched it.
      for (const app of [r1, r2]) expect((await app.fetch('/weather')).status).toBe(200);

      const inboxExpected = await dropFiles(inbox, INBOX_FILES, 'dropped');
      const droppedAt = Date.now();

      // The client: IN_FLIGHT workers, each taking the next file and posting it to a live replica,
      // retrying (on another replica) on connection errors and 503.
      const live: AppProcess[] = [r0, r1, r2];
      const accepted = new Map<string, Accepted>();
      /** Attempts whose outcome the client never learnt (the connection died): may have been accepted. */
      const unknownByName = new Map<string, number>();
      let next = 0;
      let rejectedBusy = 0;
      let connectionErrors = 0;
      let killed = false;
      let r0KilledAt = Number.NaN;
      let redisRestart: Promise<void> | undefined;
      const milestones = async (): Promise<void> => {
        if (!killed && accepted.size >= KILL_AFTER) {
          killed = true;
          // Only once r0 has finished some entries and is handling others (the latter is what the
          // redelivery check below needs; the slow processing makes it near certain, this makes it sure).
          await pollUntil(
            async () => {
              const status = (await (await r0.fetch('/status')).json()) as { services: { files: { processed: number; inProgress: number } } };
              return status.services.files.processed > 0 && status.services.files.inProgress > 0 ? true : undefined;
            },
            { timeoutMs: 20_000, intervalMs: 20, description: `r0 busy with entries\n${r0.output().slice(-2000)}` },
          );
          live.splice(live.indexOf(r0), 1);
          r0KilledAt = Date.now();
          r0.kill('SIGKILL');
        }
        if (redisRestart === undefined && accepted.size >= RESTART_REDIS_AFTER) {
          redisRestart = (async () => {
            await redis.stop();
            await redis.start();
          })();
        }
      };
      const worker = async (): Promise<void> => {
        for (let index = next++; index < UPLOADS; index = next++) {
          const originalName = `up-${String(index).padStart(4, '0')}.txt`;
          const content = `upload ${index}\n${sha256(String(Math.random()))} words here\n`;
          for (let attempt = 0; ; attempt++) {
            const app = live[(index + attempt) % live.length]!;
            const form = new FormData();
            form.append('file', new Blob([content]), originalName);
            let response: Response;
            try {
              response = await app.fetch('/upload', { method: 'POST', body: form, signal: AbortSignal.timeout(20_000) });
            } catch {
              connectionErrors++;
              unknownByName.set(originalName, (unknownByName.get(originalName) ?? 0) + 1);
              await sleep(50 + Math.random() * 100);
              continue;
            }
            const body = (await response.json().catch(() => ({}))) as Record<string, unknown>;
            if (response.status === 202) {
              accepted.set(String(body['id']), { name: String(body['name']), originalName, sha256: sha256(content) });
              await milestones();
              break;
            }
            if (response.status !== 503) throw new Error(`upload answered ${response.status}: ${JSON.stringify(body)}`);
            rejectedBusy++;
            await sleep(100 + Math.random() * 200);
          }
        }
      };
      await Promise.all(Array.from({ length: IN_FLIGHT }, () => worker()));
      await redisRestart;
      const uploadsDoneAt = Date.now();
      expect(accepted.size).toBeGreaterThanOrEqual(UPLOADS);
      expect(await r0.exited).toEqual({ code: null, signal: 'SIGKILL' });

      const claimedDir = join(dataDir, 'claimed');
      /** Accepted uploads still in uploads/ (not the staging files of uploads r0 died receiving). */
      const storedUploads = async (): Promise<string[]> => (await list(uploadsDir)).filter((name) => !name.endsWith('.partial') && !name.startsWith('.'));
      let drainedAt = Number.NaN;
      /** What a failure needs to tell a lost file from a late or misreported one. */
      const diagnose = async (names: readonly string[]): Promise<string> => {
        const lines: string[] = [];
        for (const name of names) {
          lines.push(`--- ${name}`);
          const rows = readTable<{ created_at: number; message: string }>(
            dataDir,
            `SELECT created_at, message FROM logs WHERE message LIKE '%${name.replaceAll("'", "''")}%' ORDER BY id`,
          );
          lines.push(`activity rows (${rows.length}):`, ...rows.map((row) => `  ${new Date(row.created_at).toISOString()} ${row.message}`));
          const matching = (entries: string[]): string[] => entries.filter((entry) => entry.includes(name));
          lines.push(`inbox/: ${JSON.stringify(matching(await list(inbox)))}, claimed/: ${JSON.stringify(matching(await list(claimedDir)))}`);
          lines.push(`outbox/: ${JSON.stringify(matching(await list(outbox)))}, failed/: ${JSON.stringify(matching(await list(failed)))}`);
          for (const [label, app] of [['r0', r0], ['r1', r1], ['r2', r2]] as const) {
            const output = app.output().split('\n').filter((line) => line.includes(name));
            lines.push(`${label} output (${output.length} lines):`, ...output.map((line) => `  ${line.slice(0, 600)}`));
          }
        }
        lines.push(`claimed/: ${JSON.stringify(await list(claimedDir))}`);
        lines.push(`uploads/ (accepted): ${JSON.stringify(await storedUploads())}`);
        lines.push(`failed/: ${JSON.stringify(await list(failed))}`);
        for (const [label, app] of [['r1', r1], ['r2', r2]] as const) {
          for (const path of ['/queue', '/status']) {
            const body = await app.fetch(path).then(
              (response) => response.text(),
              (error: unknown) => `unreachable: ${String(error)}`,
            );
            lines.push(`${label} ${path}: ${body.replaceAll(/\s+/g, ' ').slice(0, 3000)}`);
          }
        }
        lines.push(`XPENDING: ${redis.cli('XPENDING', 'hostkit-samples:queue:{samples-files}:stream', 'hostkit')}`);
        lines.push(
          `ms since the start: inbox files dropped ${droppedAt - startedAt}, r0 killed ${r0KilledAt - startedAt}, ` +
            `uploads done ${uploadsDoneAt - startedAt}, drained ${drainedAt - startedAt}`,
        );
        return lines.join('\n');
      };

      // Done when every accepted upload has its result, and no input is left anywhere: not in the
      // inbox, not claimed, not accepted in uploads/ (an inbox file or upload that r0 stored and did
      // not get to enqueue before it was killed has NO queue entry until the orphan sweep finds it,
      // so an empty queue alone does not mean that every input was processed), and the queue is drained.
      const queue = await pollUntil(
        async () => {
          const names = new Set(await list(outbox));
          const missing = [...accepted.values()].filter((upload) => !names.has(`${upload.name}.result.json`)).length;
          if (missing > 0 || (await list(inbox)).length > 0 || (await list(claimedDir)).length > 0 || (await storedUploads()).length > 0) return undefined;
          const queue = (await (await r1.fetch('/queue')).json()) as { waiting: number; inFlight: number; dead: number };
          return queue.waiting === 0 && queue.inFlight === 0 ? queue : undefined;
        },
        { timeoutMs: 90_000, intervalMs: 250, description: 'every result and an empty queue' },
      ).catch(async (error: unknown) => {
        throw new Error(`${error instanceof Error ? error.message : String(error)}\n${await diagnose([])}\n${r1.output().slice(-4000)}`);
      });
      drainedAt = Date.now();

      // Exactly one result per accepted upload, with the right content; nothing failed.
      const results = new Map<string, { input: string; originalName: string; source: string; sha256: string }>();
      for (const name of await list(outbox)) {
        if (!name.endsWith('.result.json')) continue;
        results.set(name, JSON.parse(await readFile(join(outbox, name), 'utf8')) as { input: string; originalName: string; source: string; sha256: string });
      }
      for (const upload of accepted.values()) expect(results.get(`${upload.name}.result.json`)?.sha256).toBe(upload.sha256);
      const byOriginal = new Map<string, number>();
      for (const result of results.values()) byOriginal.set(result.originalName, (byOriginal.get(result.originalName) ?? 0) + 1);
      // A name has more than one result only when an attempt whose answer was lost was processed too.
      const problems: string[] = [];
      for (let index = 0; index < UPLOADS; index++) {
        const originalName = `up-${String(index).padStart(4, '0')}.txt`;
        const count = byOriginal.get(originalName) ?? 0;
        if (count < 1 || count > 1 + (unknownByName.get(originalName) ?? 0)) problems.push(`${originalName}: ${count} results`);
      }
      // Every inbox file was claimed once: exactly one result each.
      for (const [name, hash] of inboxExpected) {
        const matching = [...results.values()].filter((result) => result.source === 'inbox' && result.originalName === name);
        if (matching.length !== 1 || matching[0]?.sha256 !== hash) problems.push(`inbox ${name}: ${matching.length} results`);
      }
      const problemNames = problems.map((problem) => problem.replace(/^inbox /, '').replace(/: \d+ results$/, ''));
      const diagnostics = problems.length === 0 ? '' : await diagnose(problemNames.slice(0, 10));
      expect(problems, `inputs without exactly one result\n${diagnostics}`).toEqual([]);
      expect(await list(failed)).toEqual([]);
      expect(queue.dead).toBe(0);
      // Straight from Redis too: no entry is pending in the stream's consumer group.
      expect(redis.cli('XPENDING', 'hostkit-samples:queue:{samples-files}:stream', 'hostkit')).toMatch(/^0\b/);

      // The entries r0 had taken and not finished when it was killed went to another replica.
      const activity = readTable<{ message: string }>(dataDir, "SELECT message FROM logs WHERE message LIKE '[files] %entry=%' ORDER BY id");
      const events = activity.map(({ message }) => {
        const match = /^\[files\] (took|processed|already done|gone|failed) (\S+) entry=(\S+) delivery=(\d+) replica=(\S+)/.exec(message);
        return match === null ? undefined : { event: match[1]!, file: match[2]!, entry: match[3]!, delivery: Number(match[4]), replica: match[5]! };
      });
      const finishedBy = new Map<string, { delivery: number; replica: string }[]>();
      const takenByR0 = new Map<string, number>();
      for (const event of events) {
        if (event === undefined) continue;
        if (event.event === 'took') {
          if (event.replica === 'r0') takenByR0.set(event.entry, event.delivery);
        } else {
          finishedBy.set(event.entry, [...(finishedBy.get(event.entry) ?? []), { delivery: event.delivery, replica: event.replica }]);
        }
      }
      // Every replica took part, the Deno one included.
      expect(new Set(events.filter((event) => event?.event === 'processed').map((event) => event?.replica))).toEqual(new Set(['r0', 'r1', 'r2']));
      expect(((await (await r2.fetch('/status')).json()) as { runtime: string }).runtime).toBe('deno');
      // The survivors saw Redis go away and come back (logged once each way), and carried on.
      for (const app of [r1, r2]) expect(app.output()).toMatch(/Redis connection restored/);
      // Three processes writing one app.db (WAL + busy timeout): no activity row was lost to a lock.
      for (const app of [r1, r2]) expect(app.output()).not.toMatch(/Could not write an activity row/);
      const inFlightAtKill = [...takenByR0].filter(([entry]) => !(finishedBy.get(entry) ?? []).some((finish) => finish.replica === 'r0'));
      expect(inFlightAtKill.length).toBeGreaterThan(0);
      for (const [entry, delivery] of inFlightAtKill) {
        // Entry `entry`, taken by r0 at delivery `delivery`, was finished by another replica later.
        expect((finishedBy.get(entry) ?? []).some((finish) => finish.replica !== 'r0' && finish.delivery > delivery)).toBe(true);
      }

      // Another replica took each of r0's leases over within one lease period of r0's death (the
      // lease lived at most LEASE_TTL_MS after r0's last renewal; the margin is for a busy machine).
      for (const lease of ['samples:cleanup', 'samples:weather']) {
        const takeovers = [r1, r2]
          .flatMap((app) => app.output().split('\n'))
          .filter((line) => line.includes(`is the leader of \\"${lease}\\"`))
          .map((line) => Date.parse((JSON.parse(line) as { timestamp: string }).timestamp))
          .filter((at) => at > r0KilledAt);
        expect(takeovers.length, `a replica took over ${lease}`).toBeGreaterThan(0);
        expect(Math.min(...takeovers) - r0KilledAt, `takeover of ${lease} after r0 died, ms`).toBeLessThanOrEqual(LEASE_TTL_MS + 1_000);
      }

      // Stop the survivors cleanly: the leases are released, nothing faults.
      for (const app of [r1, r2]) app.kill('SIGTERM');
      for (const app of [r1, r2]) expect(await app.waitForExit(60_000)).toEqual({ code: 0, signal: null });

      // Cleanup: once per interval across the cluster, under non-decreasing fencing tokens, and
      // the leadership moved when r0 died.
      const cleanupRuns = readTable<ClusterRunRow>(dataDir, "SELECT * FROM cluster_runs WHERE kind = 'cleanup' ORDER BY started_at, id");
      expect(cleanupRuns.length).toBeGreaterThanOrEqual(3);
      for (let i = 1; i < cleanupRuns.length; i++) {
        const [previous, current] = [cleanupRuns[i - 1]!, cleanupRuns[i]!];
        expect(current.started_at - previous.started_at).toBeGreaterThanOrEqual(CLEANUP_INTERVAL_MS - 5);
        expect(current.fencing_token).toBeGreaterThanOrEqual(previous.fencing_token);
      }
      expect(new Set(cleanupRuns.map((run) => run.replica)).has('r0')).toBe(true);
      expect(new Set(cleanupRuns.map((run) => run.replica)).size).toBeGreaterThan(1);

      // Weather: refreshed by one replica at a time (no two refreshes overlap), tokens only grow.
      const weatherRuns = readTable<ClusterRunRow>(dataDir, "SELECT * FROM cluster_runs WHERE kind = 'weather' ORDER BY started_at, id");
      expect(weatherRuns.length).toBeGreaterThanOrEqual(3);
      for (let i = 1; i < weatherRuns.length; i++) {
        const [previous, current] = [weatherRuns[i - 1]!, weatherRuns[i]!];
        // Each refresh starts after the previous one ended: never two at once.
        expect(current.started_at).toBeGreaterThanOrEqual(previous.ended_at ?? Number.POSITIVE_INFINITY);
        expect(current.fencing_token).toBeGreaterThanOrEqual(previous.fencing_token);
      }
      expect(weatherRuns.at(-1)!.fencing_token).toBeGreaterThan(weatherRuns[0]!.fencing_token);

      console.log(
        `[cluster e2e] ${accepted.size} uploads accepted (${rejectedBusy} answered 503, ${connectionErrors} connection errors retried) in ` +
          `${uploadsDoneAt - startedAt} ms; drained at ${drainedAt - startedAt} ms; ${inFlightAtKill.length} entries redelivered from r0; ` +
          `${cleanupRuns.length} cleanups, ${weatherRuns.length} weather refreshes`,
      );
    },
    240_000,
  );
});
