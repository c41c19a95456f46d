/**
 * The file-processing sample in the real program, on Node and on Deno: uploads and 500 files
 * dropped into the inbox, each into exactly one result. Every wait polls with a generous deadline
 * (a loaded 2-core machine); nothing sleeps for a fixed time.
 */
import { describe, expect, it } from 'vitest';
import { readLogs } from '../helpers.ts';
import { dirs, dropFiles, type Expected, filesStatus, list, resultProblems, sha256, upload } from '../file-processing/e2e-support.ts';
import { pollUntil, RUNTIMES, startApp } from './app-process.ts';

const TEST_TIMEOUT_MS = 240_000;
const WAIT_MS = 150_000;

describe.each(RUNTIMES)('file processing in the samples program on %s', (runtime) => {
  it(
    'turns uploads and 500 files dropped into the inbox into exactly one result each, then exits 0 on SIGTERM',
    async () => {
      await using app = await startApp({ runtime });
      const { inbox, outbox, uploads } = dirs(app.dataDir);
      const expected: Expected = new Map();

      for (let i = 0; i < 10; i++) {
        const content = `upload number ${i}\nwith two lines`;
        // Every upload has the same client name: their results must not overwrite each other.
        const response = await upload(app, 'same name.txt', content);
        expect({ status: response.status, body: response.body }).toMatchObject({ status: 202 });
        expect(response.body['originalName']).toBe('same_name.txt');
        expected.set(String(response.body['name']), sha256(content));
      }
      for (const [name, hash] of await dropFiles(inbox, 500, 'drop')) expected.set(name, hash);

      // "processed" counts a file once its result is written AND its input removed.
      const status = await pollUntil(
        async () => {
          const files = await filesStatus(app);
          return files['processed'] === expected.size ? files : undefined;
        },
        { timeoutMs: WAIT_MS, intervalMs: 200, description: `${expected.size} files processed\n${app.output()}` },
      );
      expect(status).toMatchObject({ channelDepth: 0, processed: 510, failed: 0, uploads: { accepted: 10 } });
      expect(await resultProblems(outbox, expected)).toEqual([]);
      expect(await list(inbox)).toEqual([]);
      expect(await list(uploads)).toEqual([]);

      app.kill('SIGTERM');
      expect(await app.waitForExit(60_000)).toEqual({ code: 0, signal: null });
      // The activity went to the logs table of app.db.
      const rows = readLogs(app.dataDir).filter((row) => row.message.startsWith('[files]'));
      expect(rows.filter((row) => row.message.startsWith('[files] processed '))).toHaveLength(510);
      expect(rows.filter((row) => row.message.startsWith('[files] upload accepted '))).toHaveLength(10);
    },
    TEST_TIMEOUT_MS,
  );
});
