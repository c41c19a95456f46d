/**
 * Every name the file-processing sample gives a file, in one place, because crash safety rests on
 * them: a name decides whether a leftover is cleaned, recovered or processed, and whether
 * processing the same input twice overwrites one result or makes a second.
 *
 * | file | name | where |
 * | --- | --- | --- |
 * | upload being received | `<id>.partial` | `uploads/` (staging; removed at start) |
 * | upload accepted (202 sent or about to be) | `<id>--<sanitised client name>` | `uploads/`, moved to `inbox/` at start |
 * | file dropped by another program | any name the watcher does not ignore | `inbox/` |
 * | result of input `N` | `N.result.json`, or `N.<sha256:12>.result.json` (see {@link resultFileName}) | `outbox/` |
 * | input that failed 3 times | `N`, or `<stamp>-<rand>--N` when `N` is taken | `failed/` |
 * | why it failed | `<failed name>.error.json` | `failed/` |
 * | any file while it is written | `.<final name>.<rand>.tmp` (hidden, so never watched, listed or served) | same directory |
 *
 * `<id>` is a random UUID, so an upload's name is unique whatever the client calls its file, and
 * the client's name only ever appears as a sanitised suffix: it cannot hold a separator, start
 * with a dot or be empty, so it can never leave the directory or hide the file.
 * @module
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { isTemporaryFileName } from '@hostkit/core';

/** The suffix of an upload that is still being received. */
export const STAGING_SUFFIX = '.partial';
/** The suffix of a result in `outbox/`. */
export const RESULT_SUFFIX = '.result.json';
/** The suffix of a failure report in `failed/`. */
export const ERROR_SUFFIX = '.error.json';

const UPLOAD_NAME = /^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})--(.+)$/;
/** The sanitised client name is kept to this many UTF-8 bytes, so every derived name stays under 255. */
const MAX_CLIENT_NAME_BYTES = 120;
/** Input names longer than this get a shortened, hashed result name (a result name adds up to 25 bytes). */
const MAX_PLAIN_RESULT_BASE_BYTES = 200;

/** A new upload id: a random UUID. */
export function newUploadId(): string {
  return randomUUID();
}

/** The staging name of upload `id`: ends in `.partial`, which the inbox watcher ignores and start-up removes. */
export function stagingFileName(id: string): string {
  return `${id}${STAGING_SUFFIX}`;
}

/** Whether `name` is an upload still being received (or abandoned by a crash). */
export function isStagingFileName(name: string): boolean {
  return name.endsWith(STAGING_SUFFIX);
}

/**
 * Turns what a client sent as its file name into a safe name component, kept as metadata for the
 * result's name:
 * - only the last path segment (`/` or `\`) is kept;
 * - Unicode NFC; every character other than a letter, a digit, a combining mark, `.`, `-` or `_`
 *   becomes `_` (so no separator, control character, space or `:`), runs of `_` collapse;
 * - leading dots, dashes and underscores are removed (no hidden files, nothing that reads as a
 *   command-line option);
 * - at most 120 UTF-8 bytes, cut on a character boundary;
 * - `upload` when nothing is left.
 */
export function sanitizeClientFileName(clientName: string | undefined): string {
  const lastSegment = (clientName ?? '').split(/[/\\]/).pop() ?? '';
  let name = lastSegment
    .normalize('NFC')
    .replace(/[^\p{L}\p{N}\p{M}._-]/gu, '_')
    .replace(/_+/g, '_')
    .replace(/^[._-]+/, '');
  name = truncateUtf8(name, MAX_CLIENT_NAME_BYTES);
  return name === '' ? 'upload' : name;
}

/**
 * The name an accepted upload keeps from `uploads/` through `inbox/` to its result:
 * `<id>--<sanitised name>`. A name the inbox watcher would ignore as temporary (`x.tmp`,
 * `x.partial`) gets a `_` appended, or the file would never be processed after a restart.
 */
export function acceptedUploadFileName(id: string, sanitizedName: string): string {
  const name = `${id}--${sanitizedName}`;
  return isTemporaryFileName(name) ? `${name}_` : name;
}

/** What an input's name says about it. */
export interface InputNameInfo {
  /** The upload id, for an upload (`<id>--<name>`); undefined for a file dropped into the inbox. */
  readonly uploadId: string | undefined;
  /** The client's sanitised name for an upload; the file's own name otherwise. */
  readonly originalName: string;
}

/** Reads an input's name: an upload's id and client name, or a dropped file's own name. */
export function parseInputName(name: string): InputNameInfo {
  const match = UPLOAD_NAME.exec(name);
  if (match === null) return { uploadId: undefined, originalName: name };
  return { uploadId: match[1], originalName: match[2] ?? name };
}

/**
 * The result name of input `inputName`, deterministic so that processing the same input again
 * (after a crash between writing the result and removing the input) overwrites its one result:
 * - `plain`: `<inputName>.result.json`, used when that name is free or already holds the result
 *   of the same content (same SHA-256);
 * - `disambiguated`: `<inputName>.<first 12 hex of the content's SHA-256>.result.json`, used when
 *   the plain name holds the result of a DIFFERENT file that had the same name earlier (names in
 *   the inbox are unique at any one time, not over time).
 *
 * Names longer than 200 bytes are cut and suffixed with a hash of the whole name, so the result
 * name stays under the 255-byte limit of common filesystems and two long names do not collide.
 */
export function resultFileName(inputName: string, sha256: string, kind: 'plain' | 'disambiguated'): string {
  let base = inputName;
  if (Buffer.byteLength(base) > MAX_PLAIN_RESULT_BASE_BYTES) {
    base = `${truncateUtf8(base, MAX_PLAIN_RESULT_BASE_BYTES - 13)}.${createHash('sha256').update(inputName).digest('hex').slice(0, 12)}`;
  }
  return kind === 'plain' ? `${base}${RESULT_SUFFIX}` : `${base}.${sha256.slice(0, 12)}${RESULT_SUFFIX}`;
}

/** The name in `failed/` for an input named `inputName` when `inputName` is already taken there. */
export function uniqueFailedFileName(inputName: string, nowMs: number): string {
  return `${nowMs}-${randomBytes(3).toString('hex')}--${inputName}`;
}

/** The failure report beside a failed input. */
export function errorFileName(failedName: string): string {
  return `${failedName}${ERROR_SUFFIX}`;
}

/**
 * A temporary name beside `finalName` for an atomic write: hidden and ending in `.tmp`, so that
 * the inbox watcher, anyone listing `outbox/` for results, and the start-up cleanup all recognise
 * it ({@link isAtomicTemporaryName}).
 */
export function atomicTemporaryName(finalName: string): string {
  return `.${finalName}.${randomBytes(4).toString('hex')}.tmp`;
}

/** Whether `name` is a leftover of an atomic write that did not reach its rename. */
export function isAtomicTemporaryName(name: string): boolean {
  return name.startsWith('.') && name.endsWith('.tmp');
}

/** The longest prefix of `text` that fits in `maxBytes` UTF-8 bytes, cut between code points. */
function truncateUtf8(text: string, maxBytes: number): string {
  if (Buffer.byteLength(text) <= maxBytes) return text;
  let bytes = 0;
  let end = 0;
  for (const char of text) {
    const size = Buffer.byteLength(char);
    if (bytes + size > maxBytes) break;
    bytes += size;
    end += char.length;
  }
  return text.slice(0, end);
}
