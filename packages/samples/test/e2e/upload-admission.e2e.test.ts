/**
 * Upload admission in the real program, on Node and on Deno (Deno.serve, no node:http): a slot
 * held by a stalled upload makes the next one 503 with Retry-After before its body is read, the
 * stalled one is answered 408 after UPLOAD_IDLE_TIMEOUT_MS with its partial file removed, and the
 * slot is free again. Every wait polls with a generous deadline.
 */
import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { dirs, list, upload } from '../file-processing/e2e-support.ts';
import { pollUntil, RUNTIMES, startApp } from './app-process.ts';

describe.each(RUNTIMES)('upload admission in the samples program on %s', (runtime) => {
  it(
    'refuses past UPLOADS_MAX_IN_PROGRESS before reading the body, and frees a stalled upload’s slot and partial file at UPLOAD_IDLE_TIMEOUT_MS',
    async () => {
      await using app = await startApp({ runtime, env: { SERVICES: 'files', UPLOADS_MAX_IN_PROGRESS: '1', UPLOAD_IDLE_TIMEOUT_MS: '4000' } });
      const { uploads } = dirs(app.dataDir);
      const boundary = 'admission-boundary';
      const head = `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="stalled.bin"\r\nContent-Type: application/octet-stream\r\n\r\n`;
      const stalledAnswer = new Promise<string>((resolve) => {
        const socket = connect(app.port, '127.0.0.1', () => {
          socket.write(
            `POST /upload HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: multipart/form-data; boundary=${boundary}\r\nContent-Length: 1000000\r\n\r\n${head}${'x'.repeat(2000)}`,
          );
        });
        let text = '';
        socket.on('data', (chunk: Buffer) => {
          text += chunk.toString('latin1');
          if (text.includes('\r\n\r\n')) resolve(text);
        });
        socket.on('close', () => resolve(text));
        socket.on('error', () => undefined);
      });
      await pollUntil(async () => ((await list(uploads)).some((name) => name.endsWith('.partial')) ? true : undefined), {
        timeoutMs: 30_000,
        description: 'the stalled upload is being received',
      });
      const busy = await upload(app, 'second.txt', 'second');
      expect(busy.status).toBe(503);
      expect(busy.body).toMatchObject({ error: 'busy' });
      expect(busy.retryAfter).toBe('5');

      expect(await stalledAnswer).toMatch(/^HTTP\/1\.1 408/);
      await pollUntil(async () => ((await list(uploads)).length === 0 ? true : undefined), { timeoutMs: 30_000, description: 'the partial file is removed' });
      expect((await upload(app, 'third.txt', 'third')).status).toBe(202);
      app.kill('SIGTERM');
      expect((await app.waitForExit(60_000)).code).toBe(0);
    },
    180_000,
  );
});
