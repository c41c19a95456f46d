import { createHash } from 'node:crypto';
import { ManualTimeProvider } from '@hostkit/core/testing';
import { describe, expect, it } from 'vitest';
import { FigureCounter, ResultProcessor } from '../../src/file-processing/result-processor.ts';

const encoder = new TextEncoder();

async function* chunksOf(text: string | Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  const bytes = typeof text === 'string' ? encoder.encode(text) : text;
  for (let offset = 0; offset < bytes.length; offset += size) yield bytes.subarray(offset, offset + size);
}

function sha256(text: string | Uint8Array): string {
  return createHash('sha256').update(text).digest('hex');
}

describe('ResultProcessor', () => {
  const time = new ManualTimeProvider();
  const processor = new ResultProcessor({ timeProvider: time });
  const signal = new AbortController().signal;

  it.each([
    ['', { bytes: 0, lines: 0, words: 0 }],
    ['hello', { bytes: 5, lines: 1, words: 1 }],
    ['hello\n', { bytes: 6, lines: 1, words: 1 }],
    ['hello world\nsecond line here\n', { bytes: 29, lines: 2, words: 5 }],
    ['a\nb\nc', { bytes: 5, lines: 3, words: 3 }],
    ['\n\n\n', { bytes: 3, lines: 3, words: 0 }],
    ['  spaced \t out \r\n\v\f words  ', { bytes: 27, lines: 2, words: 3 }],
    ['héllo wörld', { bytes: 13, lines: 1, words: 2 }],
  ])('computes the figures of %j', async (text, expected) => {
    const figures = await processor.process(chunksOf(text, 1024), signal);
    expect(figures).toEqual({ ...expected, sha256: sha256(text) });
  });

  it('gives the same figures whatever the chunk boundaries, when words and line ends span chunks', async () => {
    const text = 'The quick brown fox\njumps over\r\nthe lazy dog.\n\nEnd without newline';
    const whole = await processor.process(chunksOf(text, 4096), signal);
    for (const size of [1, 2, 3, 7, 13]) {
      expect(await processor.process(chunksOf(text, size), signal)).toEqual(whole);
    }
    expect(whole).toMatchObject({ lines: 5, words: 12 });
  });

  it('streams a large content without holding it when given 8 MiB in 64 KiB chunks', async () => {
    const chunk = encoder.encode('word '.repeat(13_107) + 'x\n'); // 65,537 bytes
    let total = 0;
    const hash = createHash('sha256');
    async function* content(): AsyncGenerator<Uint8Array> {
      for (let i = 0; i < 128; i++) {
        hash.update(chunk);
        total += chunk.length;
        yield chunk;
      }
    }
    const figures = await processor.process(content(), signal);
    expect(figures).toEqual({ bytes: total, lines: 128, words: 128 * 13_108, sha256: hash.digest('hex') });
  });

  it('stops between chunks with the signal reason when the signal aborts', async () => {
    const controller = new AbortController();
    const reason = new DOMException('stopping', 'AbortError');
    async function* content(): AsyncGenerator<Uint8Array> {
      yield encoder.encode('one ');
      controller.abort(reason);
      yield encoder.encode('two ');
      throw new Error('read past the abort');
    }
    await expect(processor.process(content(), controller.signal)).rejects.toBe(reason);
  });

  it('waits the test-only processing delay on the TimeProvider before reading', async () => {
    const clock = new ManualTimeProvider();
    const slow = new ResultProcessor({ timeProvider: clock, processingDelayMs: 1_000 });
    let settled = false;
    const result = slow.process(chunksOf('a b', 10), signal).then((figures) => {
      settled = true;
      return figures;
    });
    await clock.advance(999);
    expect(settled).toBe(false);
    await clock.advance(1);
    await expect(result).resolves.toMatchObject({ words: 2 });
  });

  it('ends the processing delay at once when the signal aborts', async () => {
    const clock = new ManualTimeProvider();
    const slow = new ResultProcessor({ timeProvider: clock, processingDelayMs: 60_000 });
    const controller = new AbortController();
    const result = slow.process(chunksOf('a', 1), controller.signal);
    controller.abort(new DOMException('stop', 'AbortError'));
    await expect(result).rejects.toMatchObject({ name: 'AbortError' });
    expect(clock.pendingTimerCount).toBe(0);
  });
});

describe('FigureCounter', () => {
  it('counts a last line without a newline once, and an empty content as no line', () => {
    const counter = new FigureCounter();
    counter.update(encoder.encode('x'));
    counter.update(new Uint8Array(0));
    expect(counter.finish()).toMatchObject({ bytes: 1, lines: 1, words: 1 });
    expect(new FigureCounter().finish()).toEqual({ bytes: 0, lines: 0, words: 0, sha256: sha256('') });
  });
});
