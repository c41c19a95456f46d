import { lstat, mkdir, open, readdir, readFile, rename, unlink, utimes, type FileHandle } from 'node:fs/promises';
import { basename, join } from 'node:path';
import {
  acceptedUploadFileName,
  atomicTemporaryName,
  ERROR_SUFFIX,
  errorFileName,
  isAtomicTemporaryName,
  isStagingFileName,
  parseInputName,
  resultFileName,
  stagingFileName,
  uniqueFailedFileName,
} from './file-names.ts';

/** Options of {@link FileStore}. */
export interface FileStoreOptions {
  /** DATA_DIR, absolute: `inbox/`, `outbox/`, `failed/` and `uploads/` are made inside it. */
  readonly dataDir: string;
  /**
   * `fsync` written files and the directories they are renamed into, so that an accepted upload
   * or a written result also survives a power loss or kernel crash. A killed PROCESS loses nothing
   * either way (the kernel still holds what was written); this is about the machine going down.
   * @default true
   */
  readonly sync?: boolean | undefined;
  /**
   * DATA_DIR is shared by several processes (cluster mode). Then {@link FileStore.prepare} leaves
   * alone what may belong to another live process: it removes staging files, temporary files
   * and orphaned failure reports only once they are older than `staleAfterMs`, and it does NOT
   * move accepted uploads into the inbox (in cluster mode they are work-queue entries; see
   * {@link FileStore.pendingWork}).
   * @default undefined: one process owns DATA_DIR
   */
  readonly shared?: { readonly staleAfterMs: number } | undefined;
}

/** What {@link FileStore.prepare} found and put right at start. */
export interface RecoveryReport {
  /** Uploads a crash interrupted before they were accepted (`uploads/*.partial`): removed. */
  readonly stagingRemoved: number;
  /** Accepted uploads that were not processed before the process ended: moved to `inbox/`. */
  readonly uploadsRequeued: number;
  /** Temporary files of atomic writes that did not reach their rename: removed. */
  readonly temporaryRemoved: number;
  /** Failure reports whose input was never moved to `failed/` (a crash in between): removed, the input is retried. */
  readonly orphanReportsRemoved: number;
}

/** What is written to `outbox/<name>.result.json`. */
export interface FileResultDocument {
  /** The input's file name when it was processed (`<id>--<name>` for an upload). */
  readonly input: string;
  /** The client's sanitised name for an upload, the file's own name for a dropped file. */
  readonly originalName: string;
  readonly source: 'upload' | 'inbox';
  /** The upload id, for uploads. */
  readonly uploadId?: string;
  readonly bytes: number;
  readonly lines: number;
  readonly words: number;
  readonly sha256: string;
  /** ISO 8601, from the host's TimeProvider. */
  readonly processedAt: string;
  /** 1 when the first attempt succeeded. */
  readonly attempts: number;
}

/** What is written to `failed/<name>.error.json`. */
export interface FailureReport {
  /** The failed input's name in `failed/`; recovery checks it to tell an orphaned report. */
  readonly input: string;
  readonly originalName: string;
  readonly source: 'upload' | 'inbox';
  readonly uploadId?: string;
  readonly attempts: number;
  readonly failedAt: string;
  /** The last attempt's error. */
  readonly error: { readonly name: string; readonly message: string; readonly code?: string };
}

/**
 * The file-processing sample's directories, and every operation that changes them, written so
 * that killing the process at ANY instant loses no file and never leaves two results for one
 * input. The argument, step by step (the numbers are referred to in the code):
 *
 * Uploads (POST /upload):
 * 1. The body is streamed to `uploads/<id>.partial` (created exclusively, mode 0600), fsynced.
 *    A crash here leaves a `.partial`, which {@link prepare} removes: the client got no 202.
 * 2. Accepted: renamed to `uploads/<id>--<name>` (atomic; the directory fsynced) BEFORE the item
 *    is queued and the 202 is sent. From here on the upload is durable: a crash before it is
 *    processed leaves it in `uploads/`, and {@link prepare} moves it into `inbox/`, where the
 *    watcher delivers it like any dropped file. (A crash after 2 but before the 202 means the
 *    client saw the connection drop while the file is processed anyway: at least once, as for
 *    any request whose response is lost.)
 * 3. If the channel stays full for the deadline, the accepted file is removed and 503 is sent: a
 *    cancelled channel write never delivers its item, so nobody else holds the path.
 *
 * Processing (FileProcessingService, one file at a time):
 * 4. The input is read and its figures computed; nothing is written. A crash leaves the input
 *    where it was (inbox, or uploads then inbox): it is processed again.
 * 5. The result is written to a hidden `.….tmp` in `outbox/`, fsynced, renamed to its final name
 *    (atomic: a reader sees no result or a whole one), and `outbox/` fsynced. A crash before the
 *    rename leaves a temp file, removed by {@link prepare}; the input is still there: back to 4.
 * 6. Only then is the input removed. A crash between 5 and 6 leaves input AND result: the input is
 *    processed again, and since the result's name is deterministic (the input's name, and the
 *    content's hash when that name was used by an earlier, different file), the second pass
 *    overwrites the same result with the same figures: exactly one result per input.
 *
 * Failures (after the last retry):
 * 7. The report is written atomically to `failed/<name>.error.json` FIRST, then the input is
 *    renamed into `failed/`. A crash between the two leaves a report whose input is not in
 *    `failed/` but still in the inbox: {@link prepare} removes that orphaned report and the input
 *    is retried. The input is never deleted on failure.
 *
 * The layout assumes one process per DATA_DIR, and that DATA_DIR's subdirectories are on one
 * filesystem (renames between them are atomic).
 */
export class FileStore {
  readonly dataDir: string;
  /** Watched: every file in it is work. Other programs drop files here (ideally by renaming them in). */
  readonly inbox: string;
  /** Results, `<name>.result.json`. */
  readonly outbox: string;
  /** Inputs that failed every attempt, each with a `.error.json` beside it. */
  readonly failed: string;
  /** Uploads: `<id>.partial` while received, `<id>--<name>` once accepted. Not watched. */
  readonly uploads: string;
  /** Cluster mode: inbox files claimed by one replica (renamed here as `<claim id>--<name>`) and queued. */
  readonly claimed: string;
  readonly #sync: boolean;
  readonly #staleAfterMs: number | undefined;
  #prepared: Promise<RecoveryReport> | undefined;

  constructor(options: FileStoreOptions) {
    if (typeof options?.dataDir !== 'string' || options.dataDir === '') {
      throw new TypeError(`Expected dataDir to be a non-empty absolute path, got ${JSON.stringify(options?.dataDir)}`);
    }
    this.dataDir = options.dataDir;
    this.inbox = join(this.dataDir, 'inbox');
    this.outbox = join(this.dataDir, 'outbox');
    this.failed = join(this.dataDir, 'failed');
    this.uploads = join(this.dataDir, 'uploads');
    this.claimed = join(this.dataDir, 'claimed');
    this.#sync = options.sync ?? true;
    this.#staleAfterMs = options.shared?.staleAfterMs;
  }

  /**
   * Creates the directories and puts right what a crash left behind (see the class doc): removes
   * staging files and temporary files, moves accepted uploads into the inbox, removes orphaned
   * failure reports. Runs once; later calls return the same promise, so the start-up service,
   * the inbox watcher and the upload route can all wait for it.
   *
   * Must run before anything else writes in DATA_DIR: it removes every `.partial` it finds.
   */
  prepare(): Promise<RecoveryReport> {
    this.#prepared ??= this.#recover();
    return this.#prepared;
  }

  async #recover(): Promise<RecoveryReport> {
    await mkdir(this.inbox, { recursive: true });
    await mkdir(this.outbox, { recursive: true });
    await mkdir(this.failed, { recursive: true });
    // Uploads are private until accepted: owner-only, like the files in it.
    await mkdir(this.uploads, { recursive: true, mode: 0o700 });
    if (this.#staleAfterMs !== undefined) return this.#recoverShared(this.#staleAfterMs);

    let stagingRemoved = 0;
    let uploadsRequeued = 0;
    for (const name of await readdir(this.uploads)) {
      if (isStagingFileName(name) || isAtomicTemporaryName(name)) {
        await removeIfPresent(join(this.uploads, name));
        stagingRemoved++;
      } else if (parseInputName(name).uploadId !== undefined) {
        // Accepted, never processed: the inbox makes it work again, found by the watcher's first listing.
        await rename(join(this.uploads, name), join(this.inbox, name));
        uploadsRequeued++;
      }
    }
    if (uploadsRequeued > 0) await this.#syncDirectory(this.inbox);

    let temporaryRemoved = 0;
    // Not in the inbox: temporaries there belong to the programs that drop files, theirs to finish.
    for (const directory of [this.outbox, this.failed]) {
      for (const name of await readdir(directory)) {
        if (isAtomicTemporaryName(name)) {
          await removeIfPresent(join(directory, name));
          temporaryRemoved++;
        }
      }
    }

    let orphanReportsRemoved = 0;
    const failedNames = new Set(await readdir(this.failed));
    for (const name of failedNames) {
      if (!name.endsWith(ERROR_SUFFIX)) continue;
      const report = await readJsonIfPresent(join(this.failed, name));
      const input = (report as { input?: unknown } | undefined)?.input;
      // Only a report of ours, named after its input, whose input never arrived (step 7).
      if (typeof input === 'string' && errorFileName(input) === name && !failedNames.has(input)) {
        await removeIfPresent(join(this.failed, name));
        orphanReportsRemoved++;
      }
    }
    return { stagingRemoved, uploadsRequeued, temporaryRemoved, orphanReportsRemoved };
  }

  /** {@link prepare} when DATA_DIR is shared: only what is old enough to be nobody's any more. */
  async #recoverShared(staleAfterMs: number): Promise<RecoveryReport> {
    await mkdir(this.claimed, { recursive: true });
    const staleBefore = Date.now() - staleAfterMs;
    const removeIfStale = async (path: string): Promise<boolean> => {
      try {
        if ((await lstat(path)).mtimeMs >= staleBefore) return false;
      } catch (error) {
        if (isNotFound(error)) return false;
        throw error;
      }
      await removeIfPresent(path);
      return true;
    };
    let stagingRemoved = 0;
    for (const name of await readdir(this.uploads)) {
      if ((isStagingFileName(name) || isAtomicTemporaryName(name)) && (await removeIfStale(join(this.uploads, name)))) stagingRemoved++;
    }
    let temporaryRemoved = 0;
    for (const directory of [this.outbox, this.failed]) {
      for (const name of await readdir(directory)) {
        if (isAtomicTemporaryName(name) && (await removeIfStale(join(directory, name)))) temporaryRemoved++;
      }
    }
    let orphanReportsRemoved = 0;
    const failedNames = new Set(await readdir(this.failed));
    for (const name of failedNames) {
      if (!name.endsWith(ERROR_SUFFIX)) continue;
      const report = await readJsonIfPresent(join(this.failed, name));
      const input = (report as { input?: unknown } | undefined)?.input;
      if (typeof input === 'string' && errorFileName(input) === name && !failedNames.has(input) && (await removeIfStale(join(this.failed, name)))) {
        orphanReportsRemoved++;
      }
    }
    return { stagingRemoved, uploadsRequeued: 0, temporaryRemoved, orphanReportsRemoved };
  }

  /**
   * Cluster mode: claims `inbox/<name>` for this process by renaming it to
   * `claimed/<claimId>--<name>`. A rename is atomic: when several processes race for one inbox
   * file, exactly one rename succeeds; the others find it gone.
   * @returns the claimed path, or `undefined` when the file was gone (another process claimed it).
   */
  async claimInboxFile(name: string, claimId: string): Promise<string | undefined> {
    const target = join(this.claimed, `${claimId}--${name}`);
    try {
      await rename(join(this.inbox, name), target);
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
    // Its mtime becomes the claim's time (it was the dropping program's), for pendingWork's age.
    const now = new Date();
    await utimes(target, now, now);
    await this.#syncDirectory(this.claimed);
    return target;
  }

  /**
   * Cluster mode: every input that may be waiting for a work-queue entry: accepted uploads in
   * `uploads/` and claimed inbox files in `claimed/`. A process that died between accepting (or
   * claiming) a file and enqueuing it left one of these with no entry; enqueuing them again is
   * safe because processing is idempotent (see the cluster's orphan sweep).
   * @param storedBefore Only files whose mtime is before this (epoch ms): an upload's body is
   *   written just before it is accepted, and {@link claimInboxFile} sets a claimed file's mtime
   *   to the claim's time. @default all
   */
  async pendingWork(storedBefore: number = Number.POSITIVE_INFINITY): Promise<string[]> {
    const candidates: string[] = [];
    for (const name of await readdir(this.uploads)) {
      if (parseInputName(name).uploadId !== undefined && !isStagingFileName(name) && !isAtomicTemporaryName(name)) candidates.push(join(this.uploads, name));
    }
    for (const name of await readdir(this.claimed)) {
      if (!isAtomicTemporaryName(name) && !name.startsWith('.')) candidates.push(join(this.claimed, name));
    }
    const paths: string[] = [];
    for (const path of candidates) {
      try {
        if ((await lstat(path)).mtimeMs < storedBefore) paths.push(path);
      } catch (error) {
        if (!isNotFound(error)) throw error;
      }
    }
    return paths;
  }

  /** The path the result of input `inputName` has when its name was free (the usual case). */
  plainResultPath(inputName: string): string {
    return join(this.outbox, resultFileName(inputName, '', 'plain'));
  }

  /** Whether `path` exists. */
  exists(path: string): Promise<boolean> {
    return exists(path);
  }

  /**
   * Step 1: creates `uploads/<id>.partial` for writing, exclusively (never an existing file) and
   * owner-only (0600). The caller writes the body, then calls {@link acceptUpload} or {@link discard}.
   */
  async createStagingFile(id: string): Promise<{ readonly path: string; readonly handle: FileHandle }> {
    const path = join(this.uploads, stagingFileName(id));
    const handle = await open(path, 'wx', 0o600);
    return { path, handle };
  }

  /**
   * Step 2: makes a fully written (and closed) staging file durable under its accepted name,
   * `uploads/<id>--<sanitised name>`, and returns that path.
   */
  async acceptUpload(stagingPath: string, id: string, sanitizedName: string): Promise<string> {
    const accepted = join(this.uploads, acceptedUploadFileName(id, sanitizedName));
    await rename(stagingPath, accepted);
    await this.#syncDirectory(this.uploads);
    return accepted;
  }

  /** Fsyncs a file that was just written, when the store syncs. */
  async syncFile(handle: FileHandle): Promise<void> {
    if (this.#sync) await handle.sync();
  }

  /** Removes a file (a partial or refused upload); a file already gone is fine. */
  discard(path: string): Promise<void> {
    return removeIfPresent(path);
  }

  /**
   * Step 4: opens an input for reading.
   * @returns `undefined` when the file is gone (processed already, or moved away by another
   *   program since it was reported): nothing to do.
   */
  async openInput(path: string): Promise<FileHandle | undefined> {
    try {
      return await open(path, 'r');
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  /**
   * Step 5: writes `document` as the result of input `document.input`, atomically, under its
   * deterministic name (see `resultFileName`), and returns the result's path.
   */
  async writeResult(document: FileResultDocument): Promise<string> {
    const plain = resultFileName(document.input, document.sha256, 'plain');
    const existing = await readJsonIfPresent(join(this.outbox, plain));
    const sameContent = existing === undefined || (existing as { sha256?: unknown }).sha256 === document.sha256;
    const name = sameContent ? plain : resultFileName(document.input, document.sha256, 'disambiguated');
    await this.#writeAtomically(this.outbox, name, `${JSON.stringify(document, null, 2)}\n`);
    return join(this.outbox, name);
  }

  /** Step 6: removes a processed input; a file already gone is fine. */
  removeInput(path: string): Promise<void> {
    // Not fsynced: if a power loss brings the input back, it is processed again into the same result.
    return removeIfPresent(path);
  }

  /**
   * Step 7: moves an input that failed every attempt into `failed/`, with its report beside it,
   * and returns its path there. The report is written first; see the class doc.
   * @param nowMs Makes the name unique when `failed/` already holds a file of that name.
   */
  async moveToFailed(path: string, report: Omit<FailureReport, 'input'>, nowMs: number): Promise<string> {
    const name = basename(path);
    const taken = await exists(join(this.failed, name));
    const failedName = taken ? uniqueFailedFileName(name, nowMs) : name;
    const full: FailureReport = { input: failedName, ...report };
    await this.#writeAtomically(this.failed, errorFileName(failedName), `${JSON.stringify(full, null, 2)}\n`);
    const target = join(this.failed, failedName);
    await rename(path, target);
    await this.#syncDirectory(this.failed);
    return target;
  }

  /** Writes `text` to `directory/name` through a hidden temporary file and a rename. */
  async #writeAtomically(directory: string, name: string, text: string): Promise<void> {
    const temporary = join(directory, atomicTemporaryName(name));
    try {
      const handle = await open(temporary, 'wx', 0o644);
      try {
        await handle.writeFile(text);
        if (this.#sync) await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(temporary, join(directory, name));
    } catch (error) {
      await removeIfPresent(temporary).catch(() => undefined);
      throw error;
    }
    await this.#syncDirectory(directory);
  }

  async #syncDirectory(directory: string): Promise<void> {
    if (!this.#sync) return;
    let handle: FileHandle;
    try {
      handle = await open(directory, 'r');
    } catch (error) {
      // Platforms that cannot open a directory (Windows) cannot fsync one either.
      if (isCode(error, 'EISDIR', 'EPERM', 'EACCES')) return;
      throw error;
    }
    try {
      await handle.sync();
    } catch (error) {
      if (!isCode(error, 'EINVAL', 'EPERM', 'EBADF', 'EISDIR')) throw error;
    } finally {
      await handle.close();
    }
  }
}

/** Whether `error` is a file-system error with one of `codes`. */
export function isCode(error: unknown, ...codes: string[]): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && codes.includes(code);
}

/** Whether `error` says a path does not exist. */
export function isNotFound(error: unknown): boolean {
  return isCode(error, 'ENOENT');
}

async function removeIfPresent(path: string): Promise<void> {
  try {
    await unlink(path);
  } catch (error) {
    if (!isNotFound(error)) throw error;
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return true;
  } catch (error) {
    if (isNotFound(error)) return false;
    throw error;
  }
}

async function readJsonIfPresent(path: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    // Not ours (results are written atomically, so never half-written): treated as another file's.
    return {};
  }
}
