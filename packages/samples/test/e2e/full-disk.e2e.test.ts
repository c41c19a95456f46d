/**
 * A full disk in the real program, on Node and on Deno: DATA_DIR is a 4 MiB tmpfs (mounted by the
 * test, which needs root, as CI has) that the test fills. Uploads are answered 507 with
 * Retry-After, /healthz and /readyz report the storage degraded, the file being processed is
 * neither counted as failed nor moved, and processing resumes within seconds of space coming back
 * (not at the next 60 s rescan).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { openSync, closeSync, writeSync, rmSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import process from 'node:process';
import { describe, expect, it } from 'vitest';
import { dirs, filesStatus, list, upload } from '../file-processing/e2e-support.ts';
import { makeTempDataDir, pollUntil, RUNTIMES, startApp } from './app-process.ts';

const TEST_TIMEOUT_MS = 180_000;
/** What "within a few seconds" means here: the processor probes every second; the rest is slack for a loaded machine. */
const RESUME_WITHIN_MS = 5_000;

/** Writes zeros into `path` until the file system says ENOSPC. */
function fill(path: string): void {
  const fd = openSync(path, 'w');
  const chunk = new Uint8Array(16 * 1024);
  try {
    for (;;) writeSync(fd, chunk);
  } catch (error) {
    if ((error as { code?: unknown }).code !== 'ENOSPC') throw error;
  } finally {
    closeSync(fd);
  }
}

interface HealthBody {
  entries: Record<string, { status: string; description?: string }>;
}

describe.each(RUNTIMES)('a full disk under the samples program on %s', (runtime) => {
  it(
    'answers uploads 507, reports the storage degraded, keeps the file uncounted in the inbox, and resumes within seconds of space coming back',
    async () => {
      if (process.getuid?.() !== 0) {
        // Mounting a small file system is the only way to fill a disk for real without filling the machine's.
        console.warn(`[full-disk e2e] did not run: mounting a tmpfs needs root, and this runs as uid ${String(process.getuid?.())}`);
        return;
      }
      const dataDir = await makeTempDataDir();
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', dataDir]);
      try {
        await using app = await startApp({ runtime, dataDir, env: { SERVICES: 'files', FILE_PROCESSING_DELAY_MS: '1500' } });
        const { inbox, outbox } = dirs(dataDir);
        writeFileSync(join(inbox, 'during-full-disk.txt'), 'written before the disk filled up\n');
        const filler = join(dataDir, 'filler');
        fill(filler);

        const refused = await upload(app, 'no-room.txt', 'x'.repeat(200_000));
        expect({ status: refused.status, body: refused.body }).toMatchObject({ status: 507 });
        expect(refused.body).toMatchObject({ error: 'insufficient_storage' });
        expect(Number(refused.retryAfter)).toBeGreaterThan(0);

        // The processor's attempt hits the full disk once its 1.5 s processing delay is over.
        const live = await pollUntil(
          async () => {
            const body = (await (await app.fetch('/healthz')).json()) as HealthBody;
            return body.entries['storage']?.status === 'degraded' ? body : undefined;
          },
          { timeoutMs: 30_000, description: 'the storage check degraded in /healthz' },
        );
        expect(live.entries['storage']?.description).toContain('is full');
        const ready = (await (await app.fetch('/readyz')).json()) as HealthBody;
        expect(ready.entries['storage']?.status).toBe('degraded');
        // The processor says it waits (before, it retried twice and counted the file as failed).
        await app.waitForOutput(/during-full-disk\.txt stays where it is and processing waits until there is room/, 30_000);
        expect(await filesStatus(app)).toMatchObject({ processed: 0, failed: 0, uploads: { rejectedNoSpace: 1 }, storage: { full: true } });
        expect(await list(inbox)).toEqual(['during-full-disk.txt']);

        rmSync(filler);
        const freedAt = Date.now();
        await pollUntil(async () => ((await filesStatus(app))['processed'] === 1 ? true : undefined), {
          timeoutMs: 30_000,
          intervalMs: 100,
          description: 'the file is processed once there is room',
        });
        const resumedAfterMs = Date.now() - freedAt;
        console.log(`[${runtime}] processing resumed ${resumedAfterMs} ms after space came back`);
        expect(resumedAfterMs).toBeLessThan(RESUME_WITHIN_MS);
        expect((await list(outbox)).filter((name) => name.startsWith('during-full-disk.txt'))).toHaveLength(1);
        expect(await list(inbox)).toEqual([]);
        const healthy = (await (await app.fetch('/healthz')).json()) as HealthBody;
        expect(healthy.entries['storage']?.status).toBe('healthy');
        expect((await upload(app, 'room-again.txt', 'fits')).status).toBe(202);
        expect(await filesStatus(app)).toMatchObject({ failed: 0, storage: { full: false } });
        expect(app.output()).toContain("DATA_DIR's disk is full");
        expect(app.output()).toMatch(/DATA_DIR has room again after \d+ ms: processing resumes with during-full-disk\.txt/);

        app.kill('SIGTERM');
        expect(await app.waitForExit(60_000)).toEqual({ code: 0, signal: null });
      } finally {
        spawnSync('umount', ['-l', dataDir]);
        await rm(dataDir, { recursive: true, force: true });
      }
    },
    TEST_TIMEOUT_MS,
  );
});
