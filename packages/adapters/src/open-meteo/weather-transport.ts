/**
 * Internal: what the Open-Meteo client needs from HTTP, so that one client (argument checks,
 * retries, size caps, response validation, key redaction) runs over undici on Node and over the
 * runtime's native `fetch` on Deno. A transport sends one GET and reads one body; it never
 * retries, parses or words an error message: it only says what kind of failure it saw.
 * @module
 */

/** The timeouts a transport enforces, as the client's error messages name them. */
export type TransportLimit = 'connectTimeout' | 'headersTimeout' | 'bodyTimeout';

/**
 * What went wrong, as far as the client's decisions go:
 * - `connect-timeout`, `headers-timeout`, `body-timeout`: a limit of {@link TransportLimit} ran out;
 *   not retried (each already cost the caller the whole timeout);
 * - `too-large`: the body is larger than the limit (the transport enforced it itself);
 * - `closed`: the transport was closed;
 * - `refused`: the connection was refused; retried;
 * - `reset`: the connection was reset or closed by the other side (before the head, or mid-body:
 *   a truncated body); retried;
 * - `other`: anything else (a DNS failure, a TLS error); not retried.
 */
export type TransportFailureKind =
  | 'connect-timeout'
  | 'headers-timeout'
  | 'body-timeout'
  | 'too-large'
  | 'closed'
  | 'refused'
  | 'reset'
  | 'other';

/** A classified transport error. */
export interface TransportFailure {
  readonly kind: TransportFailureKind;
  /** The transport's own error, kept as the client error's `cause`. */
  readonly error: unknown;
  /** The system or library error code when known (`ECONNRESET`, `UND_ERR_SOCKET`), for messages. */
  readonly code?: string | undefined;
  /** A one-line description for `other` failures; the error's message when absent. */
  readonly detail?: string | undefined;
}

/** How reading a body ended. Never a rejection: a failed read is a result. */
export type TransportBodyResult =
  | { readonly kind: 'complete'; readonly text: string }
  /** More than the limit arrived: the body was dropped, which closes the connection. */
  | { readonly kind: 'too-large'; readonly received: number }
  /** The body stopped after `received` bytes (`undefined` when the transport read it whole and cannot tell). */
  | { readonly kind: 'failed'; readonly failure: TransportFailure; readonly received: number | undefined };

/** A response whose head has arrived. Its body must be read or discarded exactly once. */
export interface TransportResponse {
  readonly status: number;
  /** The first value of a header, by lower-case name. */
  header(name: string): string | undefined;
  /** The `content-length` the response declares, when it declares a valid one. */
  readonly contentLength: number | undefined;
  /** Reads the whole body as UTF-8, up to `limit` bytes. */
  read(limit: number): Promise<TransportBodyResult>;
  /** Drops the body unread, closing the connection: cheaper than draining a body too large to use. */
  discard(): void;
}

/** One way of sending the client's GETs. */
export interface WeatherTransport {
  /**
   * Sends `GET <origin><path>` with `accept: application/json`. `signal` cancels the request and,
   * once the head is there, its body.
   * @throws the signal's reason when it aborts, or a {@link TransportFailure} (never anything else).
   */
  send(path: string, signal: AbortSignal | undefined): Promise<TransportResponse>;
  /** `within 50 ms (headersTimeout)`, or how the limit is described when the transport does not know it. */
  describeLimit(name: TransportLimit): string;
  /** Releases what the transport owns, after the requests in flight; idempotent. */
  close(): Promise<void>;
}

/** Whether a thrown value is a classified failure (as opposed to a signal's reason). */
export function isTransportFailure(value: unknown): value is TransportFailure {
  return value instanceof TransportFailureError;
}

/** The throwable form of a {@link TransportFailure}. */
export class TransportFailureError implements TransportFailure {
  readonly kind: TransportFailureKind;
  readonly error: unknown;
  readonly code: string | undefined;
  readonly detail: string | undefined;

  constructor(failure: TransportFailure) {
    this.kind = failure.kind;
    this.error = failure.error;
    this.code = failure.code;
    this.detail = failure.detail;
  }
}
