import type { IncomingMessage, ServerResponse } from 'node:http';
import { basename } from 'node:path';
import {
  CancellationSource,
  ChannelClosedError,
  type ChannelWriter,
  type FileWorkItem,
  type Logger,
  type TimeProvider,
} from '@hostkit/core';
import type { ActivityLog } from '../database/activity-log.ts';
import { isOutOfSpace, type StorageMonitor } from './storage-monitor.ts';
import { sendJson } from '../http/json-response.ts';
import type { Route } from '../http/route.ts';
import { newUploadId, RESULT_SUFFIX, sanitizeClientFileName } from './file-names.ts';
import type { FileProcessingCounters } from './file-processing-counters.ts';
import { FILES_ACTIVITY_SOURCE } from './file-processing-service.ts';
import type { FileStore } from './file-store.ts';
import { receiveUpload } from './receive-upload.ts';
import { withWriterContext } from '../telemetry/sample-spans.ts';

/** Options of {@link createUploadRoute}. */
export interface UploadRouteOptions {
  readonly store: FileStore;
  /** The file channel's writing side, shared with the inbox watcher (single-process mode). */
  readonly writer?: ChannelWriter<FileWorkItem> | undefined;
  /**
   * Queues an accepted upload instead of {@link writer} (cluster mode: a work-queue entry).
   * Must reject with the signal's reason, or with the queue's error, when it could not queue;
   * the upload is then removed and answered 503.
   */
  readonly enqueue?: ((acceptedPath: string, signal: AbortSignal) => Promise<void>) | undefined;
  readonly counters: FileProcessingCounters;
  /** The clock of the queueing deadline and of the refused bodies' drain time. */
  readonly timeProvider: TimeProvider;
  /** UPLOAD_MAX_BYTES: the most bytes the file may have. */
  readonly maxBytes: number;
  /**
   * How long an accepted upload may wait for room in the channel before it is refused with 503.
   * @default 3000
   */
  readonly queueTimeoutMs?: number | undefined;
  /**
   * The `Retry-After` of a 503, in seconds.
   * @default 5
   */
  readonly retryAfterSeconds?: number | undefined;
  /** Called for each request: the activity log is resolved once the container is built. */
  readonly activityLog?: (() => ActivityLog | undefined) | undefined;
  readonly logger?: (() => Logger | undefined) | undefined;
  /** Told when an upload could not be stored for lack of space (then answered 507). @default none: such an upload gets 500 */
  readonly storage?: StorageMonitor | undefined;
}

/**
 * Room for the multipart framing around the file (boundaries, part headers, a few small fields):
 * a request whose declared Content-Length is beyond `maxBytes` plus this is refused with 413
 * before a byte of it is read.
 */
const MULTIPART_ALLOWANCE_BYTES = 64 * 1024;
/**
 * After answering early (400, 413), the rest of the body is read and thrown away (never parsed,
 * never written) for at most this long and this many bytes, then the connection is closed.
 * Closing at once, with unread data, makes the kernel reset the connection, and clients that
 * write their whole body before reading (fetch with a FormData body does) then fail with EPIPE
 * instead of seeing the 413 (seen). Reading on without a bound would let a client keep the server
 * busy: past these limits the client gets the reset.
 */
const DISCARD_LIMIT_MS = 3_000;
const DISCARD_LIMIT_BYTES = 4 * 1024 * 1024;

/**
 * POST /upload: one file as `multipart/form-data`, streamed to a staging file in DATA_DIR and
 * queued on the file channel.
 *
 * | status | when |
 * | --- | --- |
 * | 202 | queued; the body has the id and the result's name in `outbox/` |
 * | 400 | not a well-formed upload: not multipart, no file part, more than one, truncated body |
 * | 413 | the file (or the declared body) is larger than UPLOAD_MAX_BYTES; the partial file is removed |
 * | 503 + Retry-After | the channel stayed full for 3 s, or the processor has stopped; the file is removed |
 * | 507 + Retry-After | DATA_DIR's disk is full (ENOSPC, EDQUOT); the partial file is removed |
 *
 * Every path answers: the seed's handler deleted the file on timeout and sent nothing, leaving
 * the client to hang.
 *
 * The file is accepted (renamed to `uploads/<id>--<name>`, durable) BEFORE it is queued, so a
 * crash after the 202 cannot lose it; see `FileStore` for the whole argument.
 */
export function createUploadRoute(options: UploadRouteOptions): Route {
  return {
    method: 'POST',
    path: '/upload',
    handle: (request, response, signal) => handleUpload(options, request, response, signal),
  };
}

async function handleUpload(options: UploadRouteOptions, request: IncomingMessage, response: ServerResponse, signal: AbortSignal): Promise<void> {
  const { store, counters, timeProvider, maxBytes } = options;
  const writer = options.writer;
  const enqueue =
    options.enqueue ??
    (async (path: string, queueSignal: AbortSignal): Promise<void> => {
      if (writer === undefined) throw new ChannelClosedError();
      // The item carries the request's trace context: its processing continues the upload's trace.
      await writer.write(withWriterContext({ path, done: noop }), queueSignal);
    });
  const logger = options.logger?.();
  const contentType = request.headers['content-type'] ?? '';
  if (!/^multipart\/form-data\s*(;|$)/i.test(contentType)) {
    counters.uploadsInvalid++;
    refuse(options, request, response, 400, {
      error: 'invalid_upload',
      message: `Expected a multipart/form-data body with one file part, got Content-Type ${JSON.stringify(contentType)}`,
    });
    return;
  }
  const declared = Number(request.headers['content-length'] ?? Number.NaN);
  if (declared > maxBytes + MULTIPART_ALLOWANCE_BYTES) {
    counters.uploadsTooLarge++;
    refuse(options, request, response, 413, tooLargeBody(maxBytes));
    return;
  }
  try {
    // Start-up recovery removes every staging file: an upload must not begin before it has run.
    await store.prepare();
  } catch (error) {
    logger?.error('Upload refused: the file store could not be prepared', { error });
    refuse(options, request, response, 503, { error: 'unavailable', message: 'The file store is not available' }, retryAfter(options));
    return;
  }

  const id = newUploadId();
  const received = await receiveUpload(request, { store, id, maxBytes, signal });
  switch (received.kind) {
    case 'too-large':
      counters.uploadsTooLarge++;
      refuse(options, request, response, 413, tooLargeBody(maxBytes));
      return;
    case 'invalid':
      counters.uploadsInvalid++;
      refuse(options, request, response, 400, { error: 'invalid_upload', message: received.reason });
      return;
    case 'aborted':
      // The client is gone (nobody to answer), or the server is stopping.
      refuse(options, request, response, 503, { error: 'unavailable', message: 'The server is stopping' }, retryAfter(options));
      return;
    case 'failed':
      if (refusedForSpace(options, request, response, received.error, id)) return;
      logger?.error('Upload failed while writing its staging file', { error: received.error, id });
      refuse(options, request, response, 500, { error: 'internal_error', message: 'The upload could not be stored' });
      return;
    case 'received':
      break;
  }

  const originalName = sanitizeClientFileName(received.clientName);
  let acceptedPath: string;
  try {
    acceptedPath = await store.acceptUpload(received.stagingPath, id, originalName);
  } catch (error) {
    await store.discard(received.stagingPath);
    if (refusedForSpace(options, request, response, error, id)) return;
    logger?.error('Upload failed while accepting its staging file', { error, id });
    sendJson(response, 500, { error: 'internal_error', message: 'The upload could not be stored' });
    return;
  }

  // Queue with a deadline: 3 s from now on the host's clock, or sooner if the client leaves.
  using deadline = CancellationSource.linked([signal], { timeProvider, delay: options.queueTimeoutMs ?? 3_000 });
  try {
    await enqueue(acceptedPath, deadline.signal);
  } catch (error) {
    // Not queued (a cancelled write never delivers its item): nobody else holds the file.
    await store.discard(acceptedPath);
    // A client that left while waiting was not refused: there is nobody to answer.
    if (!signal.aborted) counters.uploadsRejectedBusy++;
    const stopped = error instanceof ChannelClosedError;
    const message = stopped
      ? 'File processing has stopped; try again later'
      : signal.aborted
        ? 'The server is stopping'
        : deadline.signal.aborted
          ? `The processing queue stayed full for ${options.queueTimeoutMs ?? 3_000} ms; try again later`
          : `The processing queue is not available (${error instanceof Error ? error.message : String(error)}); try again later`;
    logger?.warn(`Upload ${id} refused with 503: ${message}`, { id, ...(!stopped && !deadline.signal.aborted && { error }) });
    options.activityLog?.()?.write(FILES_ACTIVITY_SOURCE, `upload ${id} refused (503): ${message}`);
    sendJson(response, 503, { error: stopped ? 'unavailable' : 'busy', message }, retryAfter(options));
    return;
  }
  counters.uploadsAccepted++;
  options.storage?.reportWritten();
  const name = basename(acceptedPath);
  logger?.info(`Upload accepted: ${name} (${received.bytes} bytes), queued for processing`, { id, bytes: received.bytes });
  options.activityLog?.()?.write(FILES_ACTIVITY_SOURCE, `upload accepted ${name} (${received.bytes} bytes)`);
  sendJson(response, 202, {
    id,
    name,
    originalName,
    bytes: received.bytes,
    // Deterministic: an upload's name is unique, so its result always has the plain name.
    result: `outbox/${name}${RESULT_SUFFIX}`,
  });
}

/** Answers 507 when `error` says the disk is full (and tells the storage monitor); false for any other error. */
function refusedForSpace(options: UploadRouteOptions, request: IncomingMessage, response: ServerResponse, error: unknown, id: string): boolean {
  const storage = options.storage;
  if (storage === undefined || !isOutOfSpace(error)) return false;
  options.counters.uploadsRejectedNoSpace++;
  if (storage.reportFull(error, options.timeProvider.now())) {
    options.logger?.()?.warn("DATA_DIR's disk is full: uploads are answered 507 until there is room again", { error, id });
  }
  refuse(
    options,
    request,
    response,
    507,
    { error: 'insufficient_storage', message: 'The server has no room to store the upload (its disk is full); try again later' },
    retryAfter(options),
  );
  return true;
}

function noop(): void {
  // An upload is not tracked by the inbox feeder: there is nothing to release.
}

function retryAfter(options: UploadRouteOptions): Record<string, string> {
  return { 'retry-after': String(options.retryAfterSeconds ?? 5) };
}

function tooLargeBody(maxBytes: number): Record<string, unknown> {
  return { error: 'too_large', message: `The file is larger than the limit of ${maxBytes} bytes`, maxBytes };
}

/**
 * Answers a request whose body may not have been read to its end, and closes the connection
 * after throwing away what the client is still sending, within {@link DISCARD_LIMIT_MS} and
 * {@link DISCARD_LIMIT_BYTES} (see there for why).
 */
function refuse(
  options: UploadRouteOptions,
  request: IncomingMessage,
  response: ServerResponse,
  status: number,
  body: Record<string, unknown>,
  headers: Record<string, string> = {},
): void {
  const complete = request.complete || request.destroyed;
  sendJson(response, status, body, complete ? headers : { ...headers, connection: 'close' });
  if (complete) return;
  let discarded = 0;
  const stop = (): void => {
    timer.dispose();
    request.off('data', onData);
    request.socket?.destroy();
  };
  const onData = (chunk: Buffer): void => {
    discarded += chunk.length;
    if (discarded > DISCARD_LIMIT_BYTES) stop();
  };
  const timer = options.timeProvider.createTimer(stop, DISCARD_LIMIT_MS);
  request.on('data', onData);
  request.once('end', () => {
    timer.dispose();
    request.off('data', onData);
  });
  request.once('close', () => timer.dispose());
  request.resume();
}
