/**
 * Internal: the {@link WeatherTransport} over WHATWG `fetch`, for Deno (whose `fetch` is native
 * and faster there than undici over `node:net`) and any runtime with `fetch`. `fetch` has no
 * timeouts and no size limit of its own: this module adds both, the timeouts on the system clock.
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

/** A deadline on a {@link DeadlineWheel}: `at` may move later (a body that makes progress). */
interface Deadline {
  at: number;
  readonly expire: () => void;
}

/**
 * Deadlines checked by one interval per transport instead of a timer per request: on Deno a
 * `setTimeout`/`clearTimeout` pair per request costs about a tenth of a whole loopback request.
 * The interval ticks every quarter of the shortest timeout, so a deadline fires at most a quarter
 * of its timeout late; it stops on the first tick with nothing to watch, and never holds the
 * process open.
 */
class DeadlineWheel {
  readonly #tickMs: number;
  readonly #deadlines = new Set<Deadline>();
  #interval: ReturnType<typeof setInterval> | undefined = undefined;

  constructor(shortestMs: number) {
    this.#tickMs = Math.max(1, Math.floor(shortestMs / 4));
  }

  add(ms: number, expire: () => void): Deadline {
    const deadline: Deadline = { at: performance.now() + ms, expire };
    this.#deadlines.add(deadline);
    if (this.#interval === undefined) {
      this.#interval = setInterval(this.#check, this.#tickMs);
      unrefTimer(this.#interval);
    }
    return deadline;
  }

  delete(deadline: Deadline | undefined): void {
    if (deadline !== undefined) this.#deadlines.delete(deadline);
  }

  readonly #check = (): void => {
    if (this.#deadlines.size === 0) {
      clearInterval(this.#interval);
      this.#interval = undefined;
      return;
    }
    const now = performance.now();
    for (const deadline of this.#deadlines) {
      if (deadline.at > now) continue;
      this.#deadlines.delete(deadline);
      deadline.expire();
    }
  };
}

/** Lets the process end while only the interval is left: Node's `unref()`, Deno's `Deno.unrefTimer`. */
function unrefTimer(timer: ReturnType<typeof setInterval>): void {
  if (typeof timer === 'object' && timer !== null && 'unref' in timer && typeof timer.unref === 'function') {
    timer.unref();
    return;
  }
  const deno = (globalThis as { Deno?: { unrefTimer?: (id: unknown) => void } }).Deno;
  deno?.unrefTimer?.(timer);
}

/** A `content-length` value as a number: digits only, anything else is no declared length. */
function parseContentLength(value: string | null): number | undefined {
  return value === null || !/^\d+$/.test(value) ? undefined : Number(value);
}

class FetchResponse implements TransportResponse {
  readonly status: number;
  readonly contentLength: number | undefined;
  readonly #response: Response;
  readonly #controller: AbortController;
  readonly #bodyTimeout: number;
  readonly #wheel: DeadlineWheel;
  readonly #release: () => void;

  constructor(response: Response, controller: AbortController, bodyTimeout: number, wheel: DeadlineWheel, release: () => void) {
    this.status = response.status;
    this.contentLength = parseContentLength(response.headers.get('content-length'));
    this.#response = response;
    this.#controller = controller;
    this.#bodyTimeout = bodyTimeout;
    this.#wheel = wheel;
    this.#release = release;
  }

  header(name: string): string | undefined {
    return this.#response.headers.get(name) ?? undefined;
  }

  async read(limit: number): Promise<TransportBodyResult> {
    if (this.#response.body === null) {
      this.#release();
      return { kind: 'complete', text: '' };
    }
    // The body timeout aborts the request's controller, which fails the body however it is read.
    let timedOut: DOMException | undefined;
    const idleMs = this.#bodyTimeout;
    const deadline =
      idleMs > 0
        ? this.#wheel.add(idleMs, () => {
            timedOut = new DOMException(`No body data within ${idleMs} ms`, 'TimeoutError');
            this.#controller.abort(timedOut);
          })
        : undefined;
    try {
      // A declared length is the body's own only when fetch has nothing to decompress.
      const declared = this.contentLength === undefined || this.#response.headers.has('content-encoding') ? undefined : this.contentLength;
      return declared !== undefined && declared <= limit
        ? await this.#readWhole(() => timedOut)
        : await this.#readChunks(limit, () => timedOut, deadline, idleMs);
    } finally {
      this.#wheel.delete(deadline);
      this.#release();
    }
  }

  /**
   * A body of declared length within the limit, uncompressed, read in one go: on Deno twice as
   * fast as chunk by chunk. How many bytes came before a failure is then unknown, and the body
   * timeout runs from the head to the end of the body.
   */
  async #readWhole(timedOut: () => DOMException | undefined): Promise<TransportBodyResult> {
    try {
      return { kind: 'complete', text: await this.#response.text() };
    } catch (error) {
      const timeout = timedOut();
      return { kind: 'failed', failure: timeout === undefined ? classify(error) : timeoutFailure(timeout), received: undefined };
    }
  }

  /** A body of unknown length, read chunk by chunk so the limit holds; each chunk pushes the deadline back. */
  async #readChunks(
    limit: number,
    timedOut: () => DOMException | undefined,
    deadline: Deadline | undefined,
    idleMs: number,
  ): Promise<TransportBodyResult> {
    const reader = (this.#response.body as ReadableStream<Uint8Array>).getReader();
    const chunks: Uint8Array[] = [];
    let received = 0;
    for (;;) {
      let step: ReadableStreamReadResult<Uint8Array>;
      try {
        step = await reader.read();
      } catch (error) {
        const timeout = timedOut();
        return { kind: 'failed', failure: timeout === undefined ? classify(error) : timeoutFailure(timeout), received };
      }
      if (step.done) break;
      received += step.value.byteLength;
      if (received > limit) {
        // Cancelling drops the connection instead of reading a body too large to use.
        reader.cancel().catch(ignore);
        return { kind: 'too-large', received };
      }
      chunks.push(step.value);
      if (deadline !== undefined) deadline.at = performance.now() + idleMs;
    }
    return { kind: 'complete', text: decode(chunks, received) };
  }

  discard(): void {
    this.#response.body?.cancel().catch(ignore);
    this.#release();
  }
}

/**
 * Sends with `fetch`. Each request gets its own AbortController, which the caller's signal and
 * the timeouts abort: the caller's signal is never handed to `fetch` itself, so that its
 * listener is removed as soon as the body is read (long-lived signals must not gather listeners).
 */
export class FetchTransport implements WeatherTransport {
  readonly #origin: string;
  readonly #options: FetchTransportOptions;
  readonly #wheel: DeadlineWheel;

  constructor(context: TransportContext, options: FetchTransportOptions) {
    this.#origin = context.origin;
    this.#options = options;
    const timeouts = [options.headersTimeout, options.bodyTimeout].filter((ms) => ms > 0);
    this.#wheel = new DeadlineWheel(timeouts.length === 0 ? 1_000 : Math.min(...timeouts));
  }

  async send(path: string, signal: AbortSignal | undefined): Promise<TransportResponse> {
    signal?.throwIfAborted();
    const controller = new AbortController();
    const onAbort = (): void => controller.abort(signal?.reason);
    signal?.addEventListener('abort', onAbort);
    const release = (): void => signal?.removeEventListener('abort', onAbort);
    const { headersTimeout, bodyTimeout } = this.#options;
    let timedOut: DOMException | undefined;
    const deadline =
      headersTimeout > 0
        ? this.#wheel.add(headersTimeout, () => {
            timedOut = new DOMException(`No response headers within ${headersTimeout} ms`, 'TimeoutError');
            controller.abort(timedOut);
          })
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
      this.#wheel.delete(deadline);
    }
    return new FetchResponse(response, controller, bodyTimeout, this.#wheel, release);
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
