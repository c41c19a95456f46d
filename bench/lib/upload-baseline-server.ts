/**
 * The hand-written baseline of the upload benchmark, run as its own process (like the samples):
 * `node:http`, the same multipart parser as the samples (their streaming `parseMultipart`, swappable, see
 * {@link UploadParser}), and the same durability: the body streamed to `uploads/<id>.partial`,
 * fsynced, renamed to `uploads/<id>--<name>` and the directory fsynced before the 202; then one
 * async loop that reads each accepted file, computes the same figures (bytes, lines, words,
 * SHA-256), writes `outbox/<name>.result.json` to a temporary file, fsyncs it, renames it, fsyncs
 * `outbox/`, and removes the input. No framework, no DI, no logging, no database.
 *
 *   DATA_DIR=/tmp/x PORT=8123 node bench/lib/upload-baseline-server.ts
 *   BENCH_UPLOAD_PARSER=/abs/path/parser.ts ...   a module whose default export is an UploadParser
 *
 * Prints `listening` once ready; answers GET /healthz 200; stops on SIGTERM.
 * @module
 */
import { createHash, randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { type FileHandle, open, readFile, rename, unlink } from 'node:fs/promises';
import { createServer, type IncomingMessage } from 'node:http';
import { join } from 'node:path';
import process from 'node:process';
import { pathToFileURL } from 'node:url';
import { multipartBoundary, parseMultipart } from '../../packages/samples/src/file-processing/multipart-stream.ts';

/**
 * Parses one multipart upload: calls `onFile` with the first file part's name and stream, and
 * resolves when the whole body was parsed (after `onFile`'s promise settled). Swap it with
 * BENCH_UPLOAD_PARSER to compare parsers; the default is the samples' own streaming parser
 * (`packages/samples/src/file-processing/multipart-stream.ts`), as the upload route uses it.
 */
export type UploadParser = (request: IncomingMessage, onFile: (filename: string, body: AsyncIterable<Uint8Array>) => Promise<void>) => Promise<void>;

const samplesParser: UploadParser = async (request, onFile) => {
  const boundary = multipartBoundary(request.headers['content-type'] ?? '');
  if (boundary === undefined) throw new Error('not multipart/form-data');
  const chunks = (request as AsyncIterable<Uint8Array>)[Symbol.asyncIterator]();
  const read = async (): Promise<Uint8Array | undefined> => {
    const next = await chunks.next();
    return next.done === true ? undefined : next.value;
  };
  let written = false;
  for await (const part of parseMultipart(read, boundary)) {
    if (written || part.name !== 'file' || part.filename === undefined) continue;
    await onFile(part.filename, part.body);
    written = true;
  }
  if (!written) throw new Error('no file part');
};

const dataDir = process.env['DATA_DIR'];
const port = Number(process.env['PORT']);
if (dataDir === undefined || !Number.isInteger(port)) throw new Error('Expected DATA_DIR and PORT');
const parserModule = process.env['BENCH_UPLOAD_PARSER'];
const parse: UploadParser = parserModule === undefined || parserModule === ''
  ? samplesParser
  : ((await import(pathToFileURL(parserModule).href)) as { default: UploadParser }).default;

const uploads = join(dataDir, 'uploads');
const outbox = join(dataDir, 'outbox');
mkdirSync(uploads, { recursive: true });
mkdirSync(outbox, { recursive: true });

async function syncDirectory(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function writeFully(handle: FileHandle, chunk: Uint8Array): Promise<void> {
  let offset = 0;
  while (offset < chunk.length) offset += (await handle.write(chunk, offset, chunk.length - offset)).bytesWritten;
}

/** The same figures as the samples' ResultProcessor: bytes, lines, words, SHA-256. */
function figures(content: Uint8Array): { bytes: number; lines: number; words: number; sha256: string } {
  let newlines = 0;
  let words = 0;
  let inWord = false;
  for (let i = 0; i < content.length; i++) {
    const byte = content[i]!;
    if (byte === 10) newlines++;
    const space = byte === 32 || (byte >= 9 && byte <= 13);
    if (!space && !inWord) words++;
    inWord = !space;
  }
  const unterminated = content.length > 0 && content[content.length - 1] !== 10 ? 1 : 0;
  return { bytes: content.length, lines: newlines + unterminated, words, sha256: createHash('sha256').update(content).digest('hex') };
}

/** Accepted files waiting for the processing loop, in order. */
const queue: string[] = [];
let wake: (() => void) | undefined;

async function processLoop(): Promise<void> {
  for (;;) {
    const name = queue.shift();
    if (name === undefined) {
      await new Promise<void>((resolve) => (wake = resolve));
      continue;
    }
    const input = join(uploads, name);
    const document = { input: name, ...figures(await readFile(input)) };
    const temporary = join(outbox, `.${name}.result.json.tmp`);
    const handle = await open(temporary, 'w');
    try {
      await writeFully(handle, Buffer.from(`${JSON.stringify(document, null, 2)}\n`));
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temporary, join(outbox, `${name}.result.json`));
    await syncDirectory(outbox);
    await unlink(input);
  }
}

const server = createServer((request, response) => {
  if (request.method === 'GET' && request.url === '/healthz') {
    response.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"healthy"}');
    return;
  }
  if (request.method !== 'POST' || request.url !== '/upload') {
    response.writeHead(404).end();
    return;
  }
  const id = randomUUID();
  const partial = join(uploads, `${id}.partial`);
  let clientName = '';
  parse(request, async (filename, stream) => {
    clientName = filename.replace(/[^A-Za-z0-9._-]/g, '_');
    const handle = await open(partial, 'wx', 0o600);
    try {
      for await (const chunk of stream) await writeFully(handle, chunk);
      await handle.sync();
    } finally {
      await handle.close();
    }
  }).then(
    async () => {
      const name = `${id}--${clientName}`;
      await rename(partial, join(uploads, name));
      await syncDirectory(uploads);
      queue.push(name);
      wake?.();
      wake = undefined;
      response.writeHead(202, { 'content-type': 'application/json' }).end(JSON.stringify({ id, result: `outbox/${name}.result.json` }));
    },
  ).catch((error: unknown) => {
    response.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ error: String(error) }));
  });
});
server.keepAliveTimeout = 60_000;
server.listen(port, '127.0.0.1', () => console.log(`listening on http://127.0.0.1:${port}`));
process.once('SIGTERM', () => {
  server.close();
  server.closeAllConnections();
  process.exit(0);
});
void processLoop();
