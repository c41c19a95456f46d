import { mkdir, open, rename, rm, symlink, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { FileWatcher } from '@hostkit/core';
import { createChokidarFileWatcher } from '../../src/chokidar/index.ts';
import type { ChokidarFileWatcherOptions } from '../../src/chokidar/index.ts';
import { listAll, pause, RecordingHandler, TemporaryDirectories, waitFor, waitForAsync } from './file-system-helpers.ts';

const stabilityThreshold = 200;
const pollInterval = 25;

const directories = new TemporaryDirectories();
const watchers: FileWatcher[] = [];

afterEach(async () => {
  await Promise.all(watchers.splice(0).map((watcher) => watcher.close()));
  await directories.removeAll();
});

function createWatcher(options: ChokidarFileWatcherOptions): FileWatcher {
  const watcher = createChokidarFileWatcher({ stabilityThreshold, pollInterval, ...options });
  watchers.push(watcher);
  return watcher;
}

async function startWatcher(
  directory: string,
  options: Partial<ChokidarFileWatcherOptions> = {},
): Promise<{ watcher: FileWatcher; handler: RecordingHandler }> {
  const watcher = createWatcher({ directory, ...options });
  const handler = new RecordingHandler();
  await watcher.start(handler);
  return { watcher, handler };
}

/**
 * Writes a file and waits until the watcher has reported it: every event caused by anything the
 * test did earlier has then been reported too (a later report would come from a later change),
 * which lets a test assert that something was NOT reported without sleeping.
 */
async function writeSentinel(directory: string, handler: RecordingHandler): Promise<void> {
  const path = join(directory, `sentinel-${handler.reports.length}.txt`);
  await writeFile(path, 'sentinel');
  await waitFor(() => handler.readyCount(path) > 0, `the sentinel ${path} is reported`);
}

// Real directories and the real clock: every wait polls with a deadline, under this budget.
describe('ChokidarFileWatcher', { timeout: 20_000 }, () => {
  describe('reporting complete files', () => {
    it('reports each file already in the directory when it starts', async () => {
      const directory = await directories.create();
      await writeFile(join(directory, 'a.csv'), 'a');
      await writeFile(join(directory, 'b.csv'), 'bb');
      const { handler } = await startWatcher(directory);
      await waitFor(() => handler.ready().length === 2, 'both files are reported', { describe: () => handler.reports });
      expect(handler.ready().sort()).toEqual([join(directory, 'a.csv'), join(directory, 'b.csv')]);
      expect(handler.errors).toEqual([]);
    });

    it('reports a file written slowly in chunks once, after its last chunk, with its full size', async () => {
      const directory = await directories.create();
      const { handler } = await startWatcher(directory);
      const path = join(directory, 'slow.bin');
      const chunk = new Uint8Array(64 * 1024).fill(7);
      const file = await open(path, 'w');
      let lastWrite = 0;
      try {
        for (let i = 0; i < 5; i++) {
          await file.write(chunk);
          lastWrite = performance.now();
          // The producer's pace: slower than the poll interval, faster than the threshold.
          await pause(stabilityThreshold / 3);
          expect(handler.readyCount(path)).toBe(0);
        }
      } finally {
        await file.close();
      }
      await waitFor(() => handler.readyCount(path) === 1, 'the slow file is reported');
      const [report] = handler.reports.filter((next) => next.path === path);
      expect(report?.size).toBe(5 * chunk.length);
      expect(report?.at).toBeGreaterThanOrEqual(lastWrite + stabilityThreshold - 5);
      await writeSentinel(directory, handler);
      expect(handler.readyCount(path)).toBe(1);
    });

    it('reports a file once, under its final name, when it is written under a temporary name and renamed', async () => {
      const directory = await directories.create();
      const { handler } = await startWatcher(directory);
      const temporary = join(directory, 'upload.csv.partial');
      const final = join(directory, 'upload.csv');
      await writeFile(temporary, 'a,b\n1,2\n');
      await rename(temporary, final);
      await waitFor(() => handler.readyCount(final) === 1, 'the renamed file is reported');
      await writeSentinel(directory, handler);
      expect(handler.readyCount(final)).toBe(1);
      expect(handler.readyCount(temporary)).toBe(0);
    });

    it('reports a file again when it changes after it was reported', async () => {
      const directory = await directories.create();
      const { handler } = await startWatcher(directory);
      const path = join(directory, 'a.csv');
      await writeFile(path, 'one');
      await waitFor(() => handler.readyCount(path) === 1, 'the file is reported');
      await writeFile(path, 'two, longer');
      await waitFor(() => handler.readyCount(path) === 2, 'the changed file is reported again');
      expect(handler.reports.filter((report) => report.kind === 'ready').map((report) => report.size)).toEqual([3, 11]);
    });

    it('reports removals, and a rename as the removal of the old name and a new file', async () => {
      const directory = await directories.create();
      const { handler } = await startWatcher(directory);
      const first = join(directory, 'first.csv');
      const second = join(directory, 'second.csv');
      await writeFile(first, 'x');
      await waitFor(() => handler.readyCount(first) === 1, 'the file is reported');
      await rename(first, second);
      await waitFor(
        () => handler.readyCount(second) === 1 && handler.reports.some((r) => r.kind === 'removed' && r.path === first),
        'the rename is reported',
        { describe: () => handler.reports },
      );
      await unlink(second);
      await waitFor(() => handler.reports.some((r) => r.kind === 'removed' && r.path === second), 'the removal is reported');
      expect(handler.reports.filter((r) => r.kind === 'removed').map((r) => r.path)).toEqual([first, second]);
      expect(handler.ready()).toEqual([first, second]);
    });
  });

  describe('what is not reported', () => {
    it('ignores hidden files and temporary names, at start and while watching', async () => {
      const directory = await directories.create();
      const atStart = ['.hidden', 'a.tmp', 'b.partial', 'c.csv~', '.c.csv.swp', '#d#', 'e.PART', 'f.crdownload'];
      const later = ['.hidden2', 'a2.tmp', 'b2.partial', 'c2.csv~', '.c2.csv.swp', '#d2#', 'e2.PART', 'f2.crdownload'];
      await Promise.all([...atStart, 'start.csv'].map((name) => writeFile(join(directory, name), 'x')));
      const { handler, watcher } = await startWatcher(directory);
      await Promise.all(later.map((name) => writeFile(join(directory, name), 'x')));
      await writeSentinel(directory, handler);
      const notSentinel = (path: string): boolean => !path.includes('sentinel');
      expect(handler.ready().filter(notSentinel)).toEqual([join(directory, 'start.csv')]);
      await waitForAsync(
        async () => (await listAll(watcher)).includes(join(directory, 'start.csv')),
        'the listing shows start.csv',
      );
      expect((await listAll(watcher)).filter(notSentinel)).toEqual([join(directory, 'start.csv')]);
      expect(handler.errors).toEqual([]);
    });

    it('uses the ignore option instead of the default names when one is given', async () => {
      const directory = await directories.create();
      const { handler } = await startWatcher(directory, { ignore: (name) => name.endsWith('.lock') });
      await writeFile(join(directory, 'job.lock'), 'x');
      await writeFile(join(directory, '.hidden'), 'x');
      await waitFor(() => handler.readyCount(join(directory, '.hidden')) === 1, '.hidden is reported');
      await writeSentinel(directory, handler);
      expect(handler.readyCount(join(directory, 'job.lock'))).toBe(0);
    });

    it('does not follow symbolic links to files or directories by default', async () => {
      const directory = await directories.create();
      const elsewhere = await directories.create('hostkit-chokidar-target-');
      const target = join(elsewhere, 'target.csv');
      await writeFile(target, 'secret');
      await mkdir(join(elsewhere, 'folder'));
      await writeFile(join(elsewhere, 'folder', 'inside.csv'), 'x');
      await symlink(target, join(directory, 'at-start.csv'));
      const { handler, watcher } = await startWatcher(directory, { depth: 1 });
      await symlink(target, join(directory, 'later.csv'));
      await symlink(join(elsewhere, 'folder'), join(directory, 'folder-link'));
      await writeSentinel(directory, handler);
      expect(handler.ready().filter((path) => !path.includes('sentinel'))).toEqual([]);
      expect((await listAll(watcher)).filter((path) => !path.includes('sentinel'))).toEqual([]);
    });

    it('reports links to files when followSymlinks is on', async () => {
      const directory = await directories.create();
      const elsewhere = await directories.create('hostkit-chokidar-target-');
      const target = join(elsewhere, 'target.csv');
      await writeFile(target, 'data');
      const link = join(directory, 'link.csv');
      // Created before watching starts: Deno's fs.watch reports no event when a link is created,
      // so a link made later is only found by a listing (a rescan or a restart).
      await symlink(target, link);
      const { handler } = await startWatcher(directory, { followSymlinks: true });
      await waitFor(() => handler.readyCount(link) === 1, 'the link is reported', { describe: () => handler.reports });
      expect(handler.reports.find((report) => report.path === link)?.size).toBe(4);
    });

    it('reports only the directory itself by default, and subdirectories down to depth', async () => {
      const directory = await directories.create();
      await mkdir(join(directory, 'one', 'two'), { recursive: true });
      const top = join(directory, 'top.csv');
      const levelOne = join(directory, 'one', 'a.csv');
      const levelTwo = join(directory, 'one', 'two', 'b.csv');
      await Promise.all([writeFile(top, 'x'), writeFile(levelOne, 'x'), writeFile(levelTwo, 'x')]);

      const shallow = await startWatcher(directory);
      const deeper = await startWatcher(directory, { depth: 1 });
      await waitFor(() => shallow.handler.readyCount(top) === 1, 'the depth-0 watcher reports the top file');
      await waitFor(() => deeper.handler.ready().length === 2, 'the depth-1 watcher reports two files');
      await writeSentinel(directory, shallow.handler);
      await waitFor(() => deeper.handler.ready().length === 3, 'the depth-1 watcher reports the sentinel');

      const notSentinel = (path: string): boolean => !path.includes('sentinel');
      expect(shallow.handler.ready().filter(notSentinel)).toEqual([top]);
      expect(deeper.handler.ready().filter(notSentinel).sort()).toEqual([levelOne, top]);
      await waitForAsync(
        async () => (await listAll(deeper.watcher)).filter(notSentinel).length === 2,
        'the depth-1 listing shows both files',
      );
      expect((await listAll(shallow.watcher)).filter(notSentinel)).toEqual([top]);
      expect((await listAll(deeper.watcher)).filter(notSentinel).sort()).toEqual([levelOne, top]);
    });
  });

  describe('errors', () => {
    it('reports a symbolic link loop as an error when following links, and keeps watching', async () => {
      const directory = await directories.create();
      // The loop exists before the watcher starts, so its initial scan meets it. Made while
      // watching, it depends on timing: Deno's fs.watch drops the event for a path that is
      // already a loop, and the first link of a pair is only a dangling link until the second.
      await symlink(join(directory, 'loop-b'), join(directory, 'loop-a'));
      await symlink(join(directory, 'loop-a'), join(directory, 'loop-b'));
      const { handler } = await startWatcher(directory, { followSymlinks: true });
      await waitFor(() => handler.errors.length > 0, 'the loop is reported as an error');
      expect(handler.errors[0]).toMatchObject({ code: 'ELOOP' });
      await writeSentinel(directory, handler);
    });

    it('rejects start with ENOENT when the directory does not exist', async () => {
      const directory = await directories.create();
      const watcher = createWatcher({ directory: join(directory, 'missing') });
      await expect(watcher.start(new RecordingHandler())).rejects.toMatchObject({ code: 'ENOENT' });
    });

    it('rejects start when the path is a file', async () => {
      const directory = await directories.create();
      const file = join(directory, 'file.csv');
      await writeFile(file, 'x');
      const watcher = createWatcher({ directory: file });
      await expect(watcher.start(new RecordingHandler())).rejects.toThrow(/not a directory/);
    });

    it('throws TypeError or RangeError naming the value when an option is invalid', () => {
      const make = (options: Partial<ChokidarFileWatcherOptions>) => () =>
        createChokidarFileWatcher({ directory: '/tmp', ...options } as ChokidarFileWatcherOptions);
      expect(make({ directory: 42 as unknown as string })).toThrow(
        new TypeError('Expected directory to be a non-empty string, got 42 (number)'),
      );
      expect(make({ directory: '' })).toThrow(RangeError);
      expect(make({ depth: -1 })).toThrow(new RangeError('Expected depth to be an integer >= 0 or Infinity, got -1 (number)'));
      expect(make({ depth: 1.5 })).toThrow(RangeError);
      expect(make({ stabilityThreshold: -1 })).toThrow(RangeError);
      expect(make({ pollInterval: 0 })).toThrow(RangeError);
      expect(make({ ignore: 'x' as unknown as () => boolean })).toThrow(TypeError);
      expect(() => createChokidarFileWatcher(undefined as unknown as ChokidarFileWatcherOptions)).toThrow(TypeError);
    });
  });

  describe('lifecycle', () => {
    it('rejects a second start', async () => {
      const directory = await directories.create();
      const { watcher } = await startWatcher(directory);
      await expect(watcher.start(new RecordingHandler())).rejects.toThrow(/already called/);
    });

    it('rejects start with the reason and closes when the signal is already aborted', async () => {
      const directory = await directories.create();
      const watcher = createWatcher({ directory });
      const reason = new Error('stop');
      await expect(watcher.start(new RecordingHandler(), AbortSignal.abort(reason))).rejects.toBe(reason);
      await expect(watcher.start(new RecordingHandler())).rejects.toThrow(/closed/);
    });

    it('stops reporting once closed, and closing again returns the same promise', async () => {
      const directory = await directories.create();
      const closed = await startWatcher(directory);
      const open = await startWatcher(directory);
      const closing = closed.watcher.close();
      expect(closed.watcher.close()).toBe(closing);
      await closing;
      await writeFile(join(directory, 'after-close.csv'), 'x');
      await waitFor(() => open.handler.readyCount(join(directory, 'after-close.csv')) === 1, 'the open watcher reports the file');
      await writeSentinel(directory, open.handler);
      expect(closed.handler.reports).toEqual([]);
    });

    it('stops checking files that are still settling when closed', async () => {
      const directory = await directories.create();
      const { watcher, handler } = await startWatcher(directory, { stabilityThreshold: 300 });
      await writeFile(join(directory, 'settling.csv'), 'x');
      await watcher.close();
      const sentinel = await startWatcher(directory);
      await writeSentinel(directory, sentinel.handler);
      await waitFor(() => sentinel.handler.readyCount(join(directory, 'settling.csv')) === 1, 'the other watcher reports it');
      expect(handler.reports).toEqual([]);
    });
  });

  describe('list', () => {
    it('lists complete regular files, without temporary names, links, directories or files still being written', async () => {
      const directory = await directories.create();
      const complete = join(directory, 'complete.csv');
      await writeFile(complete, 'x');
      await writeFile(join(directory, 'upload.partial'), 'x');
      await mkdir(join(directory, 'sub'));
      await writeFile(join(directory, 'sub', 'deeper.csv'), 'x');
      await symlink(complete, join(directory, 'link.csv'));
      const { watcher, handler } = await startWatcher(directory, { stabilityThreshold: 100 });
      // A listing judges by the file's own timestamps, which some runtimes round to the second
      // (Deno's change time): poll until the complete file is old enough to be listed.
      await waitForAsync(async () => (await listAll(watcher)).includes(complete), 'the complete file is listed');
      const young = join(directory, 'young.csv');
      await writeFile(young, 'being written');
      expect(await listAll(watcher)).toEqual([complete]);
      await waitFor(() => handler.readyCount(young) === 1, 'the young file is reported once it settles');
      // A listing that cannot vouch for a file yet has it reported again once it settles (the
      // earlier report may have been dropped by a full consumer): only these two are reported.
      expect([...new Set(handler.ready())].sort()).toEqual([complete, young]);
    });

    it('rejects with the reason when the signal is aborted', async () => {
      const directory = await directories.create();
      await writeFile(join(directory, 'a.csv'), 'x');
      const watcher = createWatcher({ directory });
      const reason = new Error('stop');
      await expect(listAll(watcher, AbortSignal.abort(reason))).rejects.toBe(reason);
    });

    it('lists from a watcher that was not started, and stops reading when the caller stops', async () => {
      const directory = await directories.create();
      await Promise.all(Array.from({ length: 20 }, (_, i) => writeFile(join(directory, `f${i}.csv`), 'x')));
      await rm(join(directory, 'f0.csv'));
      const watcher = createWatcher({ directory, stabilityThreshold: 0 });
      // Timestamps rounded to the second count as up to 2 s later: wait until every file is listed.
      await waitForAsync(async () => (await listAll(watcher)).length === 19, 'all 19 files are listed');
      const first: string[] = [];
      for await (const path of watcher.list()) {
        first.push(path);
        if (first.length === 3) break;
      }
      expect(first).toHaveLength(3);
    });
  });
});
