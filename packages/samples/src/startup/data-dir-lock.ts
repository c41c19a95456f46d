import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import process from 'node:process';

/** The lock file's name in DATA_DIR. */
export const DATA_DIR_LOCK_FILE = 'hostkit.lock';

/** What the lock file holds: who owns DATA_DIR. */
interface LockOwner {
  readonly pid: number;
  readonly hostname: string;
  readonly startedAt: string;
}

/** The lock was taken: `release` removes the file (idempotent; also done when the process exits). */
export interface DataDirLock {
  /** Set when a lock file left by a process that no longer runs was replaced. */
  readonly replacedStale?: string;
  release(): void;
}

/**
 * Takes DATA_DIR/hostkit.lock for this process, so that two single-process hosts never share a
 * DATA_DIR (both would watch the same inbox and clean the same app.db). The file holds the owner's
 * pid, host name and start time; a lock whose pid no longer runs on this host (a crash, a
 * SIGKILL, a container restarted with the same pid) is stale and replaced. Cluster mode
 * (REDIS_URL) does not take it: replicas share DATA_DIR by design.
 *
 * The file is removed when the process exits (Node's `exit` event, Deno's `unload`), and by
 * `release`.
 * @returns the lock, or the problem to report when another live process holds it.
 */
export function lockDataDir(dataDir: string): { readonly ok: true; readonly lock: DataDirLock } | { readonly ok: false; readonly problem: string } {
  const path = join(dataDir, DATA_DIR_LOCK_FILE);
  const me: LockOwner = { pid: process.pid, hostname: hostname(), startedAt: new Date().toISOString() };
  let replacedStale: string | undefined;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      writeFileSync(path, `${JSON.stringify(me)}\n`, { flag: 'wx' });
    } catch (error) {
      if ((error as { code?: unknown }).code !== 'EEXIST') throw error;
      const owner = readOwner(path);
      if (owner !== undefined && isAlive(owner)) {
        return {
          ok: false,
          problem:
            `DATA_DIR ${JSON.stringify(dataDir)} is in use by another samples process (pid ${owner.pid} on ${owner.hostname}, since ${owner.startedAt}; ` +
            `see ${path}). Two single-process hosts must not share a DATA_DIR: stop the other one, set another DATA_DIR, ` +
            'or run every copy in cluster mode (REDIS_URL), which is made to share it',
        };
      }
      replacedStale = owner === undefined ? 'an unreadable lock file' : `a lock left by pid ${owner.pid}, which no longer runs`;
      rmSync(path, { force: true });
      continue;
    }
    let released = false;
    const release = (): void => {
      if (released) return;
      released = true;
      // Only our own lock: a stale-lock replacement by another process must not be undone.
      if (readOwner(path)?.pid === me.pid) rmSync(path, { force: true });
    };
    process.once('exit', release);
    const target = globalThis as { addEventListener?: (type: string, listener: () => void) => void };
    // Deno.exit does not emit node:process's 'exit'; it dispatches 'unload'.
    if ('Deno' in globalThis && typeof target.addEventListener === 'function') target.addEventListener('unload', release);
    return { ok: true, lock: { release, ...(replacedStale !== undefined && { replacedStale }) } };
  }
  return { ok: false, problem: `DATA_DIR ${JSON.stringify(dataDir)}: could not take ${path} (it keeps being replaced by another process)` };
}

function readOwner(path: string): LockOwner | undefined {
  try {
    const owner = JSON.parse(readFileSync(path, 'utf8')) as Partial<LockOwner>;
    return typeof owner.pid === 'number' && typeof owner.hostname === 'string' ? { pid: owner.pid, hostname: owner.hostname, startedAt: String(owner.startedAt) } : undefined;
  } catch {
    return undefined;
  }
}

/** Whether the owner still runs. A lock from another host cannot be checked, so it counts as live. */
function isAlive(owner: LockOwner): boolean {
  if (owner.hostname !== hostname()) return true;
  if (owner.pid === process.pid) return false;
  try {
    process.kill(owner.pid, 0);
    return true;
  } catch (error) {
    // EPERM: it runs, under another user.
    return (error as { code?: unknown }).code === 'EPERM';
  }
}
