import type { ServerResponse } from 'node:http';

/**
 * Ends `response` with `body` as JSON. Does nothing when the response has already been sent or the
 * connection is gone (a handler racing a client that left must not throw).
 */
export function sendJson(response: ServerResponse, status: number, body: unknown, headers: Readonly<Record<string, string>> = {}): void {
  sendText(response, status, `${JSON.stringify(body, null, 2)}\n`, 'application/json; charset=utf-8', headers);
}

/** Ends `response` with an already serialised body. Same rules as {@link sendJson}. */
export function sendText(
  response: ServerResponse,
  status: number,
  text: string,
  contentType: string,
  headers: Readonly<Record<string, string>> = {},
): void {
  if (response.headersSent || response.writableEnded || response.destroyed) return;
  const bytes = new TextEncoder().encode(text);
  response.writeHead(status, {
    'content-type': contentType,
    'content-length': String(bytes.byteLength),
    'cache-control': 'no-store',
    ...headers,
  });
  response.end(bytes);
}
