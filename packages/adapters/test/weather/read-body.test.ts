import { Buffer } from 'node:buffer';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { readBody } from '../../src/undici/read-body.ts';

type Body = Parameters<typeof readBody>[0];

function stream(chunks: readonly string[]): Body {
  return Readable.from(chunks.map((chunk) => Buffer.from(chunk)), { objectMode: false }) as unknown as Body;
}

describe('readBody', () => {
  it('joins every chunk when the body arrives in several', async () => {
    const result = await readBody(stream(['{"a":', '1,"b"', ':[2]}']), 100);

    expect(result.kind).toBe('complete');
    expect(result.kind === 'complete' && result.bytes.toString()).toBe('{"a":1,"b":[2]}');
  });

  it('stops and destroys the body when more than the limit arrives', async () => {
    const body = stream(['12345', '67890', 'never read']);

    const result = await readBody(body, 8);

    expect(result).toEqual({ kind: 'too-large', received: 10 });
    expect(body.destroyed).toBe(true);
  });

  it('reports the error and the bytes so far when the stream fails', async () => {
    const failure = Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });
    const body = new Readable({ read() {} }) as unknown as Body & Readable;
    const pending = readBody(body, 100);
    body.push(Buffer.from('abc'));
    await new Promise((resolve) => setImmediate(resolve));
    body.destroy(failure);

    expect(await pending).toEqual({ kind: 'failed', error: failure, received: 3 });
  });

  it('reports a failure at once when the body was already destroyed', async () => {
    const failure = new Error('aborted');
    const body = new Readable({ read() {} }) as unknown as Body & Readable;
    body.on('error', () => undefined);
    body.destroy(failure);

    expect(await readBody(body, 100)).toEqual({ kind: 'failed', error: failure, received: 0 });
  });
});
