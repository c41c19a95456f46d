/**
 * Internal: the {@link WeatherTransport} over an undici Dispatcher (the client's own Agent, or
 * one injected), for Node. undici reports failures by `code`; this module reads them.
 * @module
 */
import type { Agent as UndiciAgent, Dispatcher } from 'undici';
import { Agent } from '../optional-peers/undici.ts';
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
import { readBody } from './read-body.ts';

type BodyStream = Dispatcher.ResponseData['body'];
type Headers = Dispatcher.ResponseData['headers'];

const requestHeaders: Readonly<Record<string, string>> = Object.freeze({ accept: 'application/json' });

/** The Agent the transport creates and owns, or the dispatcher it was given. */
export type UndiciTransportTarget =
  | { readonly agent: UndiciAgent.Options & Readonly<Record<TransportLimit, number>> }
  | { readonly dispatcher: Dispatcher };

export function codeOf(error: unknown): string | undefined {
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  return typeof code === 'string' ? code : undefined;
}

/** A failure before the response head, by undici's or the system's error code. */
function headFailure(error: unknown): TransportFailureError {
  const code = codeOf(error);
  switch (code) {
    case 'UND_ERR_CONNECT_TIMEOUT':
      return new TransportFailureError({ kind: 'connect-timeout', error, code });
    case 'UND_ERR_HEADERS_TIMEOUT':
      return new TransportFailureError({ kind: 'headers-timeout', error, code });
    case 'UND_ERR_RES_EXCEEDED_MAX_SIZE':
      return new TransportFailureError({ kind: 'too-large', error, code });
    case 'UND_ERR_CLOSED':
    case 'UND_ERR_DESTROYED':
      return new TransportFailureError({ kind: 'closed', error, code });
    case 'ECONNREFUSED':
      return new TransportFailureError({ kind: 'refused', error, code });
    default:
      return new TransportFailureError({ kind: isRetryableCode(code) ? 'reset' : 'other', error, code });
  }
}

/** A failure while reading the body. */
function bodyFailure(error: unknown): TransportFailure {
  const code = codeOf(error);
  if (code === 'UND_ERR_RES_EXCEEDED_MAX_SIZE') return { kind: 'too-large', error, code };
  if (code === 'UND_ERR_BODY_TIMEOUT') return { kind: 'body-timeout', error, code };
  if (isRetryableCode(code) || code === 'UND_ERR_RES_CONTENT_LENGTH_MISMATCH') return { kind: 'reset', error, code };
  return { kind: 'other', error, code };
}

/** A `content-length` value as a number: digits only, anything else is no declared length. */
function parseContentLength(value: string | undefined): number | undefined {
  return value === undefined || !/^\d+$/.test(value) ? undefined : Number(value);
}

function ignore(): void {
  // A destroyed body may still emit the error it was destroyed with; nothing waits for it.
}

class UndiciResponse implements TransportResponse {
  readonly status: number;
  readonly #headers: Headers;
  readonly #body: BodyStream;

  constructor(data: Dispatcher.ResponseData) {
    this.status = data.statusCode;
    this.#headers = data.headers;
    this.#body = data.body;
  }

  header(name: string): string | undefined {
    const value = this.#headers[name];
    return Array.isArray(value) ? value[0] : value;
  }

  get contentLength(): number | undefined {
    return parseContentLength(this.header('content-length'));
  }

  async read(limit: number): Promise<TransportBodyResult> {
    const result = await readBody(this.#body, limit);
    if (result.kind === 'complete') return { kind: 'complete', text: result.bytes.toString('utf8') };
    if (result.kind === 'too-large') return result;
    return { kind: 'failed', failure: bodyFailure(result.error), received: result.received };
  }

  discard(): void {
    // Destroying instead of reading closes the connection.
    this.#body.on('error', ignore).destroy();
  }
}

/** Sends through undici's `Dispatcher.request`: the cheapest of its APIs (no WHATWG streams). */
export class UndiciTransport implements WeatherTransport {
  readonly #dispatcher: Dispatcher;
  readonly #owned: boolean;
  readonly #origin: string;
  /** The owned Agent's timeouts, for messages; `undefined` with an injected dispatcher. */
  readonly #limits: Readonly<Record<TransportLimit, number>> | undefined;
  #closing: Promise<void> | undefined;

  constructor(context: TransportContext, target: UndiciTransportTarget) {
    this.#origin = context.origin;
    if ('dispatcher' in target) {
      this.#dispatcher = target.dispatcher;
      this.#owned = false;
      this.#limits = undefined;
    } else {
      this.#dispatcher = new Agent(target.agent);
      this.#owned = true;
      this.#limits = target.agent;
    }
  }

  async send(path: string, signal: AbortSignal | undefined): Promise<TransportResponse> {
    let data: Dispatcher.ResponseData;
    try {
      data = await this.#dispatcher.request({
        origin: this.#origin,
        path,
        method: 'GET',
        headers: requestHeaders,
        signal: signal ?? null,
      });
    } catch (error) {
      if (signal?.aborted === true) throw signal.reason;
      throw headFailure(error);
    }
    return new UndiciResponse(data);
  }

  describeLimit(name: TransportLimit): string {
    return this.#limits === undefined ? `within the dispatcher's ${name}` : `within ${this.#limits[name]} ms (${name})`;
  }

  close(): Promise<void> {
    this.#closing ??= this.#owned ? this.#dispatcher.close() : Promise.resolve();
    return this.#closing;
  }
}
