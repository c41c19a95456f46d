/**
 * Internal: the {@link WeatherTransport} over WHATWG `fetch`, for Deno (whose `fetch` is native
 * and faster there than undici over `node:net`) and any runtime with `fetch`. `fetch` has no
 * timeouts and no size limit of its own: this module adds both, on the system clock.
 * @module
 */
import type { TransportContext } from '../open-meteo/open-meteo-client.ts';
import { isRetryableCode } from '../open-meteo/retry-policy.ts';
import {
  TransportFailureError,
  type TransportBodyResult,
  type TransportFailure,
  type TransportLimit,
  type TransportResponse,
  type WeatherTransport,
} from '../open-meteo/weather-transport.ts';

/** The `fetch` a {@link FetchTransport} sends with: the global one, or one bound to a client of its own. */
export type FetchFunction = (url: string, init: RequestInit) => Promise<Response>;

/** What a {@link FetchTransport} is made of. */
export interface FetchTransportOptions {
  readonly fetch: FetchFunction;
  /** Ms from sending until the response head, connecting included; 0 disables the limit. */
  readonly headersTimeout: number;
  /** Ms allowed between two chunks of the body; 0 disables the limit. */
  readonly bodyTimeout: number;
}

const requestHeaders: Readonly<Record<string, string>> = Object.freeze({ accept: 'application/json' });

const decoder = new TextDecoder();

/**
 * System errors as Deno's `fetch` words them (it gives no `code`): its messages quote the OS
 * error, `Connection refused (os error 111)`, or hyper's `connection closed before message completed`.
 */
const messagePatterns: readonly (readonly [RegExp, TransportFailure['kind'], string | undefined])[] = [
  [/connection refused|os error 111\b|os error 10061\b/i, 'refused', 'ECONNREFUSED'],
  [/connection reset|os error 104\b|os error 10054\b/i, 'reset', 'ECONNRESET'],
  [/broken pipe|os error 32\b/i, 'reset', 'EPIPE'],
  [/connection closed before message completed|error reading a body from connection/i, 'reset', undefined],
];

interface ErrorLike {
  readonly message?: unknown;
  readonly code?: unknown;
  readonly cause?: unknown;
}

/** The errors of a `cause` chain, outermost first (Node's `fetch failed` wraps the socket error). */
function chainOf(error: unknown): ErrorLike[] {
  const chain: ErrorLike[] = [];
  for (let current = error; typeof current === 'object' && current !== null && chain.length < 8; current = (current as ErrorLike).cause) {
    chain.push(current as ErrorLike);
  }
  return chain;
}

/** `fetch failed: ENOTFOUND: getaddrinfo ENOTFOUND x`: every message of the chain, with codes. */
function detailOf(chain: readonly ErrorLike[], error: unknown): string {
  if (chain.length === 0) return String(error);
  return chain
    .filter((link) => typeof link.message === 'string')
    .map((link) => (typeof link.code === 'string' ? `${link.code}: ${String(link.message)}` : String(link.message)))
    .join(': ');
}

/** Classifies a `fetch` or body error: by `code` where the runtime gives one (Node), else by message (Deno). */
function classify(error: unknown): TransportFailure {
  const chain = chainOf(error);
  for (const link of chain) {
    const code = link.code;
    if (typeof code !== 'string') continue;
    if (code === 'ECONNREFUSED') return { kind: 'refused', error, code };
    if (isRetryableCode(code)) return { kind: 'reset', error, code };
    if (code === 'UND_ERR_CONNECT_TIMEOUT') return { kind: 'connect-timeout', error, code };
  }
  for (const link of chain) {
    if (typeof link.message !== 'string') continue;
    for (const [pattern, kind, code] of messagePatterns) {
      if (pattern.test(link.message)) return { kind, error, code };
    }
  }
  return { kind: 'other', error, detail: detailOf(chain, error) };
}

function ignore(): void {
  // A cancelled body may reject its cancel; nothing waits for it.
}

class FetchResponse implements TransportResponse {
  readonly status: number;
  readonly #response: Response;
  readonly #bodyTimeout: number;
  readonly #release: () => void;

  constructor(response: Response, bodyTimeout: number, release: () => void) {
    this.status = response.status;
    this.#response = response;
    this.#bodyTimeout = bodyTimeout;
    this.#release = release;
  }

  header(name: string): string | undefined {
    return this.#response.headers.get(name) ?? undefined;
  }

  async read(limit: number): Promise<TransportBodyResult> {
    const body = this.#response.body;
    if (body === null) {
      this.#release();
      return { kind: 'complete', text: '' };
    }
    const reader = body.getReader();
    const chunks: Uint8Array[] = [];
    let received = 0;
    // One timer per body, not per chunk: each chunk only notes when it came, and the timer, when
    // it fires, waits out the rest of the idle time since the last chunk before giving up.
    const idleMs = this.#bodyTimeout;
    let lastProgress = performance.now();
    let timedOut: DOMException | undefined;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const onIdle = (): void => {
      const idle = performance.now() - lastProgress;
      if (idle < idleMs) {
        timer = setTimeout(onIdle, idleMs - idle);
        return;
      }
      timedOut = new DOMException(`No body data within ${idleMs} ms`, 'TimeoutError');
      reader.cancel(timedOut).catch(ignore);
    };
    if (idleMs > 0) timer = setTimeout(onIdle, idleMs);
    try {
      for (;;) {
        let step: ReadableStreamReadResult<Uint8Array>;
        try {
          step = await reader.read();
        } catch (error) {
          return { kind: 'failed', failure: timedOut === undefined ? classify(error) : timeoutFailure(timedOut), received };
        }
        if (timedOut !== undefined) return { kind: 'failed', failure: timeoutFailure(timedOut), received };
        if (step.done) break;
        received += step.value.byteLength;
        if (received > limit) {
          // Cancelling drops the connection instead of reading a body too large to use.
          reader.cancel().catch(ignore);
          return { kind: 'too-large', received };
        }
        chunks.push(step.value);
        if (idleMs > 0) lastProgress = performance.now();
      }
    } finally {
      clearTimeout(timer);
      this.#release();
    }
    return { kind: 'complete', text: decode(chunks, received) };
  }

  discard(): void {
    this.#response.body?.cancel().catch(ignore);
    this.#release();
  }
}

function timeoutFailure(error: DOMException): TransportFailure {
  return { kind: 'body-timeout', error };
}

function decode(chunks: readonly Uint8Array[], length: number): string {
  if (chunks.length === 1) return decoder.decode(chunks[0]);
  const bytes = new Uint8Array(length);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return decoder.decode(bytes);
}

/**
 * Sends with `fetch`. Each request gets its own AbortController, which the caller's signal and
 * the headers timeout abort: the caller's signal is never handed to `fetch` itself, so that its
 * listener is removed as soon as the body is read (long-lived signals must not gather listeners).
 */
export class FetchTransport implements WeatherTransport {
  readonly #origin: string;
  readonly #options: FetchTransportOptions;

  constructor(context: TransportContext, options: FetchTransportOptions) {
    this.#origin = context.origin;
    this.#options = options;
  }

  async send(path: string, signal: AbortSignal | undefined): Promise<TransportResponse> {
    signal?.throwIfAborted();
    const controller = new AbortController();
    const onAbort = (): void => controller.abort(signal?.reason);
    signal?.addEventListener('abort', onAbort);
    const release = (): void => signal?.removeEventListener('abort', onAbort);
    const { headersTimeout, bodyTimeout } = this.#options;
    let timedOut: DOMException | undefined;
    const timer =
      headersTimeout > 0
        ? setTimeout(() => {
            timedOut = new DOMException(`No response headers within ${headersTimeout} ms`, 'TimeoutError');
            controller.abort(timedOut);
          }, headersTimeout)
        : undefined;
    let response: Response;
    try {
      response = await this.#options.fetch(this.#origin + path, {
        method: 'GET',
        headers: requestHeaders,
        signal: controller.signal,
        // As undici's request: a redirect is the service's answer, not something to follow.
        redirect: 'manual',
      });
    } catch (error) {
      release();
      if (signal?.aborted === true) throw signal.reason;
      if (timedOut !== undefined) throw new TransportFailureError({ kind: 'headers-timeout', error: timedOut });
      throw new TransportFailureError(classify(error));
    } finally {
      clearTimeout(timer);
    }
    return new FetchResponse(response, bodyTimeout, release);
  }

  describeLimit(name: TransportLimit): string {
    if (name === 'connectTimeout') return "within the runtime's connect timeout";
    return `within ${this.#options[name]} ms (${name})`;
  }

  close(): Promise<void> {
    // The connections are the runtime's (or the injected fetch's owner's): nothing to release.
    return Promise.resolve();
  }
}
