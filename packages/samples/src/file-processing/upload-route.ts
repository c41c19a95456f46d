import { basename } from 'node:path';
import {
  CancellationSource,
  ChannelClosedError,
  type ChannelWriter,
  type FileWorkItem,
  type Logger,
  type TimeProvider,
} from '@hostkit/core';
import type { HostkitEnv } from '@hostkit/adapters/hono';
import type { Context, Hono } from 'hono';
import type { ActivityLog } from '../database/activity-log.ts';
import { isOutOfSpace, type StorageMonitor } from './storage-monitor.ts';
import { newUploadId, RESULT_SUFFIX, sanitizeClientFileName } from './file-names.ts';
import type { FileProcessingCounters } from './file-processing-counters.ts';
import { FILES_ACTIVITY_SOURCE } from './file-processing-service.ts';
import type { FileStore } from './file-store.ts';
import type { UploadIdempotencyStore } from './idempotency-store.ts';
import { receiveUpload } from './receive-upload.ts';
import { withWriterContext } from '../telemetry/sample-spans.ts';

/** Options of {@link addUploadRoute}. */
export interface UploadRouteOptions {
  readonly store: FileStore;
  /** The file channel's writing side, shared with the inbox watcher (single-process mode). */
  readonly writer?: ChannelWriter<FileWorkItem> | undefined;
  /**
   * Queues an accepted upload instead of {@link writer} (cluster mode: a work-queue entry).
   * Must reject with the signal's reason, or with the queue's error, when it could not queue;
   * the upload is then removed and answered 503. `release` gives the upload's staging-quota
   * bytes back: call it once the file is no longer waiting on this replica's disk.
   */
  readonly enqueue?: ((acceptedPath: string, signal: AbortSignal, release: () => void) => Promise<void>) | undefined;
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
  /**
   * UPLOADS_MAX_IN_PROGRESS: uploads being received at once; one more is answered 503 with
   * Retry-After before its body is read (each holds a connection, a file descriptor and a
   * staging file). @default 64
   */
  readonly maxInProgress?: number | undefined;
  /** UPLOAD_IDLE_TIMEOUT_MS: the longest wait for the next piece of a body (then 408). @default 60000 */
  readonly idleTimeoutMs?: number | undefined;
  /**
   * UPLOAD_STAGING_MAX_BYTES: bytes of uploads received or being received and not yet processed;
   * past it an upload is answered 503 with Retry-After (before its body is read when its declared
   * length would not fit). @default no limit
   */
  readonly stagingQuota?: StagingQuota | undefined;
  /**
   * Refuses an upload before its body is read, with the message of the 503, when queueing it is
   * hopeless (the channel full and not moving). @default never
   */
  readonly refuseEarly?: (() => string | undefined) | undefined;
  /** Where answers to uploads with an `Idempotency-Key` are kept. @default the header is ignored */
  readonly idempotency?: UploadIdempotencyStore | undefined;
}

/**
 * Bytes of uploads on disk that the processor has not taken yet: reserved chunk by chunk while
 * receiving, released when an upload is refused or its file leaves the channel's queue.
 */
export class StagingQuota {
  readonly #limit: number;
  #used = 0;

  /** @param limit The most bytes; `Infinity` for no limit. */
  constructor(limit: number) {
    if (!(limit > 0)) throw new RangeError(`Expected the staging quota to be a number > 0, got ${String(limit)} (${typeof limit})`);
    this.#limit = limit;
  }

  /** Bytes in use now. */
  get used(): number {
    return this.#used;
  }

  /** The limit. */
  get limit(): number {
    return this.#limit;
  }

  /** Reserves `bytes`; false (nothing reserved) when they do not fit. */
  tryReserve(bytes: number): boolean {
    if (this.#used + bytes > this.#limit) return false;
    this.#used += bytes;
    return true;
  }

  /** Whether `bytes` more would fit now. */
  fits(bytes: number): boolean {
    return this.#used + bytes <= this.#limit;
  }

  /** Gives `bytes` back. */
  release(bytes: number): void {
    this.#used = Math.max(0, this.#used - bytes);
  }
}

/**
 * Room for the multipart framing around the file (boundaries, part headers, a few small fields):
 * a request whose declared Content-Length is beyond `maxBytes` plus this is refused with 413
 * before a byte of it is read.
 */
const MULTIPART_ALLOWANCE_BYTES = 64 * 1024;
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
export function addUploadRoute(app: Hono<HostkitEnv>, options: UploadRouteOptions): void {
  const inProgress = { count: 0 };
  app.post('/upload', (c) => handleUpload(options, c, inProgress));
}

/** A key as RFC draft-ietf-httpapi-idempotency-key-header has it: a short opaque string. */
const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,200}$/;

async function handleUpload(options: UploadRouteOptions, c: Context<HostkitEnv>, inProgress: { count: number }): Promise<Response> {
  const key = c.req.header('idempotency-key');
  const store = options.idempotency;
  if (key === undefined || store === undefined) return receiveAndQueue(options, c, inProgress);
  if (!IDEMPOTENCY_KEY.test(key)) {
    options.counters.uploadsInvalid++;
    return refuse(400, { error: 'invalid_upload', message: 'Expected Idempotency-Key to be 1 to 200 visible ASCII characters' });
  }
  let stored;
  try {
    stored = store.find(key);
  } catch (error) {
    // Without the check, a retry could store a second copy: refuse, the client retries.
    options.logger?.()?.warn('Upload refused: its Idempotency-Key could not be checked', { error });
    return refuse(503, { error: 'unavailable', message: 'The upload could not be checked against earlier attempts; try again later' }, retryAfter(options));
  }
  if (stored !== undefined) {
    // The body is not read: the first attempt's answer is the answer.
    return new Response(stored.body, {
      status: stored.status,
      headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', 'idempotent-replayed': 'true', connection: 'close' },
    });
  }
  if (!store.begin(key)) {
    return refuse(409, { error: 'in_progress', message: 'An upload with this Idempotency-Key is still being received; retry when it has been answered' }, retryAfter(options));
  }
  try {
    const response = await receiveAndQueue(options, c, inProgress);
    if (response.status === 202) {
      const body = await response.clone().text();
      try {
        store.save(key, { status: 202, body });
      } catch (error) {
        // The upload is queued: answer it; only a retry's deduplication is lost.
        options.logger?.()?.warn('The answer to an upload with an Idempotency-Key could not be stored', { error });
      }
    }
    return response;
  } finally {
    store.end(key);
  }
}

async function receiveAndQueue(options: UploadRouteOptions, c: Context<HostkitEnv>, inProgress: { count: number }): Promise<Response> {
  const signal = c.env.signal;
  const { store, counters, timeProvider, maxBytes } = options;
  const writer = options.writer;
  const enqueue =
    options.enqueue ??
    (async (path: string, queueSignal: AbortSignal, release: () => void): Promise<void> => {
      if (writer === undefined) throw new ChannelClosedError();
      // The processor calls `done` once it has finished with the file: its staging bytes go then.
      // The item carries the request's trace context: its processing continues the upload's trace.
      await writer.write(withWriterContext({ path, done: release }), queueSignal);
    });
  const logger = options.logger?.();
  const contentType = c.req.header('content-type') ?? '';
  if (!/^multipart\/form-data\s*(;|$)/i.test(contentType)) {
    counters.uploadsInvalid++;
    return refuse(400, {
      error: 'invalid_upload',
      message: `Expected a multipart/form-data body with one file part, got Content-Type ${JSON.stringify(contentType)}`,
    });
  }
  const declaredHeader = c.req.header('content-length');
  const declared = declaredHeader === undefined ? Number.NaN : Number(declaredHeader);
  if (declared > maxBytes + MULTIPART_ALLOWANCE_BYTES) {
    counters.uploadsTooLarge++;
    return refuse(413, tooLargeBody(maxBytes));
  }
  // Admission, before a byte of the body is read: each refusal here costs the server nothing.
  const maxInProgress = options.maxInProgress ?? 64;
  if (inProgress.count >= maxInProgress) {
    counters.uploadsRejectedBusy++;
    return refuse(503, { error: 'busy', message: `${inProgress.count} uploads are in progress (the most at once is ${maxInProgress}); try again later` }, retryAfter(options));
  }
  const quota = options.stagingQuota;
  if (quota !== undefined && !quota.fits(Number.isFinite(declared) ? Math.max(0, declared - MULTIPART_ALLOWANCE_BYTES) : 1)) {
    counters.uploadsRejectedBusy++;
    return refuse(503, { error: 'busy', message: 'Too many uploaded bytes are waiting to be processed; try again later' }, retryAfter(options));
  }
  const hopeless = options.refuseEarly?.();
  if (hopeless !== undefined) {
    counters.uploadsRejectedBusy++;
    return refuse(503, { error: 'busy', message: hopeless }, retryAfter(options));
  }
  inProgress.count++;
  let reserved = 0;
  const releaseQuota = (): void => {
    quota?.release(reserved);
    reserved = 0;
  };
  try {
    try {
      // Start-up recovery removes every staging file: an upload must not begin before it has run.
      await store.prepare();
    } catch (error) {
      logger?.error('Upload refused: the file store could not be prepared', { error });
      return refuse(503, { error: 'unavailable', message: 'The file store is not available' }, retryAfter(options));
    }

    const id = newUploadId();
    const received = await receiveUpload(c.req.raw.body, contentType, {
      store,
      id,
      maxBytes,
      signal,
      timeProvider,
      idleTimeoutMs: options.idleTimeoutMs,
      ...(quota !== undefined && {
        onBytes: (bytes: number) => {
          if (!quota.tryReserve(bytes)) return false;
          reserved += bytes;
          return true;
        },
      }),
    });
    switch (received.kind) {
      case 'too-large':
        counters.uploadsTooLarge++;
        releaseQuota();
        return refuse(413, tooLargeBody(maxBytes));
      case 'over-quota':
        counters.uploadsRejectedBusy++;
        releaseQuota();
        return refuse(503, { error: 'busy', message: 'Too many uploaded bytes are waiting to be processed; try again later' }, retryAfter(options));
      case 'invalid':
        counters.uploadsInvalid++;
        releaseQuota();
        return refuse(400, { error: 'invalid_upload', message: received.reason });
      case 'idle':
        counters.uploadsInvalid++;
        releaseQuota();
        logger?.warn(`Upload ${id} abandoned: no data for ${options.idleTimeoutMs ?? 60_000} ms`, { id });
        return refuse(408, { error: 'timeout', message: `No data was received for ${options.idleTimeoutMs ?? 60_000} ms` });
      case 'aborted':
        releaseQuota();
        // The client is gone (nobody to answer), or the server is stopping.
        return refuse(503, { error: 'unavailable', message: 'The server is stopping' }, retryAfter(options));
      case 'failed':
        releaseQuota();
        return refusedForSpace(options, received.error, id) ?? internalError(logger, 'Upload failed while writing its staging file', received.error, id);
      case 'received':
        break;
    }

    const originalName = sanitizeClientFileName(received.clientName);
    let acceptedPath: string;
    try {
      acceptedPath = await store.acceptUpload(received.stagingPath, id, originalName);
    } catch (error) {
      await store.discard(received.stagingPath);
      releaseQuota();
      return refusedForSpace(options, error, id) ?? internalError(logger, 'Upload failed while accepting its staging file', error, id);
    }

    // Queue with a deadline: 3 s from now on the host's clock, or sooner if the client leaves.
    using deadline = CancellationSource.linked([signal], { timeProvider, delay: options.queueTimeoutMs ?? 3_000 });
    // The bytes are held until the processor is done with the file, not until this response.
    const held = reserved;
    let released = false;
    const release = (): void => {
      if (released) return;
      released = true;
      quota?.release(held);
    };
    reserved = 0;
    try {
      await enqueue(acceptedPath, deadline.signal, release);
    } catch (error) {
      // Not queued (a cancelled write never delivers its item): nobody else holds the file.
      await store.discard(acceptedPath);
      release();
      // A client that left while waiting was not refused: there is nobody to answer.
      if (!signal.aborted) counters.uploadsRejectedBusy++;
      const stopped = error instanceof ChannelClosedError;
      const message = stopped
        ? 'File processing has stopped; try again later'
        : signal.aborted
          ? 'The server is stopping'
          : deadline.signal.aborted
            ? `The processing queue stayed full for ${options.queueTimeoutMs ?? 3_000} ms; try again later`
            : 'The processing queue is not available; try again later';
      logger?.warn(`Upload ${id} refused with 503: ${message}`, { id, ...(!stopped && !deadline.signal.aborted && { error }) });
      options.activityLog?.()?.write(FILES_ACTIVITY_SOURCE, `upload ${id} refused (503): ${message}`);
      return json(503, { error: stopped ? 'unavailable' : 'busy', message }, retryAfter(options));
    }
    // Queued: the quota's bytes are now the processor's, given back when it takes the file.
    counters.uploadsAccepted++;
    options.storage?.reportWritten();
    const name = basename(acceptedPath);
    logger?.info(`Upload accepted: ${name} (${received.bytes} bytes), queued for processing`, { id, bytes: received.bytes });
    options.activityLog?.()?.write(FILES_ACTIVITY_SOURCE, `upload accepted ${name} (${received.bytes} bytes)`);
    return json(202, {
      id,
      name,
      originalName,
      bytes: received.bytes,
      // Deterministic: an upload's name is unique, so its result always has the plain name.
      result: `outbox/${name}${RESULT_SUFFIX}`,
    });
  } finally {
    inProgress.count--;
    releaseQuota();
  }
}

/** Answers 507 when `error` says the disk is full (and tells the storage monitor); undefined for any other error. */
function refusedForSpace(options: UploadRouteOptions, error: unknown, id: string): Response | undefined {
  const storage = options.storage;
  if (storage === undefined || !isOutOfSpace(error)) return undefined;
  options.counters.uploadsRejectedNoSpace++;
  if (storage.reportFull(error, options.timeProvider.now())) {
    options.logger?.()?.warn("DATA_DIR's disk is full: uploads are answered 507 until there is room again", { error, id });
  }
  return refuse(
    507,
    { error: 'insufficient_storage', message: 'The server has no room to store the upload (its disk is full); try again later' },
    retryAfter(options),
  );
}

/** The 500 of an upload that could not be stored: the cause goes to the log, never to the client. */
function internalError(logger: Logger | undefined, what: string, error: unknown, id: string): Response {
  logger?.error(what, { error, id });
  return refuse(500, { error: 'internal_error', message: 'The upload could not be stored' });
}

function retryAfter(options: UploadRouteOptions): Record<string, string> {
  return { 'retry-after': String(options.retryAfterSeconds ?? 5) };
}

function tooLargeBody(maxBytes: number): Record<string, unknown> {
  return { error: 'too_large', message: `The file is larger than the limit of ${maxBytes} bytes`, maxBytes };
}

function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(`${JSON.stringify(body, null, 2)}\n`, {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', ...headers },
  });
}

/**
 * Answers a request whose body may not have been read to its end, and asks for the connection to
 * be closed after it: the server (Deno's, or @hono/node-server, which reads on and throws away a
 * bounded amount first so that a client still sending sees the answer rather than a reset) then
 * takes no further request on it.
 */
function refuse(status: number, body: Record<string, unknown>, headers: Record<string, string> = {}): Response {
  return json(status, body, { ...headers, connection: 'close' });
}
