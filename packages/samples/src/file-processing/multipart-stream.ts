/**
 * A streaming `multipart/form-data` parser over web streams, for the upload route on Node and
 * Deno alike.
 *
 * Why our own: the maintained parsers that run on web streams (@remix-run/multipart-parser 0.16,
 * its predecessor @mjackson/multipart-parser, @apeleghq/multipart-parser) hand each part over as
 * one buffer, so a file is held in memory whole (up to their `maxFileSize`); busboy streams but
 * needs Node streams (Deno only has them through its Node emulation); the one web-stream parser
 * that streams part bodies (@web3-storage/multipart-parser) is unmaintained. The format itself is
 * small (RFC 7578 over RFC 2046): this is a boundary scanner that holds at most one chunk plus
 * the part headers (bounded) in memory, whatever the size of the body.
 * @module
 */

/** A body that is not well-formed multipart; its message is safe to show the client. */
export class MultipartError extends Error {
  /** @param message What is wrong with the body, for the client. */
  constructor(message: string) {
    super(message);
    this.name = 'MultipartError';
  }
}

/** One part, its body streamed: read it to its end (or leave it, and the next part skips it). */
export interface MultipartPart {
  /** The `name` of its Content-Disposition: the form field. */
  readonly name: string | undefined;
  /** The `filename` of its Content-Disposition: present for a file part ('' for an empty file input). */
  readonly filename: string | undefined;
  readonly contentType: string | undefined;
  /** The part's content, chunk by chunk, as it arrives. */
  readonly body: AsyncIterable<Uint8Array>;
}

/** Limits on everything but part bodies, so that nothing makes the parser buffer much. */
export interface MultipartLimits {
  /** The most bytes of one part's header block. @default 16384 */
  readonly maxHeaderBytes?: number;
  /** The most parts. @default 32 */
  readonly maxParts?: number;
}

/** Reads the next chunk of the body; `undefined` at its end. */
export type ChunkSource = () => Promise<Uint8Array | undefined>;

const CR = 13;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** The boundary of a `multipart/form-data` Content-Type, or undefined when there is none. */
export function multipartBoundary(contentType: string): string | undefined {
  if (!/^multipart\/form-data\s*(;|$)/i.test(contentType)) return undefined;
  const match = /;\s*boundary\s*=\s*(?:"([^"]{1,70})"|([^;\s]{1,70}))/i.exec(contentType);
  return match?.[1] ?? match?.[2];
}

/**
 * The parts of a multipart body, in order. Each part's body must be read (or abandoned) before
 * asking for the next part. Throws {@link MultipartError} when the body is malformed or ends
 * before its closing boundary; errors of `read` (the client went away) pass through as they are.
 */
export async function* parseMultipart(read: ChunkSource, boundary: string, limits: MultipartLimits = {}): AsyncGenerator<MultipartPart, void, undefined> {
  const maxHeaderBytes = limits.maxHeaderBytes ?? 16 * 1024;
  const maxParts = limits.maxParts ?? 32;
  // The delimiter is CRLF "--" boundary; a body opens with "--" boundary, so it is read as if a
  // CRLF came first, and one search serves for the first boundary and every later one.
  const delimiter = encoder.encode(`\r\n--${boundary}`);
  let buffer: Uint8Array = encoder.encode('\r\n');
  let ended = false;

  const fill = async (): Promise<boolean> => {
    if (ended) return false;
    const chunk = await read();
    if (chunk === undefined) {
      ended = true;
      return false;
    }
    if (chunk.length === 0) return true;
    buffer = buffer.length === 0 ? chunk : concat(buffer, chunk);
    return true;
  };
  const need = async (bytes: number): Promise<void> => {
    while (buffer.length < bytes) {
      if (!(await fill())) throw truncated();
    }
  };

  // The preamble: skipped, keeping only what could be the start of the first delimiter.
  for (;;) {
    const at = indexOf(buffer, delimiter, 0);
    if (at >= 0) {
      buffer = buffer.subarray(at + delimiter.length);
      break;
    }
    buffer = buffer.subarray(Math.max(0, buffer.length - delimiter.length + 1));
    if (!(await fill())) throw new MultipartError('The multipart body has no boundary line: expected a part or the closing boundary');
  }

  let parts = 0;
  for (;;) {
    // After a delimiter: "--" closes the body, CRLF opens a part (transport padding allowed).
    await need(2);
    if (buffer[0] === 45 && buffer[1] === 45) return;
    let lineEnd = indexOf(buffer, CRLF_BYTES, 0);
    while (lineEnd < 0) {
      if (buffer.length > 256) throw new MultipartError('Malformed multipart boundary line');
      if (!(await fill())) throw truncated();
      lineEnd = indexOf(buffer, CRLF_BYTES, 0);
    }
    if (!/^[ \t]*$/.test(decoder.decode(buffer.subarray(0, lineEnd)))) throw new MultipartError('Malformed multipart boundary line');
    buffer = buffer.subarray(lineEnd + 2);

    if (++parts > maxParts) throw new MultipartError(`Expected at most ${maxParts} parts`);
    let headerEnd = indexOf(buffer, HEADER_END, 0);
    while (headerEnd < 0) {
      if (buffer.length > maxHeaderBytes) throw new MultipartError(`A part's headers are larger than ${maxHeaderBytes} bytes`);
      if (!(await fill())) throw truncated();
      headerEnd = indexOf(buffer, HEADER_END, 0);
    }
    // A part without headers has its blank line at once.
    const headers = parseHeaders(decoder.decode(buffer.subarray(0, headerEnd)));
    buffer = buffer.subarray(headerEnd + HEADER_END.length);

    let bodyDone = false;
    async function* body(): AsyncGenerator<Uint8Array, void, undefined> {
      while (!bodyDone) {
        const at = indexOf(buffer, delimiter, 0);
        if (at >= 0) {
          const content = buffer.subarray(0, at);
          buffer = buffer.subarray(at + delimiter.length);
          bodyDone = true;
          if (content.length > 0) yield content;
          return;
        }
        // Everything but a tail that could be the start of the delimiter is content.
        const safe = buffer.length - (delimiter.length - 1);
        if (safe > 0) {
          const content = buffer.subarray(0, safe);
          buffer = buffer.subarray(safe);
          yield content;
        }
        if (!(await fill())) throw truncated();
      }
    }
    const stream = body();
    yield { ...headers, body: stream };
    // Whatever the consumer left of this part is read and dropped.
    for await (const _chunk of stream) {
      // skipped
    }
    if (!bodyDone) throw truncated();
  }
}

const CRLF_BYTES = encoder.encode('\r\n');
const HEADER_END = encoder.encode('\r\n\r\n');

function truncated(): MultipartError {
  return new MultipartError('The multipart body ended before its closing boundary');
}

function parseHeaders(block: string): Pick<MultipartPart, 'name' | 'filename' | 'contentType'> {
  let disposition: string | undefined;
  let contentType: string | undefined;
  for (const line of block.split('\r\n')) {
    if (line === '') continue;
    const colon = line.indexOf(':');
    if (colon <= 0) throw new MultipartError(`Malformed part header ${JSON.stringify(line.slice(0, 100))}: expected "Name: value"`);
    const key = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (key === 'content-disposition') disposition = value;
    else if (key === 'content-type') contentType = value;
  }
  if (disposition === undefined || !/^form-data\s*(;|$)/i.test(disposition)) {
    throw new MultipartError('Expected each part to have "Content-Disposition: form-data; name=..."');
  }
  const parameters = new Map<string, string>();
  for (const match of disposition.matchAll(/;\s*([^=;\s]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;]*))/g)) {
    parameters.set((match[1] ?? '').toLowerCase(), match[2] === undefined ? (match[3] ?? '').trim() : match[2].replace(/\\(.)/g, '$1'));
  }
  let filename = parameters.get('filename');
  const extended = parameters.get('filename*');
  if (extended !== undefined) {
    // RFC 5987: charset'language'percent-encoded; only UTF-8 is meaningful today.
    const encoded = /^utf-8'[^']*'(.*)$/i.exec(extended)?.[1];
    if (encoded !== undefined) {
      try {
        filename = decodeURIComponent(encoded);
      } catch {
        // A malformed extended name: keep the plain one.
      }
    }
  }
  return { name: parameters.get('name'), filename, contentType };
}

/** The first index of `needle` in `haystack` at or after `from`, or -1. */
function indexOf(haystack: Uint8Array, needle: Uint8Array, from: number): number {
  const first = needle[0] ?? CR;
  const last = haystack.length - needle.length;
  let at = haystack.indexOf(first, from);
  while (at >= 0 && at <= last) {
    let match = true;
    for (let i = 1; i < needle.length; i++) {
      if (haystack[at + i] !== needle[i]) {
        match = false;
        break;
      }
    }
    if (match) return at;
    at = haystack.indexOf(first, at + 1);
  }
  return -1;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const joined = new Uint8Array(a.length + b.length);
  joined.set(a, 0);
  joined.set(b, a.length);
  return joined;
}
