import { createHash, type Hash } from 'node:crypto';
import type { TimeProvider } from '@hostkit/core';

/** What the sample computes for each file. */
export interface FileFigures {
  /** Size of the content in bytes. */
  readonly bytes: number;
  /**
   * Lines: the number of `\n` bytes, plus one when the content does not end with `\n` and is not
   * empty (a last line without a terminator still counts; `wc -l` would not count it).
   */
  readonly lines: number;
  /**
   * Words: maximal runs of bytes other than ASCII whitespace (space, `\t`, `\n`, `\v`, `\f`,
   * `\r`), as `wc -w` counts in the C locale. Multi-byte UTF-8 characters are never whitespace,
   * so they count as word bytes.
   */
  readonly words: number;
  /** SHA-256 of the content, lowercase hex. */
  readonly sha256: string;
}

/** Options of {@link ResultProcessor}. */
export interface ResultProcessorOptions {
  /** The clock of {@link processingDelayMs}. */
  readonly timeProvider: TimeProvider;
  /**
   * TEST KNOB: wait this long (on {@link timeProvider}) before each file, to make processing slow
   * enough that end-to-end tests can fill the channel or stop the program mid-work. Set from the
   * `FILE_PROCESSING_DELAY_MS` environment variable; never set in production.
   * @default 0
   */
  readonly processingDelayMs?: number | undefined;
}

/**
 * Works out the {@link FileFigures} of one file's content. Registered as a SCOPED service: the
 * FileProcessingService creates one DI scope per file, so every file gets a fresh processor
 * (and whatever scoped services a richer processor would depend on: a database unit of work, a
 * per-file logger scope), disposed when the file is done.
 *
 * It streams: the content is read chunk by chunk and never held whole, so memory does not grow
 * with the file's size.
 */
export class ResultProcessor {
  readonly #time: TimeProvider;
  readonly #delayMs: number;

  constructor(options: ResultProcessorOptions) {
    this.#time = options.timeProvider;
    this.#delayMs = options.processingDelayMs ?? 0;
  }

  /**
   * Reads `content` to its end and returns its figures. Called once per file, per attempt.
   * @param signal The host's stopping signal: checked between chunks (and ends the test delay), so
   *   a stop is prompt even for a large file. The caller then leaves the input where it is.
   * @throws whatever reading `content` throws; `signal.reason` when it aborts.
   */
  async process(content: AsyncIterable<Uint8Array>, signal: AbortSignal): Promise<FileFigures> {
    if (this.#delayMs > 0) await this.#time.delay(this.#delayMs, signal);
    signal.throwIfAborted();
    const counter = new FigureCounter();
    for await (const chunk of content) {
      signal.throwIfAborted();
      counter.update(chunk);
    }
    return counter.finish();
  }
}

/** A running count of {@link FileFigures} over chunks of one content, fed in order. */
export class FigureCounter {
  readonly #hash: Hash = createHash('sha256');
  #bytes = 0;
  #newlines = 0;
  #words = 0;
  #inWord = false;
  #lastByte = -1;

  update(chunk: Uint8Array): void {
    this.#hash.update(chunk);
    this.#bytes += chunk.length;
    let newlines = 0;
    let words = 0;
    let inWord = this.#inWord;
    for (let i = 0; i < chunk.length; i++) {
      const byte = chunk[i]!;
      // ASCII whitespace: \t \n \v \f \r (9 to 13) and space (32).
      if (byte === 32 || (byte >= 9 && byte <= 13)) {
        if (byte === 10) newlines++;
        inWord = false;
      } else if (!inWord) {
        inWord = true;
        words++;
      }
    }
    this.#newlines += newlines;
    this.#words += words;
    this.#inWord = inWord;
    if (chunk.length > 0) this.#lastByte = chunk[chunk.length - 1]!;
  }

  finish(): FileFigures {
    const unterminated = this.#bytes > 0 && this.#lastByte !== 10 ? 1 : 0;
    return { bytes: this.#bytes, lines: this.#newlines + unterminated, words: this.#words, sha256: this.#hash.digest('hex') };
  }
}
