/**
 * Helpers of the file-processing tests: a multipart body builder, a raw HTTP client that can send
 * what fetch will not (truncated bodies, a client that leaves mid-upload), a minimal server for one
 * route, an in-memory activity log, and polling with a deadline for what only the file system or
 * the network can tell.
 */
import { readdir } from 'node:fs/promises';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { createLoggerFactory } from '@hostkit/core';
import { ManualTimeProvider } from '@hostkit/core/testing';
import { createHonoApp, HonoServerService } from '@hostkit/adapters/hono';
import type { ActivityLog } from '../../src/database/activity-log.ts';
import type { SamplesApp } from '../../src/http/feature-routes.ts';

/** One part of a multipart body. */
export interface Part {
  readonly name: string;
  /** Present: a file part. */
  readonly filename?: string;
  readonly contentType?: string;
  readonly content: string | Uint8Array;
}

export const BOUNDARY = '----hostkit-test-boundary';

/** A `multipart/form-data` body with `parts`, and its Content-Type. */
export function multipart(parts: readonly Part[], options: { closing?: boolean } = {}): { body: Buffer; contentType: string } {
  const chunks: Buffer[] = [];
  for (const part of parts) {
    const disposition = part.filename === undefined ? `form-data; name="${part.name}"` : `form-data; name="${part.name}"; filename="${part.filename}"`;
    const type = part.contentType ?? (part.filename === undefined ? undefined : 'application/octet-stream');
    chunks.push(Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: ${disposition}\r\n${type === undefined ? '' : `Content-Type: ${type}\r\n`}\r\n`));
    chunks.push(typeof part.content === 'string' ? Buffer.from(part.content) : Buffer.from(part.content));
    chunks.push(Buffer.from('\r\n'));
  }
  if (options.closing ?? true) chunks.push(Buffer.from(`--${BOUNDARY}--\r\n`));
  return { body: Buffer.concat(chunks), contentType: `multipart/form-data; boundary=${BOUNDARY}` };
}

/** What {@link post} got back. */
export interface RawResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly text: string;
  json(): Record<string, unknown>;
}

/** Options of {@link post}. */
export interface PostOptions {
  readonly headers?: Record<string, string>;
  /** Sent in this order; a function is called for each next chunk until it returns undefined (a streamed body). */
  readonly body?: Buffer | (() => Buffer | undefined);
  /** Sent without Content-Length (chunked). @default false for a Buffer body, true for a streamed one */
  readonly chunked?: boolean;
  /** Destroys the connection after sending this many body bytes (a client that goes away). */
  readonly abortAfterBytes?: number;
}

/** POSTs with node:http, which lets a test send bodies that fetch would not. */
export function post(url: string, options: PostOptions = {}): Promise<RawResponse> {
  return new Promise<RawResponse>((resolve, reject) => {
    const body = options.body;
    const chunked = options.chunked ?? typeof body === 'function';
    const headers: Record<string, string> = { ...options.headers };
    if (!chunked && Buffer.isBuffer(body)) headers['content-length'] = String(body.length);
    const request = httpRequest(url, { method: 'POST', headers }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('error', reject);
      response.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status: response.statusCode ?? 0, headers: response.headers, text, json: () => JSON.parse(text) as Record<string, unknown> });
      });
    });
    request.on('error', reject);
    if (body === undefined) {
      request.end();
      return;
    }
    if (Buffer.isBuffer(body)) {
      if (options.abortAfterBytes !== undefined) {
        request.write(body.subarray(0, options.abortAfterBytes), () => {
          setTimeout(() => request.destroy(new Error('client went away')), 50);
        });
        return;
      }
      request.end(body);
      return;
    }
    // A streamed body: write the next chunk whenever the socket has room.
    const pump = (): void => {
      for (;;) {
        const chunk = body();
        if (chunk === undefined) {
          request.end();
          return;
        }
        if (!request.write(chunk)) {
          request.once('drain', pump);
          return;
        }
      }
    };
    pump();
  });
}

/**
 * The samples' routes that `mount` adds, served the way the samples serve them: a Hono app on a
 * real `HonoServerService` on 127.0.0.1 (a signal per request). `url` is the base URL plus `path`.
 */
export async function serveRoute(mount: (app: SamplesApp) => void, path: string): Promise<{ url: string; close(): Promise<void> } & AsyncDisposable> {
  const app = createHonoApp();
  mount(app);
  const server = new HonoServerService({ app, port: 0, time: new ManualTimeProvider(), logger: createLoggerFactory().createLogger('test.Http') });
  await server.start(new AbortController().signal);
  const close = (): Promise<void> => server.stop(new AbortController().signal);
  return { url: `${server.url ?? ''}${path}`, close, [Symbol.asyncDispose]: close };
}

/** An {@link ActivityLog} that keeps its rows in memory. */
export class MemoryActivityLog implements ActivityLog {
  readonly rows: { source: string; message: string }[] = [];
  write(source: string, message: string): void {
    this.rows.push({ source, message });
  }
}

/** The names in `directory`, sorted; [] when it does not exist. */
export async function names(directory: string): Promise<string[]> {
  try {
    return (await readdir(directory)).sort();
  } catch {
    return [];
  }
}

/**
 * Polls `probe` (real time: for the file system and the network only) until it returns true,
 * failing with `description` at the deadline.
 */
export async function waitUntil(probe: () => boolean | Promise<boolean>, description: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await probe()) return;
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting until ${description}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
