import { mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import process from 'node:process';

/**
 * Makes sure DATA_DIR exists and can be written, before anything starts: creates the missing
 * directories one level at a time, then writes and removes a small probe file.
 *
 * One level at a time, not `mkdirSync(path, { recursive: true })`: Node's recursive mkdir loops
 * for ever at 100% CPU on procfs (`DATA_DIR=/proc/x`), and its errors do not say which setting
 * was wrong.
 * @returns undefined when DATA_DIR is usable, else what is wrong with it (for "Invalid
 *   configuration: DATA_DIR ..."): the path, the operation that failed and the system's reason.
 */
export function checkDataDir(dataDir: string): string | undefined {
  const missing: string[] = [];
  let existing = dataDir;
  for (;;) {
    let isDirectory: boolean;
    try {
      isDirectory = statSync(existing).isDirectory();
    } catch (error) {
      // ENOTDIR: a part of the path is a file; going up finds it and says so.
      const code = errorCode(error);
      if (code !== 'ENOENT' && code !== 'ENOTDIR') return problem(dataDir, `cannot read ${existing}`, error);
      const parent = dirname(existing);
      if (parent === existing) return problem(dataDir, `no part of the path exists`, error);
      missing.unshift(existing);
      existing = parent;
      continue;
    }
    if (!isDirectory) return problem(dataDir, `${existing} is a file, not a directory`);
    break;
  }
  for (const directory of missing) {
    try {
      mkdirSync(directory);
    } catch (error) {
      // Another process may have created it in between.
      if (errorCode(error) !== 'EEXIST') return problem(dataDir, `cannot create ${directory}`, error);
    }
  }
  const probe = join(dataDir, `.hostkit-write-check-${process.pid}`);
  try {
    writeFileSync(probe, 'hostkit checks that DATA_DIR is writable; this file is removed at once\n');
  } catch (error) {
    return problem(dataDir, `cannot write a file in it`, error);
  } finally {
    rmSync(probe, { force: true });
  }
  return undefined;
}

function problem(dataDir: string, what: string, error?: unknown): string {
  const reason = error === undefined ? '' : ` (${errorCode(error) ?? 'error'}: ${systemReason(error)})`;
  return `DATA_DIR must be a directory this program can create and write to; got ${JSON.stringify(dataDir)}: ${what}${reason}`;
}

function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** "ENOENT: no such file or directory, mkdir '/proc/x'" → "no such file or directory". */
function systemReason(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const match = /^[A-Z]+: ([^,]+)/.exec(message);
  return match?.[1] ?? message;
}
