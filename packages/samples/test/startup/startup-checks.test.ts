import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import process from 'node:process';
import { describe, expect, it } from 'vitest';
import { checkDataDir } from '../../src/startup/check-data-dir.ts';
import { DATA_DIR_LOCK_FILE, lockDataDir } from '../../src/startup/data-dir-lock.ts';
import { tempDir } from '../helpers.ts';

describe('checkDataDir', () => {
  it('creates the missing directories one level at a time and leaves no probe file when DATA_DIR is usable', async () => {
    await using dir = await tempDir();
    const dataDir = join(dir.path, 'a', 'b', 'c');
    expect(checkDataDir(dataDir)).toBeUndefined();
    expect(existsSync(dataDir)).toBe(true);
    expect(checkDataDir(dataDir)).toBeUndefined();
  });

  it('names DATA_DIR, the path that is a file and what was expected when part of the path is a file', async () => {
    await using dir = await tempDir();
    const file = join(dir.path, 'file');
    writeFileSync(file, 'x');
    expect(checkDataDir(join(file, 'data'))).toBe(
      `DATA_DIR must be a directory this program can create and write to; got ${JSON.stringify(join(file, 'data'))}: ${file} is a file, not a directory`,
    );
  });

  it('answers at once for a procfs path, where a recursive mkdir loops for ever', () => {
    expect(checkDataDir('/proc/hostkit-unit/data')).toMatch(/^DATA_DIR must be .*; got "\/proc\/hostkit-unit\/data": cannot create \/proc\/hostkit-unit \(ENOENT: no such file or directory\)$/);
  });
});

describe('lockDataDir', () => {
  it('writes the owner into hostkit.lock and removes it on release', async () => {
    await using dir = await tempDir();
    const locked = lockDataDir(dir.path);
    expect(locked.ok).toBe(true);
    const path = join(dir.path, DATA_DIR_LOCK_FILE);
    expect(JSON.parse(readFileSync(path, 'utf8'))).toMatchObject({ pid: process.pid, hostname: hostname() });
    if (locked.ok) locked.lock.release();
    expect(existsSync(path)).toBe(false);
  });

  it('refuses DATA_DIR when a live process of this host holds the lock, naming its pid', async () => {
    await using dir = await tempDir();
    // The parent (vitest's main process) is alive for as long as this test runs.
    writeFileSync(join(dir.path, DATA_DIR_LOCK_FILE), JSON.stringify({ pid: process.ppid, hostname: hostname(), startedAt: 'then' }));
    const locked = lockDataDir(dir.path);
    expect(locked).toMatchObject({ ok: false, problem: expect.stringContaining(`in use by another samples process (pid ${process.ppid} on ${hostname()}, since then`) });
  });

  it('refuses DATA_DIR when the lock belongs to another host, whose pids cannot be checked', async () => {
    await using dir = await tempDir();
    writeFileSync(join(dir.path, DATA_DIR_LOCK_FILE), JSON.stringify({ pid: 1, hostname: 'another-host.example', startedAt: 'then' }));
    expect(lockDataDir(dir.path)).toMatchObject({ ok: false });
  });

  it('takes over a lock whose pid no longer runs, and says so', async () => {
    await using dir = await tempDir();
    // Beyond the kernel's pid_max (at most 2^22): no process can have it.
    writeFileSync(join(dir.path, DATA_DIR_LOCK_FILE), JSON.stringify({ pid: 2 ** 22 + 1, hostname: hostname(), startedAt: 'then' }));
    const locked = lockDataDir(dir.path);
    expect(locked).toMatchObject({ ok: true, lock: { replacedStale: `a lock left by pid ${2 ** 22 + 1}, which no longer runs` } });
    if (locked.ok) locked.lock.release();
  });
});
