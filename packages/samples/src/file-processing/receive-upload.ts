import type { FileHandle } from 'node:fs/promises';
import type { TimeProvider } from '@hostkit/core';
import type { FileStore } from './file-store.ts';
import { MultipartError, multipartBoundary, parseMultipart } from './multipart-stream.ts';

/** Options of {@link receiveUpload}. */
export interface ReceiveUploadOptions {
  readonly store: FileStore;
  /** The upload's id: its staging file is `uploads/<id>.partial`. */
  readonly id: string;
  /** The most bytes the file part may have (UPLOAD_MAX_BYTES). */
  readonly maxBytes: number;
  /** Aborted when the client goes away or the server stops: the upload is abandoned. */
  readonly signal: AbortSignal;
  /** The clock of the idle timeout. */
  readonly timeProvider: TimeProvider;
  /**
   * The longest wait for the next piece of the body (UPLOAD_IDLE_TIMEOUT_MS), like nginx's
   * `client_body_timeout`: a stalled client does not hold its slot and its staging file.
   * @default 60000
   */
  readonly idleTimeoutMs?: number | undefined;
  /** Called with each chunk's size as it is written (the staging quota counts them). */
  readonly onBytes?: ((bytes: number) => boolean) | undefined;
}

/** How receiving ended. Every outcome but `received` has already removed the staging file. */
export type ReceiveOutcome =
  | {
      readonly kind: 'received';
      /** The complete, fsynced and closed staging file. */
      readonly stagingPath: string;
      /** The file name the client sent, unsanitised ('' or undefined when it sent none). */
      readonly clientName: string | undefined;
      readonly bytes: number;
    }
  /** The file part went past `maxBytes`. Reading stopped there. */
  | { readonly kind: 'too-large' }
  /** `onBytes` refused: the staging quota is spent. Reading stopped there. */
  | { readonly kind: 'over-quota' }
  /** Not a well-formed upload; `reason` is safe to show the client. */
  | { readonly kind: 'invalid'; readonly reason: string }
  /** No piece of the body came for `idleTimeoutMs`. */
  | { readonly kind: 'idle' }
  /** `signal` aborted, or the connection broke. */
  | { readonly kind: 'aborted' }
  /** Writing the staging file failed (disk full, permissions). */
  | { readonly kind: 'failed'; readonly error: unknown };

/** Parts beyond the one file: an HTML form's few small fields. */
const MAX_PARTS = 17;
const MAX_FIELD_BYTES = 16 * 1024;
/** The field that carries the file, as in `curl -F file=@report.csv`. */
export const FILE_FIELD = 'file';

class Stop extends Error {
  readonly outcome: ReceiveOutcome;
  constructor(outcome: ReceiveOutcome) {
    super(outcome.kind);
    this.outcome = outcome;
  }
}

/**
 * Streams the one file part (field `file`) of a `multipart/form-data` body to
 * `uploads/<id>.partial` (created exclusively with mode 0600, see `FileStore.createStagingFile`),
 * with back-pressure all the way: the body is read only as fast as the disk takes it, and nothing
 * is held in memory beyond one chunk (see `parseMultipart`), on Node and Deno alike.
 *
 * - Past `maxBytes`, it stops at once (`too-large`); nothing more is read or written.
 * - Not a well-formed upload (`invalid`): not multipart or no boundary, no file part, a file part
 *   in another field than `file`, more than one, too many fields, or a body that ends before its
 *   closing boundary (truncated).
 * - No data for `idleTimeoutMs` (`idle`), client gone or server stopping (`aborted`).
 * Every outcome but `received` removes the partial file.
 */
export async function receiveUpload(body: ReadableStream<Uint8Array> | null, contentType: string, options: ReceiveUploadOptions): Promise<ReceiveOutcome> {
  const { store, id, maxBytes, signal } = options;
  if (signal.aborted) return { kind: 'aborted' };
  const boundary = multipartBoundary(contentType);
  if (boundary === undefined) return { kind: 'invalid', reason: 'Multipart: Boundary not found in the Content-Type' };
  if (body === null) return { kind: 'invalid', reason: 'The request has no body' };
  const reader = body.getReader();
  const idleTimeoutMs = options.idleTimeoutMs ?? 60_000;
  let stopped: ReceiveOutcome | undefined;
  const stop = (outcome: ReceiveOutcome): void => {
    if (stopped !== undefined) return;
    stopped = outcome;
    // Cancelling the reader ends the pending read at once, and tells the server to stop reading.
    void reader.cancel(outcome.kind).catch(() => undefined); // a body that already failed cannot be cancelled: nothing to do
  };
  const onAbort = (): void => stop({ kind: 'aborted' });
  signal.addEventListener('abort', onAbort, { once: true });
  const idleTimer = options.timeProvider.createTimer(() => stop({ kind: 'idle' }), idleTimeoutMs);
  const read = async (): Promise<Uint8Array | undefined> => {
    idleTimer.change(idleTimeoutMs);
    let result: ReadableStreamReadResult<Uint8Array>;
    try {
      result = await reader.read();
    } catch {
      // The body broke off: the client went away, or the server is closing the connection.
      throw new Stop(stopped ?? { kind: 'aborted' });
    }
    if (stopped !== undefined) throw new Stop(stopped);
    return result.done ? undefined : result.value;
  };

  let staging: Awaited<ReturnType<FileStore['createStagingFile']>> | undefined;
  let clientName: string | undefined;
  let bytes = 0;
  let outcome: ReceiveOutcome;
  try {
    let fileSeen = false;
    for await (const part of parseMultipart(read, boundary, { maxParts: MAX_PARTS })) {
      if (part.filename === undefined) {
        // A plain field: read and dropped, within a small bound.
        let size = 0;
        for await (const chunk of part.body) {
          size += chunk.length;
          if (size > MAX_FIELD_BYTES) throw new Stop({ kind: 'invalid', reason: `A form field is larger than ${MAX_FIELD_BYTES} bytes` });
        }
        continue;
      }
      if (part.name !== FILE_FIELD) {
        throw new Stop({ kind: 'invalid', reason: `Expected the file in the field named "${FILE_FIELD}", got a file in ${JSON.stringify(part.name ?? '')}` });
      }
      if (fileSeen) throw new Stop({ kind: 'invalid', reason: 'Expected exactly one file part, got more' });
      fileSeen = true;
      clientName = part.filename;
      staging = await store.createStagingFile(id);
      for await (const chunk of part.body) {
        bytes += chunk.length;
        if (bytes > maxBytes) throw new Stop({ kind: 'too-large' });
        if (options.onBytes !== undefined && !options.onBytes(chunk.length)) throw new Stop({ kind: 'over-quota' });
        await writeFully(staging.handle, chunk);
      }
    }
    if (!fileSeen) {
      outcome = { kind: 'invalid', reason: `Expected a file part (Content-Disposition: form-data; name="${FILE_FIELD}"; filename="...")` };
    } else if (clientName === '' && bytes === 0) {
      // What a browser sends for a file input left empty.
      outcome = { kind: 'invalid', reason: 'No file was selected (empty file part without a file name)' };
    } else {
      await store.syncFile(staging!.handle);
      outcome = { kind: 'received', stagingPath: staging!.path, clientName, bytes };
    }
  } catch (error) {
    if (error instanceof Stop) outcome = error.outcome;
    else if (stopped !== undefined) outcome = stopped;
    else if (error instanceof MultipartError) outcome = { kind: 'invalid', reason: error.message };
    else if (signal.aborted) outcome = { kind: 'aborted' };
    else outcome = { kind: 'failed', error };
  } finally {
    idleTimer.dispose();
    signal.removeEventListener('abort', onAbort);
  }
  if (outcome.kind !== 'received') {
    stop(outcome);
    if (staging !== undefined) {
      await staging.handle.close().catch(() => undefined);
      await store.discard(staging.path);
    }
    return outcome;
  }
  reader.releaseLock();
  await staging!.handle.close();
  return outcome;
}

/** Writes all of `chunk` at the file's position (a write may take fewer bytes than asked). */
async function writeFully(handle: FileHandle, chunk: Uint8Array): Promise<void> {
  let offset = 0;
  while (offset < chunk.length) {
    const { bytesWritten } = await handle.write(chunk, offset, chunk.length - offset);
    offset += bytesWritten;
  }
}
