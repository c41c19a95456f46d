/**
 * What the real program answers in a bad environment, on Node and on Deno: a DATA_DIR it cannot
 * use, a second copy on the same port or the same DATA_DIR, a stale lock, a corrupt app.db. Each
 * refusal comes before anything starts, once, without a stack trace.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import process from 'node:process';
import { afterAll, describe, expect, it } from 'vitest';
import { readLogs } from '../helpers.ts';
import { filesStatus, upload } from '../file-processing/e2e-support.ts';
import { makeTempDataDir, NODE_BINARY, pollUntil, RUNTIMES, spawnApp, startApp } from './app-process.ts';

const TEST_TIMEOUT_MS = 180_000;
const EXIT_WAIT_MS = 60_000;
/** A line of a JavaScript stack trace. */
const STACK_LINE = /^\s+at /m;

const isRoot = process.getuid?.() === 0;
const readOnlyDirs: string[] = [];

/**
 * A directory this process cannot write to: as root (CI), permissions do not stop writes, so it is
 * a read-only tmpfs mount; otherwise a directory without write permission.
 */
async function readOnlyDir(): Promise<string> {
  const dir = await makeTempDataDir();
  readOnlyDirs.push(dir);
  if (isRoot) execFileSync('mount', ['-t', 'tmpfs', '-o', 'ro,size=1m', 'tmpfs', dir]);
  else execFileSync('chmod', ['0555', dir]);
  return dir;
}

afterAll(async () => {
  for (const dir of readOnlyDirs) {
    if (isRoot) spawnSync('umount', [dir]);
    else spawnSync('chmod', ['0755', dir]);
    await rm(dir, { recursive: true, force: true });
  }
});

describe.each(RUNTIMES)('a bad environment for the samples program on %s', (runtime) => {
  it(
    'refuses a bad CLEANUP_SCHEDULE before anything starts, naming the variable, the value and what was expected',
    async () => {
      await using app = await spawnApp({ runtime, env: { CLEANUP_SCHEDULE: '0 25 * * *' } });
      const exit = await app.waitForExit(EXIT_WAIT_MS);
      expect(exit).toEqual({ code: 2, signal: null });
      expect(app.stderr()).toContain(
        'CLEANUP_SCHEDULE must be a cron expression of 5 fields (minute hour day-of-month month day-of-week) or 6 (second first), e.g. "0 * * * *"; got "0 25 * * *"',
      );
      expect(app.stderr()).toContain('Nothing was started.');
      expect(app.output()).not.toMatch(STACK_LINE);
      expect(app.stdout()).not.toContain('listening on');
    },
    TEST_TIMEOUT_MS,
  );

  it.each([
    ['/proc/hostkit-data', 'a procfs path (Node used to loop for ever at 100% CPU)'],
    ['/sys/hostkit-data', 'a sysfs path'],
    ['read-only', 'a directory it cannot write to'],
  ])(
    'refuses DATA_DIR=%s (%s) as invalid configuration, with exit code 2 and no stack trace',
    async (dataDirName) => {
      const dataDir = dataDirName === 'read-only' ? join(await readOnlyDir(), 'data') : dataDirName;
      await using app = await spawnApp({ runtime, dataDir });
      const exit = await app.waitForExit(EXIT_WAIT_MS);
      expect(exit).toEqual({ code: 2, signal: null });
      expect(app.stderr()).toContain(`Invalid configuration:\n  - DATA_DIR must be a directory this program can create and write to; got ${JSON.stringify(dataDir)}`);
      expect(app.stderr()).toContain('Nothing was started.');
      expect(app.output()).not.toMatch(STACK_LINE);
      expect(app.stdout()).not.toContain('listening on');
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'refuses a second copy on the same port before it touches DATA_DIR, once and without a stack trace',
    async () => {
      await using first = await startApp({ runtime, env: { CLEANUP_INTERVAL_MS: '3600000' } });
      // The weather sample writes rows of its own whenever it refreshes: count only the rows a second host would add.
      const hostAndCleanupRows = (): number => readLogs(first.dataDir).filter((row) => /^\[(host|cleanup)\]/.test(row.message)).length;
      await pollUntil(() => (hostAndCleanupRows() === 2 ? true : undefined), { description: "the first copy's host and cleanup rows" });
      const rowsBefore = hostAndCleanupRows();
      await using second = await spawnApp({ runtime, dataDir: first.dataDir, env: { PORT: String(first.port) } });
      expect(await second.waitForExit(EXIT_WAIT_MS)).toEqual({ code: 1, signal: null });
      expect(second.stderr()).toContain(`Cannot start: PORT ${first.port} on 127.0.0.1 is already in use`);
      expect(second.stderr().match(/Cannot start/g)).toHaveLength(1);
      expect(second.output()).not.toMatch(STACK_LINE);
      expect(second.stdout()).not.toMatch(/Cleanup|watching/i);
      expect(hostAndCleanupRows()).toBe(rowsBefore);
      // The first copy still owns its lock and serves.
      expect((await first.fetch('/healthz')).status).toBe(200);
      expect(existsSync(join(first.dataDir, 'hostkit.lock'))).toBe(true);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'refuses a second single-process host on the same DATA_DIR, naming the owner, and removes its lock file when it stops',
    async () => {
      await using first = await startApp({ runtime });
      const lockFile = join(first.dataDir, 'hostkit.lock');
      expect(JSON.parse(readFileSync(lockFile, 'utf8'))).toMatchObject({ pid: first.pid });
      await using second = await spawnApp({ runtime, dataDir: first.dataDir });
      expect(await second.waitForExit(EXIT_WAIT_MS)).toEqual({ code: 1, signal: null });
      expect(second.stderr()).toContain(`Cannot start: DATA_DIR ${JSON.stringify(first.dataDir)} is in use by another samples process (pid ${first.pid} on `);
      expect(second.stderr()).toContain('cluster mode (REDIS_URL)');
      expect(second.output()).not.toMatch(STACK_LINE);
      first.kill('SIGTERM');
      expect(await first.waitForExit(EXIT_WAIT_MS)).toEqual({ code: 0, signal: null });
      expect(existsSync(lockFile)).toBe(false);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'takes over a lock left by a process that no longer runs',
    async () => {
      const dataDir = await makeTempDataDir();
      try {
        const dead = spawnSync(NODE_BINARY, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
        const deadPid = Number(dead.stdout);
        expect(deadPid).toBeGreaterThan(0);
        const { hostname } = await import('node:os');
        writeFileSync(join(dataDir, 'hostkit.lock'), JSON.stringify({ pid: deadPid, hostname: hostname(), startedAt: '2026-01-01T00:00:00.000Z' }));
        await using app = await startApp({ runtime, dataDir });
        expect(app.output()).toContain(`Took DATA_DIR's lock over from a lock left by pid ${deadPid}, which no longer runs`);
        expect(JSON.parse(readFileSync(join(dataDir, 'hostkit.lock'), 'utf8'))).toMatchObject({ pid: app.pid });
      } finally {
        await rm(dataDir, { recursive: true, force: true });
      }
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'starts with a corrupt app.db: moves it aside, reports the activity log degraded in /readyz, and keeps uploads and processing working',
    async () => {
      const dataDir = await makeTempDataDir();
      try {
        mkdirSync(dataDir, { recursive: true });
        const garbage = 'this is not an SQLite database\n'.repeat(200);
        writeFileSync(join(dataDir, 'app.db'), garbage);
        await using app = await startApp({ runtime, dataDir });
        const moved = readdirSync(dataDir).filter((name) => name.startsWith('app.db.corrupt-'));
        expect(moved).toHaveLength(1);
        expect(readFileSync(join(dataDir, moved[0] ?? ''), 'utf8')).toBe(garbage);
        expect(app.output()).toContain('is corrupt');

        expect((await upload(app, 'after-corruption.txt', 'still works')).status).toBe(202);
        await pollUntil(async () => ((await filesStatus(app))['processed'] === 1 ? true : undefined), { description: 'the upload is processed' });

        const ready = await app.fetch('/readyz');
        const readyBody = (await ready.json()) as { entries: Record<string, { status: string; description: string }> };
        expect(ready.status).toBe(200);
        expect(readyBody.entries['activity-log']).toMatchObject({ status: 'degraded' });
        expect(readyBody.entries['activity-log']?.description).toContain(join(dataDir, moved[0] ?? ''));
        // Liveness does not depend on the activity log: a restart would not help.
        const live = (await (await app.fetch('/healthz')).json()) as { status: string; entries: Record<string, unknown> };
        expect(live.entries['activity-log']).toBeUndefined();
        const status = (await (await app.fetch('/status')).json()) as { activityLog: Record<string, unknown> };
        expect(status.activityLog).toMatchObject({ corruptFileMovedTo: join(dataDir, moved[0] ?? '') });
        // The fresh app.db gets the activity.
        await pollUntil(() => (readLogs(dataDir).some((row) => row.message.startsWith('[files] processed ')) ? true : undefined), {
          description: 'the processed row in the fresh app.db',
        });
        app.kill('SIGTERM');
        expect(await app.waitForExit(EXIT_WAIT_MS)).toEqual({ code: 0, signal: null });
      } finally {
        await rm(dataDir, { recursive: true, force: true });
      }
    },
    TEST_TIMEOUT_MS,
  );
});
