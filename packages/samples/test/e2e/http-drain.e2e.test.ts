/**
 * The stop in the order Kubernetes needs, in the real program on Node and on Deno: on SIGTERM,
 * /readyz answers 503 while the server still serves for HTTP_DRAIN_DELAY_MS, then connections are
 * refused, and the process exits 0; a request still unanswered at the drain deadline gets a 503,
 * not an empty reply. A client polls /readyz every 10 ms on a new connection each time (as
 * kubelet's probes do), so it sees exactly when the server stops accepting.
 */
import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { RUNTIMES, startApp } from './app-process.ts';

/** One probe: the status, or how the connection failed. */
type ProbeResult = number | 'refused' | `error: ${string}`;

function probe(port: number, path: string): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const request = httpRequest({ host: '127.0.0.1', port, path, agent: false, timeout: 5_000 }, (response) => {
      response.resume();
      response.on('end', () => resolve(response.statusCode ?? 0));
      response.on('error', (error) => resolve(`error: ${error.message}`));
    });
    request.on('timeout', () => request.destroy(new Error('timed out')));
    request.on('error', (error: NodeJS.ErrnoException) => resolve(error.code === 'ECONNREFUSED' ? 'refused' : `error: ${error.code ?? error.message}`));
    request.end();
  });
}

describe.each(RUNTIMES)('HTTP drain at SIGTERM in the samples program on %s', (runtime) => {
  it(
    'answers /readyz 503 during the drain delay, then refuses connections, and exits 0',
    async () => {
      await using app = await startApp({ runtime, env: { SERVICES: 'cleanup', HTTP_DRAIN_DELAY_MS: '1000', SHUTDOWN_TIMEOUT_MS: '10000' } });
      const seen: ProbeResult[] = [];
      let polling = true;
      const poller = (async () => {
        while (polling) {
          const result = await probe(app.port, '/readyz');
          seen.push(result);
          if (result === 'refused') return;
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
      })();
      // Ready first.
      const deadline = Date.now() + 30_000;
      while (!seen.includes(200)) {
        if (Date.now() > deadline) throw new Error(`never ready: ${seen.join(', ')}\n${app.output()}`);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      app.kill('SIGTERM');
      const exit = await app.waitForExit(60_000);
      polling = false;
      await poller;
      expect({ code: exit.code, output: app.output() }).toMatchObject({ code: 0 });
      const firstUnready = seen.indexOf(503);
      const firstRefused = seen.indexOf('refused');
      expect(firstUnready, `probes: ${seen.join(', ')}`).toBeGreaterThan(0);
      expect(firstRefused, `probes: ${seen.join(', ')}`).toBeGreaterThan(firstUnready);
      // Between the two: only 503s (no 200 after the first 503, no reset or empty reply).
      expect(seen.slice(firstUnready, firstRefused).every((result) => result === 503), `probes: ${seen.join(', ')}`).toBe(true);
      // The drain delay is real: the 503s span most of HTTP_DRAIN_DELAY_MS at one probe per ~10 ms.
      expect(firstRefused - firstUnready, `probes: ${seen.join(', ')}`).toBeGreaterThan(5);
    },
    180_000,
  );

  it(
    'answers an upload still unanswered at the drain deadline with 503, not an empty reply, and exits 0',
    async () => {
      await using app = await startApp({
        runtime,
        env: { SERVICES: 'files', HTTP_DRAIN_DELAY_MS: '0', SHUTDOWN_TIMEOUT_MS: '3000', UPLOAD_IDLE_TIMEOUT_MS: '600000' },
      });
      // An upload whose body stalls half-way: it stays in flight until the deadline.
      const boundary = 'drain-test-boundary';
      const head = `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="stalled.bin"\r\nContent-Type: application/octet-stream\r\n\r\n`;
      const reply = new Promise<string>((resolve) => {
        const socket = connect(app.port, '127.0.0.1', () => {
          socket.write(
            `POST /upload HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: multipart/form-data; boundary=${boundary}\r\nContent-Length: 100000\r\n\r\n${head}${'x'.repeat(1000)}`,
          );
        });
        let text = '';
        socket.on('data', (chunk) => {
          text += chunk.toString('latin1');
        });
        socket.on('close', () => resolve(text));
        socket.on('error', () => undefined);
      });
      await app.waitForOutput(/./); // started
      await new Promise((resolve) => setTimeout(resolve, 300));
      app.kill('SIGTERM');
      const answer = await reply;
      expect({ answer, output: app.output() }).toMatchObject({ answer: expect.stringMatching(/^HTTP\/1\.1 503/) });
      expect(answer.toLowerCase()).toContain('retry-after');
      expect({ code: (await app.waitForExit(60_000)).code, output: app.output() }).toMatchObject({ code: 0 });
    },
    180_000,
  );
});
