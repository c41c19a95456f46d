import { Buffer } from 'node:buffer';
import type { Dispatcher } from 'undici';

type BodyStream = Dispatcher.ResponseData['body'];

/** How a body read ended. */
export type BodyReadResult =
  | { readonly kind: 'complete'; readonly bytes: Buffer }
  /** More than the limit arrived: the body was destroyed, which closes the connection. */
  | { readonly kind: 'too-large'; readonly received: number }
  /** The stream failed (reset, timeout, abort) after `received` bytes. */
  | { readonly kind: 'failed'; readonly error: unknown; readonly received: number };

/**
 * Reads a whole body, up to `limit` bytes, and never rejects.
 *
 * Event listeners rather than `for await`: the async iterator of a Node stream sets up an
 * end-of-stream watcher and a promise per chunk, which for small JSON bodies cost about a fifth of
 * the client's time per request in the benchmark.
 */
export function readBody(body: BodyStream, limit: number): Promise<BodyReadResult> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let received = 0;
    let settled = false;
    const settle = (result: BodyReadResult): void => {
      if (settled) return;
      settled = true;
      body.off('data', onData).off('end', onEnd).off('error', onError).off('close', onClose);
      resolve(result);
    };
    const onData = (chunk: Buffer): void => {
      received += chunk.length;
      if (received > limit) {
        // A late 'error' from the torn-down stream has nowhere to go once settled: swallow it.
        body.on('error', ignore);
        body.destroy();
        settle({ kind: 'too-large', received });
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = (): void => {
      settle({ kind: 'complete', bytes: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, received) });
    };
    const onError = (error: unknown): void => {
      settle({ kind: 'failed', error, received });
    };
    // 'close' without 'end' or 'error' first: the stream was torn down (or already was).
    const onClose = (): void => {
      settle({ kind: 'failed', error: body.errored ?? new Error('The response body closed before its end'), received });
    };
    if (body.destroyed) {
      onClose();
      return;
    }
    body.on('data', onData).on('end', onEnd).on('error', onError).on('close', onClose);
  });
}

function ignore(): void {
  // See the 'too-large' branch of readBody.
}
