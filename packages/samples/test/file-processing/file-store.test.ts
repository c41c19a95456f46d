import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { acceptedUploadFileName, newUploadId } from '../../src/file-processing/file-names.ts';
import { FileStore, type FileResultDocument } from '../../src/file-processing/file-store.ts';
import { tempDir } from '../helpers.ts';
import { names } from './support.ts';

function resultOf(input: string, sha256: string, bytes = 1): FileResultDocument {
  return { input, originalName: input, source: 'inbox', bytes, lines: 1, words: 1, sha256, processedAt: '2026-11-21T12:00:00.000Z', attempts: 1 };
}

const SHA_A = 'a'.repeat(64);
const SHA_B = 'b'.repeat(64);

describe('FileStore', () => {
  describe('prepare', () => {
    it('creates inbox, outbox, failed and an owner-only uploads directory when DATA_DIR is empty', async () => {
      await using dir = await tempDir();
      const store = new FileStore({ dataDir: dir.path });
      await expect(store.prepare()).resolves.toEqual({ stagingRemoved: 0, uploadsRequeued: 0, temporaryRemoved: 0, orphanReportsRemoved: 0 });
      expect(await names(dir.path)).toEqual(['failed', 'inbox', 'outbox', 'uploads']);
      expect((await stat(store.uploads)).mode & 0o777).toBe(0o700);
    });

    it('runs once and returns the same promise when called again', async () => {
      await using dir = await tempDir();
      const store = new FileStore({ dataDir: dir.path });
      expect(store.prepare()).toBe(store.prepare());
      await store.prepare();
    });

    it('removes partial uploads, requeues accepted ones into the inbox and removes atomic-write leftovers when a crash left them', async () => {
      await using dir = await tempDir();
      const first = new FileStore({ dataDir: dir.path });
      await first.prepare();
      const accepted = acceptedUploadFileName(newUploadId(), 'report.csv');
      await writeFile(join(first.uploads, `${newUploadId()}.partial`), 'half an upl');
      await writeFile(join(first.uploads, accepted), 'a whole upload');
      await writeFile(join(first.outbox, '.a.txt.result.json.0badc0de.tmp'), '{"half":');
      await writeFile(join(first.outbox, 'a.txt.result.json'), '{}');
      await writeFile(join(first.failed, '.b.txt.error.json.12345678.tmp'), '{');
      await writeFile(join(first.inbox, '.someone-elses.tmp'), 'theirs to finish');

      const afterCrash = new FileStore({ dataDir: dir.path });
      await expect(afterCrash.prepare()).resolves.toEqual({ stagingRemoved: 1, uploadsRequeued: 1, temporaryRemoved: 2, orphanReportsRemoved: 0 });
      expect(await names(afterCrash.uploads)).toEqual([]);
      expect(await names(afterCrash.inbox)).toEqual(['.someone-elses.tmp', accepted]);
      expect(await readFile(join(afterCrash.inbox, accepted), 'utf8')).toBe('a whole upload');
      expect(await names(afterCrash.outbox)).toEqual(['a.txt.result.json']);
      expect(await names(afterCrash.failed)).toEqual([]);
    });

    it('removes a failure report whose input never reached failed/, and keeps reports with their input and files that are not reports', async () => {
      await using dir = await tempDir();
      const store = new FileStore({ dataDir: dir.path });
      await mkdir(store.failed, { recursive: true });
      await writeFile(join(store.failed, 'orphan.txt.error.json'), JSON.stringify({ input: 'orphan.txt' }));
      await writeFile(join(store.failed, 'kept.txt'), 'failed input');
      await writeFile(join(store.failed, 'kept.txt.error.json'), JSON.stringify({ input: 'kept.txt' }));
      // A user's file that failed and happens to be named like a report: not ours, kept.
      await writeFile(join(store.failed, 'data.error.json'), JSON.stringify({ something: 'else' }));
      const report = await store.prepare();
      expect(report.orphanReportsRemoved).toBe(1);
      expect(await names(store.failed)).toEqual(['data.error.json', 'kept.txt', 'kept.txt.error.json']);
    });
  });

  describe('writeResult', () => {
    it('writes the result atomically under <name>.result.json and leaves no temporary file', async () => {
      await using dir = await tempDir();
      const store = new FileStore({ dataDir: dir.path });
      await store.prepare();
      const path = await store.writeResult(resultOf('a.txt', SHA_A));
      expect(path).toBe(join(store.outbox, 'a.txt.result.json'));
      expect(JSON.parse(await readFile(path, 'utf8'))).toEqual(resultOf('a.txt', SHA_A));
      expect(await names(store.outbox)).toEqual(['a.txt.result.json']);
    });

    it('overwrites the same result when the same input is processed again after a crash', async () => {
      await using dir = await tempDir();
      const store = new FileStore({ dataDir: dir.path });
      await store.prepare();
      await store.writeResult(resultOf('a.txt', SHA_A));
      await store.writeResult({ ...resultOf('a.txt', SHA_A), attempts: 2 });
      expect(await names(store.outbox)).toEqual(['a.txt.result.json']);
      expect(JSON.parse(await readFile(join(store.outbox, 'a.txt.result.json'), 'utf8'))).toMatchObject({ attempts: 2 });
    });

    it('keeps both results when a different file later arrives under the same name', async () => {
      await using dir = await tempDir();
      const store = new FileStore({ dataDir: dir.path });
      await store.prepare();
      await store.writeResult(resultOf('a.txt', SHA_A));
      const second = await store.writeResult(resultOf('a.txt', SHA_B));
      // ...and processing that second file again after a crash overwrites ITS result, not the first.
      await store.writeResult(resultOf('a.txt', SHA_B, 2));
      expect(second).toBe(join(store.outbox, 'a.txt.bbbbbbbbbbbb.result.json'));
      expect(await names(store.outbox)).toEqual(['a.txt.bbbbbbbbbbbb.result.json', 'a.txt.result.json']);
      expect(JSON.parse(await readFile(join(store.outbox, 'a.txt.result.json'), 'utf8'))).toMatchObject({ sha256: SHA_A });
    });

    it('leaves no temporary file and rejects when the outbox is not writable', async () => {
      await using dir = await tempDir();
      const store = new FileStore({ dataDir: dir.path });
      await store.prepare();
      // A directory where the result should go makes the rename fail after the temp file was written.
      await mkdir(join(store.outbox, 'a.txt.result.json'));
      await expect(store.writeResult(resultOf('a.txt', SHA_A))).rejects.toMatchObject({ code: expect.stringMatching(/EISDIR|ENOTEMPTY|EEXIST/) });
      expect(await names(store.outbox)).toEqual(['a.txt.result.json']);
    });
  });

  describe('moveToFailed', () => {
    it('moves the input to failed/ with its report beside it', async () => {
      await using dir = await tempDir();
      const store = new FileStore({ dataDir: dir.path });
      await store.prepare();
      const input = join(store.inbox, 'bad.txt');
      await writeFile(input, 'content kept');
      const report = { originalName: 'bad.txt', source: 'inbox' as const, attempts: 3, failedAt: '2026-11-21T12:00:00.000Z', error: { name: 'Error', message: 'boom' } };
      const moved = await store.moveToFailed(input, report, 0);
      expect(moved).toBe(join(store.failed, 'bad.txt'));
      expect(await readFile(moved, 'utf8')).toBe('content kept');
      expect(JSON.parse(await readFile(join(store.failed, 'bad.txt.error.json'), 'utf8'))).toEqual({ input: 'bad.txt', ...report });
      expect(await names(store.inbox)).toEqual([]);
    });

    it('gives a second failed file of the same name its own name instead of overwriting the first', async () => {
      await using dir = await tempDir();
      const store = new FileStore({ dataDir: dir.path });
      await store.prepare();
      const report = { originalName: 'bad.txt', source: 'inbox' as const, attempts: 3, failedAt: '2026-11-21T12:00:00.000Z', error: { name: 'Error', message: 'boom' } };
      await writeFile(join(store.inbox, 'bad.txt'), 'first');
      await store.moveToFailed(join(store.inbox, 'bad.txt'), report, 1_000);
      await writeFile(join(store.inbox, 'bad.txt'), 'second');
      const second = await store.moveToFailed(join(store.inbox, 'bad.txt'), report, 2_000);
      expect(second).toMatch(/\/2000-[0-9a-f]{6}--bad\.txt$/);
      expect(await readFile(join(store.failed, 'bad.txt'), 'utf8')).toBe('first');
      expect(await readFile(second, 'utf8')).toBe('second');
      expect(await names(store.failed)).toHaveLength(4);
    });
  });

  describe('uploads', () => {
    it('creates staging files exclusively with owner-only permissions, and accepts them under <id>--<name>', async () => {
      await using dir = await tempDir();
      const store = new FileStore({ dataDir: dir.path });
      await store.prepare();
      const id = newUploadId();
      const staging = await store.createStagingFile(id);
      await staging.handle.writeFile('body');
      await staging.handle.close();
      expect((await stat(staging.path)).mode & 0o777).toBe(0o600);
      await expect(store.createStagingFile(id)).rejects.toMatchObject({ code: 'EEXIST' });
      const accepted = await store.acceptUpload(staging.path, id, 'report.csv');
      expect(accepted).toBe(join(store.uploads, `${id}--report.csv`));
      expect((await stat(accepted)).mode & 0o777).toBe(0o600);
      expect(await names(store.uploads)).toEqual([`${id}--report.csv`]);
    });
  });
});
