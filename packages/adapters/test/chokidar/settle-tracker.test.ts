import { open, symlink, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SettleTracker } from '../../src/chokidar/settle-tracker.ts';
import type { SettleTrackerOptions } from '../../src/chokidar/settle-tracker.ts';
import { pause, TemporaryDirectories, waitFor } from './file-system-helpers.ts';

const directories = new TemporaryDirectories();
const trackers: SettleTracker[] = [];

afterEach(async () => {
  for (const tracker of trackers.splice(0)) tracker.close();
  await directories.removeAll();
});

function createTracker(options: Partial<SettleTrackerOptions> = {}): {
  tracker: SettleTracker;
  settled: string[];
  errors: unknown[];
} {
  const settled: string[] = [];
  const errors: unknown[] = [];
  const tracker = new SettleTracker({
    stabilityThreshold: 100,
    pollInterval: 10,
    followSymlinks: false,
    onSettled: (path) => settled.push(path),
    onError: (error) => errors.push(error),
    ...options,
  });
  trackers.push(tracker);
  return { tracker, settled, errors };
}

describe('SettleTracker', { timeout: 20_000 }, () => {
  it('reports a file once it has stayed unchanged for the threshold, and not while it grows', async () => {
    const directory = await directories.create();
    const path = join(directory, 'growing.bin');
    const { tracker, settled } = createTracker();
    const file = await open(path, 'w');
    try {
      tracker.track(path, false);
      for (let i = 0; i < 4; i++) {
        await file.write(new Uint8Array(1024));
        await pause(40);
        expect(settled).toEqual([]);
      }
    } finally {
      await file.close();
    }
    await waitFor(() => settled.length === 1, 'the file settles');
    expect(tracker.isSettling(path)).toBe(false);
  });

  it('does not report an unchanged file twice, unless asked to report it again', async () => {
    const directory = await directories.create();
    const path = join(directory, 'a.csv');
    await writeFile(path, 'x');
    const { tracker, settled } = createTracker();
    tracker.track(path, false);
    await waitFor(() => settled.length === 1, 'the file settles');
    tracker.track(path, false);
    // A third file settling later shows the second track of `path` has been decided by then.
    const marker = join(directory, 'marker.csv');
    await writeFile(marker, 'x');
    tracker.track(marker, false);
    await waitFor(() => settled.includes(marker), 'the marker settles');
    expect(settled.filter((next) => next === path)).toHaveLength(1);

    tracker.track(path, true, true);
    await waitFor(() => settled.filter((next) => next === path).length === 2, 'the file is reported again');
  });

  it('reports a file again once its content changed', async () => {
    const directory = await directories.create();
    const path = join(directory, 'a.csv');
    await writeFile(path, 'x');
    const { tracker, settled } = createTracker();
    tracker.track(path, false);
    await waitFor(() => settled.length === 1, 'the file settles');
    await writeFile(path, 'longer');
    tracker.track(path, false);
    await waitFor(() => settled.length === 2, 'the changed file settles');
    expect(settled).toEqual([path, path]);
  });

  it('upgrades a file already settling to be reported again when asked while it settles', async () => {
    const directory = await directories.create();
    const path = join(directory, 'a.csv');
    await writeFile(path, 'x');
    const { tracker, settled } = createTracker();
    tracker.track(path, false);
    await waitFor(() => settled.length === 1, 'the file settles');
    tracker.track(path, false);
    expect(tracker.isSettling(path)).toBe(true);
    tracker.track(path, true, true);
    await waitFor(() => settled.length === 2, 'the file is reported again');
    expect(settled).toEqual([path, path]);
  });

  it('drops a file silently when it disappears while settling', async () => {
    const directory = await directories.create();
    const path = join(directory, 'gone.csv');
    await writeFile(path, 'x');
    const { tracker, settled, errors } = createTracker();
    tracker.track(path, false);
    await unlink(path);
    await waitFor(() => !tracker.isSettling(path), 'the tracker lets the file go');
    expect(settled).toEqual([]);
    expect(errors).toEqual([]);
  });

  it('drops what is not a regular file, such as a symbolic link when links are not followed', async () => {
    const directory = await directories.create();
    const target = join(directory, 'target.csv');
    await writeFile(target, 'x');
    const link = join(directory, 'link.csv');
    await symlink(target, link);
    const { tracker, settled } = createTracker();
    tracker.track(link, true);
    tracker.track(directory, true);
    await waitFor(() => !tracker.isSettling(link) && !tracker.isSettling(directory), 'the tracker lets both go');
    expect(settled).toEqual([]);
  });

  it('passes errors other than a missing file to onError', async () => {
    const directory = await directories.create();
    const loop = join(directory, 'loop');
    await symlink(loop, loop);
    const { tracker, settled, errors } = createTracker({ followSymlinks: true });
    tracker.track(loop, false);
    await waitFor(() => errors.length === 1, 'the error is reported');
    expect(errors[0]).toMatchObject({ code: 'ELOOP' });
    expect(settled).toEqual([]);
  });

  it('reports nothing and checks nothing more once closed', async () => {
    const directory = await directories.create();
    const path = join(directory, 'a.csv');
    await writeFile(path, 'x');
    const { tracker, settled } = createTracker();
    tracker.track(path, false);
    tracker.close();
    tracker.track(path, false);
    expect(tracker.isSettling(path)).toBe(false);
    const other = createTracker();
    other.tracker.track(path, false);
    await waitFor(() => other.settled.length === 1, 'another tracker reports the file');
    expect(settled).toEqual([]);
  });
});
