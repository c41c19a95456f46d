import type { FileHandle } from 'node:fs/promises';
import { basename } from 'node:path';
import { parseInputName } from './file-names.ts';
import type { FileStore } from './file-store.ts';
import type { ResultProcessor } from './result-processor.ts';

/** How one attempt at one input ended. */
export type ProcessInputOutcome =
  | { readonly kind: 'processed'; readonly resultPath: string }
  /** The input was not there: processed already, or moved away since it was reported. */
  | { readonly kind: 'gone' };

/** Options of {@link processInputFile}. */
export interface ProcessInputFileOptions {
  /** Stops reading (the input is left where it is). */
  readonly signal: AbortSignal;
  /** `processedAt` of the result, epoch ms (from the host's TimeProvider). */
  readonly now: number;
  /** Recorded in the result: 1 when the first attempt succeeds. */
  readonly attempt: number;
  /**
   * Where the input came from, when its name does not say it (cluster mode's claimed inbox files
   * carry a claim id, which reads like an upload id).
   * @default parsed from the input's name
   */
  readonly origin?: { readonly originalName: string; readonly source: 'inbox' | 'upload' } | undefined;
}

/**
 * One attempt at one input, steps 4 to 6 of `FileStore`'s crash-safety argument: read it and
 * compute its figures with `processor` (nothing written yet), write the result atomically under
 * its deterministic name, and only then remove the input. Used by the FileProcessingService for
 * each attempt, and by the benchmark's hand-written baseline, so both run the same processing code.
 * @throws whatever reading, computing or writing throws; the input is then still where it was
 *   (unless the failure came from removing it, after the result was written).
 */
export async function processInputFile(
  path: string,
  processor: ResultProcessor,
  store: FileStore,
  options: ProcessInputFileOptions,
): Promise<ProcessInputOutcome> {
  const input = await store.openInput(path);
  if (input === undefined) return { kind: 'gone' };
  let figures;
  try {
    figures = await processor.process(readChunks(input), options.signal);
  } finally {
    await input.close();
  }
  const name = basename(path);
  const parsed = parseInputName(name);
  const originalName = options.origin?.originalName ?? parsed.originalName;
  const source = options.origin?.source ?? (parsed.uploadId === undefined ? 'inbox' : 'upload');
  const resultPath = await store.writeResult({
    input: name,
    originalName,
    source,
    ...(source === 'upload' && parsed.uploadId !== undefined ? { uploadId: parsed.uploadId } : {}),
    ...figures,
    processedAt: new Date(options.now).toISOString(),
    attempts: options.attempt,
  });
  await store.removeInput(path);
  return { kind: 'processed', resultPath };
}

/** Size of the buffer each file is read through: the most a file being processed holds in memory. */
const READ_BUFFER_BYTES = 64 * 1024;

/**
 * The content of `handle`, chunk by chunk, through ONE reused buffer: each chunk is valid until
 * the consumer asks for the next, which a `for await` consumer that uses the chunk synchronously
 * (as the ResultProcessor does) satisfies. Not `handle.createReadStream()`: closing a FileHandle
 * that a stream used with autoClose off never settled, on Deno nor here on Node.
 */
async function* readChunks(handle: FileHandle): AsyncGenerator<Uint8Array> {
  const buffer = new Uint8Array(READ_BUFFER_BYTES);
  for (;;) {
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, null);
    if (bytesRead === 0) return;
    yield buffer.subarray(0, bytesRead);
  }
}
