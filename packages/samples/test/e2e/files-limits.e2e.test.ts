/**
 * POST /upload's refusals in the real program, on Node and on Deno: 413 past UPLOAD_MAX_BYTES,
 * 400 for what is not an upload, and 503 with Retry-After when the channel stays full (made
 * reachable with CHANNEL_CAPACITY=1 and the test-only FILE_PROCESSING_DELAY_MS, which makes each
 * file take that long). Every wait polls with a generous deadline.
 */
import { rm } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { dirs, filesStatus, list, resultProblems, sha256, upload } from '../file-processing/e2e-support.ts';
import { makeTempDataDir, pollUntil, RUNTIMES, startApp } from './app-process.ts';

const TEST_TIMEOUT_MS = 180_000;

describe.each(RUNTIMES)('POST /upload limits in the samples program on %s', (runtime) => {
  it(
    'answers 413 past UPLOAD_MAX_BYTES and 400 for a body that is not an upload, keeping nothing, and still accepts a good upload',
    async () => {
      await using app = await startApp({ runtime, env: { SERVICES: 'files', UPLOAD_MAX_BYTES: '100000' } });
      const { uploads, inbox } = dirs(app.dataDir);

      const tooLarge = await upload(app, 'big.bin', new Uint8Array(150_000));
      expect(tooLarge.status).toBe(413);
      expect(tooLarge.body).toMatchObject({ error: 'too_large', maxBytes: 100_000 });

      const notMultipart = await app.fetch('/upload', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"file":"x"}' });
      expect(notMultipart.status).toBe(400);
      const noFile = new FormData();
      noFile.append('comment', 'no file here');
      expect((await app.fetch('/upload', { method: 'POST', body: noFile })).status).toBe(400);

      expect(await list(uploads)).toEqual([]);
      expect(await list(inbox)).toEqual([]);

      const fits = await upload(app, 'fits.bin', new Uint8Array(100_000).fill(1));
      expect(fits.status).toBe(202);
      await pollUntil(async () => ((await filesStatus(app))['processed'] === 1 ? true : undefined), { timeoutMs: 60_000, description: 'the good upload is processed' });
      expect(await filesStatus(app)).toMatchObject({ uploads: { accepted: 1, tooLarge: 1, invalid: 2, rejectedBusy: 0 } });
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'answers 503 with Retry-After and keeps nothing of the refused upload when the channel stays full; accepted uploads survive a SIGTERM and are processed at the next start',
    async () => {
      const dataDir = await makeTempDataDir();
      try {
        const { uploads, outbox } = dirs(dataDir);
        const expected = new Map<string, string>();
        {
          await using app = await startApp({
            runtime,
            dataDir,
            env: { SERVICES: 'files', CHANNEL_CAPACITY: '1', FILE_PROCESSING_DELAY_MS: '120000' },
          });
          // The first upload is taken by the processor (which then sleeps), the second fills the channel.
          const first = await upload(app, 'first.txt', 'first');
          expect(first.status).toBe(202);
          await pollUntil(async () => ((await filesStatus(app))['channelDepth'] === 0 ? true : undefined), {
            timeoutMs: 30_000,
            description: 'the processor takes the first upload',
          });
          const second = await upload(app, 'second.txt', 'second');
          expect(second.status).toBe(202);
          expect(await filesStatus(app)).toMatchObject({ channelDepth: 1, channelCapacity: 1 });

          const started = Date.now();
          const third = await upload(app, 'third.txt', 'third');
          expect(third.status).toBe(503);
          expect(third.retryAfter).toBe('5');
          expect(third.body['error']).toBe('busy');
          // The 3-second deadline, with room for a slow machine.
          expect(Date.now() - started).toBeGreaterThanOrEqual(2_900);
          expect(await list(uploads)).toEqual([String(first.body['name']), String(second.body['name'])].sort());
          expect(await filesStatus(app)).toMatchObject({ processed: 0, uploads: { accepted: 2, rejectedBusy: 1 } });
          expected.set(String(first.body['name']), sha256('first'));
          expected.set(String(second.body['name']), sha256('second'));

          // Stopped mid-file: a clean exit, and both accepted uploads are still on disk.
          app.kill('SIGTERM');
          expect(await app.waitForExit(60_000)).toEqual({ code: 0, signal: null });
          expect(await list(uploads)).toHaveLength(2);
          expect(await list(outbox)).toEqual([]);
        }
        {
          await using app = await startApp({ runtime, dataDir, env: { SERVICES: 'files' } });
          await pollUntil(async () => ((await filesStatus(app))['processed'] === 2 ? true : undefined), {
            timeoutMs: 60_000,
            description: `both accepted uploads are processed after the restart\n${app.output()}`,
          });
          expect(await filesStatus(app)).toMatchObject({ recovery: { uploadsRequeued: 2, stagingRemoved: 0 } });
          expect(await resultProblems(outbox, expected)).toEqual([]);
          app.kill('SIGTERM');
          expect(await app.waitForExit(60_000)).toEqual({ code: 0, signal: null });
        }
      } finally {
        await rm(dataDir, { recursive: true, force: true, maxRetries: 3 });
      }
    },
    TEST_TIMEOUT_MS,
  );
});
