import type { IncomingMessage } from 'node:http';
import type { FileHandle } from 'node:fs/promises';
import { Busboy, type BusboyFileStream, type BusboyHeaders, type BusboyInstance } from '@fastify/busboy';
import type { FileStore } from './file-store.ts';

/** Options of {@link receiveUpload}. */
export interface ReceiveUploadOptions {
  readonly store: FileStore;
  /** The upload's id: its staging file is `uploads/<id>.partial`. */
  readonly id: string;
  /** The most bytes the file part may have (UPLOAD_MAX_BYTES). */
  readonly maxBytes: number;
  /** Aborted when the client goes away or the server stops: the upload is abandoned. */
  readonly signal: AbortSignal;
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
  /** Not a well-formed upload; `reason` is safe to show the client. */
  | { readonly kind: 'invalid'; readonly reason: string }
  /** `signal` aborted, or the connection broke. */
  | { readonly kind: 'aborted' }
  /** Writing the staging file failed (disk full, permissions). */
  | { readonly kind: 'failed'; readonly error: unknown };

/**
 * Limits on everything but the file: an upload is one file part, perhaps with a few small fields
 * (an HTML form's submit button), and nothing may make the parser buffer much.
 */
const LIMITS = { files: 1, fields: 16, parts: 17, fieldSize: 16 * 1024, fieldNameSize: 200, headerPairs: 32, headerSize: 16 * 1024 };

/**
 * Streams the one file part of a `multipart/form-data` request to `uploads/<id>.partial`
 * (created exclusively with mode 0600, see `FileStore.createStagingFile`), with back-pressure all
 * the way: the request is read only as fast as the disk takes it, and nothing is held in memory
 * beyond the streams' buffers.
 *
 * - Past `maxBytes`, it stops at once: the request is unpiped (nothing more is parsed or written)
 *   and the partial file removed (`too-large`).
 * - A request that is not a well-formed upload is `invalid`: the Content-Type is not multipart
 *   (or has no boundary), there is no file part, more than one, or the body ends before the
 *   closing boundary (truncated). Its partial file is removed.
 * - Client gone or server stopping (`signal`): `aborted`, partial file removed.
 *
 * The caller answers the request; the request may still have unread body (the upload route's
 * `refuse` reads and discards it, within limits, before closing the connection).
 */
export async function receiveUpload(request: IncomingMessage, options: ReceiveUploadOptions): Promise<ReceiveOutcome> {
  const { store, id, maxBytes, signal } = options;
  if (signal.aborted) return { kind: 'aborted' };
  let busboy: BusboyInstance;
  try {
    busboy = Busboy({ headers: request.headers as BusboyHeaders, limits: { ...LIMITS, fileSize: maxBytes } });
  } catch (error) {
    // "Unsupported Content-Type", "Multipart: Boundary not found", "Missing Content-Type-header".
    return { kind: 'invalid', reason: error instanceof Error ? error.message : String(error) };
  }

  let staging: Awaited<ReturnType<FileStore['createStagingFile']>> | undefined;
  let fileStream: BusboyFileStream | undefined;
  let clientName: string | undefined;
  let settle!: (outcome: ReceiveOutcome) => void;
  const settled = new Promise<ReceiveOutcome>((resolve) => {
    settle = resolve;
  });
  let outcome: ReceiveOutcome | undefined;
  /** The first outcome wins; whatever happens later is only cleaned up. */
  const finish = (result: ReceiveOutcome): void => {
    if (outcome !== undefined) return;
    outcome = result;
    if (result.kind !== 'received') {
      // Stop reading now: nothing more reaches the parser, and so nothing more reaches the disk.
      request.unpipe(busboy);
      fileStream?.destroy();
    }
    settle(result);
  };

  /** Writes the file part; settles `received` only once the file is complete and synced. */
  let writing: Promise<void> | undefined;
  const writeFile = async (stream: BusboyFileStream): Promise<void> => {
    staging = await store.createStagingFile(id);
    const { handle } = staging;
    // Pulling chunk by chunk is the back-pressure: the parser (and so the request) waits while a
    // chunk is written. Not handle.createWriteStream: closing a FileHandle that a stream used
    // with autoClose off never settles on Deno, and did not on Node either here.
    for await (const chunk of stream as AsyncIterable<Uint8Array>) {
      if (outcome !== undefined) return;
      await writeFully(handle, chunk);
    }
    if (stream.truncated || outcome !== undefined) return; // 'limit' already settled too-large
    await store.syncFile(handle);
  };

  busboy.on('file', (_field, stream, filename) => {
    // Every file part must be consumed or destroyed, or the parser stalls.
    if (fileStream !== undefined) {
      stream.resume();
      return;
    }
    fileStream = stream;
    clientName = filename;
    // The parser may report a truncated part on this stream after it was destroyed (when the
    // upload already failed for another reason): that must not become an uncaught exception.
    // The iteration in writeFile still sees the errors that matter.
    stream.on('error', () => undefined);
    stream.once('limit', () => finish({ kind: 'too-large' }));
    writing = writeFile(stream);
    // Errors here are the part's (truncated body) or the disk's; the first outcome wins. The
    // handler cannot throw, so this derived promise never rejects; `writing` itself is awaited
    // by the cleanup below.
    void writing.catch((error: unknown) => {
      if (signal.aborted) finish({ kind: 'aborted' });
      else if (isTruncation(error)) finish({ kind: 'invalid', reason: 'The multipart body ended before its closing boundary' });
      else finish({ kind: 'failed', error });
    });
  });
  busboy.on('filesLimit', () => finish({ kind: 'invalid', reason: 'Expected exactly one file part, got more' }));
  busboy.on('partsLimit', () => finish({ kind: 'invalid', reason: `Expected at most ${LIMITS.parts} parts` }));
  busboy.on('error', (error: unknown) => {
    const message = error instanceof Error ? error.message : String(error);
    finish({ kind: 'invalid', reason: /unexpected end/i.test(message) ? 'The multipart body ended before its closing boundary' : message });
  });
  busboy.on('finish', () => {
    if (writing === undefined) {
      finish({ kind: 'invalid', reason: 'Expected a file part (Content-Disposition: form-data; name="file"; filename="...")' });
      return;
    }
    // The parser is done; the file is complete once written and synced. Neither handler throws,
    // so this derived promise never rejects.
    void writing.then(
      () => {
        if (fileStream?.truncated === true) return;
        const bytes = fileStream?.bytesRead ?? 0;
        // What a browser sends for a file input left empty.
        if (clientName === '' && bytes === 0) {
          finish({ kind: 'invalid', reason: 'No file was selected (empty file part without a file name)' });
          return;
        }
        finish({ kind: 'received', stagingPath: staging!.path, clientName, bytes });
      },
      () => undefined, // reported by the catch above
    );
  });
  const onAbort = (): void => finish({ kind: 'aborted' });
  signal.addEventListener('abort', onAbort, { once: true });
  const onClose = (): void => {
    // The connection closed before the whole body arrived: the client went away.
    if (!request.complete) finish({ kind: 'aborted' });
  };
  request.once('close', onClose);
  request.once('error', onClose);

  request.pipe(busboy);
  const result = await settled;
  signal.removeEventListener('abort', onAbort);
  request.off('close', onClose);
  request.off('error', onClose);
  // Nothing the parser does from now on matters, and it must not throw an unhandled 'error'.
  busboy.on('error', () => undefined);
  if (result.kind === 'received') {
    await staging!.handle.close();
    return result;
  }
  // Wait for the write to stop before removing what it wrote.
  await writing?.catch(() => undefined);
  if (staging !== undefined) {
    await staging.handle.close().catch(() => undefined);
    await store.discard(staging.path);
  }
  return result;
}

/** Writes all of `chunk` at the file's position (a write may take fewer bytes than asked). */
async function writeFully(handle: FileHandle, chunk: Uint8Array): Promise<void> {
  let offset = 0;
  while (offset < chunk.length) {
    const { bytesWritten } = await handle.write(chunk, offset, chunk.length - offset);
    offset += bytesWritten;
  }
}

function isTruncation(error: unknown): boolean {
  return error instanceof Error && /terminated early|unexpected end/i.test(error.message);
}
