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
/** What a {@link DeadlineWheel} watches: `ticks` left, counted down on each tick. */
interface Deadline {
  ticks: number;
  expire(): void;
}

/**
 * Deadlines counted in ticks of one interval per transport, instead of a timer per request: on
 * Deno a `setTimeout`/`clearTimeout` pair per request costs about a tenth of a whole loopback
 * request, and even reading the clock per request shows. The interval ticks every quarter of the
 * shortest timeout, so a deadline fires up to a quarter of its timeout late (never early); it
 * stops on the first tick with nothing to watch, and never holds the process open.
 */
class DeadlineWheel {
  readonly #tickMs: number;
  readonly #deadlines = new Set<Deadline>();
  #interval: ReturnType<typeof setInterval> | undefined = undefined;

  constructor(shortestMs: number) {
    this.#tickMs = Math.max(1, Math.floor(shortestMs / 4));
  }

  /** The ticks that cover `ms`: one more than whole, as the first tick may come at once. */
  ticksFor(ms: number): number {
    return Math.ceil(ms / this.#tickMs) + 1;
  }

  add(deadline: Deadline): void {
    this.#deadlines.add(deadline);
    if (this.#interval === undefined) {
      this.#interval = setInterval(this.#check, this.#tickMs);
      unrefTimer(this.#interval);
    }
  }

  delete(deadline: Deadline): void {
    this.#deadlines.delete(deadline);
  }

  readonly #check = (): void => {
    if (this.#deadlines.size === 0) {
      clearInterval(this.#interval);
      this.#interval = undefined;
      return;
    }
    for (const deadline of this.#deadlines) {
      if (--deadline.ticks > 0) continue;
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

/** The transport's settings, shared by its exchanges. */
interface ExchangeSettings {
  readonly wheel: DeadlineWheel;
  readonly headersTimeout: number;
  readonly bodyTimeout: number;
  readonly headersTicks: number;
  readonly bodyTicks: number;
}

/**
 * One request and its response: its own AbortController, which the caller's signal (this object
 * is the listener, through `handleEvent`) and the deadlines abort, and its one deadline on the
 * wheel, first for the head and then for the body. No closure per request: this is the hot path.
 */
class FetchExchange implements TransportResponse, Deadline, EventListenerObject {
  status = 0;
  contentLength: number | undefined = undefined;
  ticks = 0;
  readonly #settings: ExchangeSettings;
  readonly #controller = new AbortController();
  readonly #signal: AbortSignal | undefined;
  #response: Response | undefined = undefined;
  #phase: 'headers' | 'body' | 'done' = 'headers';
  #timedOut: DOMException | undefined = undefined;
  #watched = false;

  constructor(settings: ExchangeSettings, signal: AbortSignal | undefined) {
    this.#settings = settings;
    this.#signal = signal;
    signal?.addEventListener('abort', this);
  }

  /** The caller's signal aborted: so does the request. */
  handleEvent(): void {
    this.#controller.abort(this.#signal?.reason);
  }

  /** The deadline of the current phase ran out. */
  expire(): void {
    this.#watched = false;
    const { headersTimeout, bodyTimeout } = this.#settings;
    this.#timedOut =
      this.#phase === 'headers'
        ? new DOMException(`No response headers within ${headersTimeout} ms`, 'TimeoutError')
        : new DOMException(`No body data within ${bodyTimeout} ms`, 'TimeoutError');
    this.#controller.abort(this.#timedOut);
  }

  async send(fetchFunction: FetchFunction, url: string): Promise<this> {
    const settings = this.#settings;
    if (settings.headersTimeout > 0) this.#watch(settings.headersTicks);
    let response: Response;
    try {
      response = await fetchFunction(url, {
        method: 'GET',
        headers: requestHeaders,
        signal: this.#controller.signal,
        // As undici's request: a redirect is the service's answer, not something to follow.
        redirect: 'manual',
      });
    } catch (error) {
      this.#finish();
      if (this.#signal?.aborted === true) throw this.#signal.reason;
      if (this.#timedOut !== undefined) throw new TransportFailureError({ kind: 'headers-timeout', error: this.#timedOut });
      throw new TransportFailureError(classify(error));
    }
    this.#unwatch();
    this.#response = response;
    this.status = response.status;
    this.contentLength = parseContentLength(response.headers.get('content-length'));
    this.#phase = 'body';
    return this;
  }

  header(name: string): string | undefined {
    return this.#response?.headers.get(name) ?? undefined;
  }

  async read(limit: number): Promise<TransportBodyResult> {
    const response = this.#response as Response;
    if (response.body === null) {
      this.#finish();
      return { kind: 'complete', text: '' };
    }
    if (this.#settings.bodyTimeout > 0) this.#watch(this.#settings.bodyTicks);
    try {
      // A declared length is the body's own only when fetch has nothing to decompress.
      const whole = this.contentLength !== undefined && this.contentLength <= limit && !response.headers.has('content-encoding');
      return whole ? await this.#readWhole(response) : await this.#readChunks(response, limit);
    } finally {
      this.#finish();
    }
  }

  discard(): void {
    this.#response?.body?.cancel().catch(ignore);
    this.#finish();
  }

  /**
   * A body of declared length within the limit, uncompressed, read in one go: on Deno twice as
   * fast as chunk by chunk. How many bytes came before a failure is then unknown, and the body
   * timeout runs from the head to the end of the body.
   */
  async #readWhole(response: Response): Promise<TransportBodyResult> {
    try {
      return { kind: 'complete', text: await response.text() };
    } catch (error) {
      return { kind: 'failed', failure: this.#bodyFailure(error), received: undefined };
    }
  }

  /** A body of unknown length, read chunk by chunk so the limit holds; each chunk restarts the body timeout. */
  async #readChunks(response: Response, limit: number): Promise<TransportBodyResult> {
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    const chunks: Uint8Array[] = [];
    let received = 0;
    for (;;) {
      let step: ReadableStreamReadResult<Uint8Array>;
      try {
        step = await reader.read();
      } catch (error) {
        return { kind: 'failed', failure: this.#bodyFailure(error), received };
      }
      if (step.done) break;
      received += step.value.byteLength;
      if (received > limit) {
        // Cancelling drops the connection instead of reading a body too large to use.
        reader.cancel().catch(ignore);
        return { kind: 'too-large', received };
      }
      chunks.push(step.value);
      this.ticks = this.#settings.bodyTicks;
    }
    return { kind: 'complete', text: decode(chunks, received) };
  }

  #bodyFailure(error: unknown): TransportFailure {
    return this.#timedOut === undefined ? classify(error) : { kind: 'body-timeout', error: this.#timedOut };
  }

  #watch(ticks: number): void {
    this.ticks = ticks;
    if (!this.#watched) {
      this.#watched = true;
      this.#settings.wheel.add(this);
    }
  }

  #unwatch(): void {
    if (this.#watched) {
      this.#watched = false;
      this.#settings.wheel.delete(this);
    }
  }

  /** The exchange is over: no deadline, no listener on the caller's signal. */
  #finish(): void {
    if (this.#phase === 'done') return;
    this.#phase = 'done';
    this.#unwatch();
    this.#signal?.removeEventListener('abort', this);
  }
}

/**
 * Sends with `fetch`. Each request gets its own AbortController, which the caller's signal and
 * the timeouts abort: the caller's signal is never handed to `fetch` itself, so that its listener
 * is removed as soon as the body is read (long-lived signals must not gather listeners).
 */
export class FetchTransport implements WeatherTransport {
  readonly #origin: string;
  readonly #fetch: FetchFunction;
  readonly #settings: ExchangeSettings;

  constructor(context: TransportContext, options: FetchTransportOptions) {
    this.#origin = context.origin;
    this.#fetch = options.fetch;
    const { headersTimeout, bodyTimeout } = options;
    const timeouts = [headersTimeout, bodyTimeout].filter((ms) => ms > 0);
    const wheel = new DeadlineWheel(timeouts.length === 0 ? 1_000 : Math.min(...timeouts));
    this.#settings = {
      wheel,
      headersTimeout,
      bodyTimeout,
      headersTicks: wheel.ticksFor(headersTimeout),
      bodyTicks: wheel.ticksFor(bodyTimeout),
    };
  }

  send(path: string, signal: AbortSignal | undefined): Promise<TransportResponse> {
    if (signal?.aborted === true) return Promise.reject(signal.reason);
    return new FetchExchange(this.#settings, signal).send(this.#fetch, this.#origin + path);
  }

  describeLimit(name: TransportLimit): string {
    if (name === 'connectTimeout') return "within the runtime's connect timeout";
    return `within ${this.#settings[name]} ms (${name})`;
  }

  close(): Promise<void> {
    // The connections are the runtime's (or the injected fetch's owner's): nothing to release.
    return Promise.resolve();
  }
}
