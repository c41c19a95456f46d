/**
 * A 2 GiB upload through the real program, on Node (`@hono/node-server`) and on Deno
 * (`Deno.serve`): the body streams from the socket through the multipart parser to disk, so the
 * server's memory does not grow with the body. Measured as the peak resident set size (VmHWM in
 * /proc/<pid>/status, which the kernel keeps for the whole life of the process): a 256 MiB upload
 * first takes the process to its steady state (socket and stream buffers, the garbage collector's
 * headroom), then the 2 GiB one may raise that peak by garbage-collector noise only (under
 * 64 MiB), and the stored file is complete: its SHA-256 in the result equals the one of what was
 * sent. (Seen in five runs with the figures printed: the 2 GiB upload added 0-6 MiB to the peak
 * on Node and 0-15 MiB on Deno; the steady state was 65-92 MiB above the idle process.)
 *
 * The client is a raw socket that writes with backpressure (it waits for `drain`), so neither side
 * can hide buffering behind a client that outruns the server.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { countResults, dirs, readResults } from '../file-processing/e2e-support.ts';
import { pollUntil, RUNTIMES, startApp } from './app-process.ts';

const GiB = 1024 * 1024 * 1024;
const TOTAL = 2 * GiB;
const CHUNK = Buffer.alloc(1024 * 1024);
for (let i = 0; i < CHUNK.length; i++) CHUNK[i] = i % 251;
/**
 * What the 2 GiB upload may add to the peak RSS the 256 MiB one reached: the garbage collector's
 * timing moves the peak by up to 15 MiB from run to run (seen on Deno); a body held in memory,
 * even a thirty-second of it, would add more.
 */
const MAX_PEAK_GROWTH_MIB = 64;
/** What both uploads may add to the idle process's peak RSS: buffers and GC headroom, not bodies. */
const MAX_STEADY_STATE_MIB = 160;

/** The process's peak resident set size so far, in MiB. */
async function peakRssMiB(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const match = /^VmHWM:\s+(\d+) kB$/m.exec(status);
  if (match === null) throw new Error(`Expected a VmHWM line in /proc/${pid}/status, got:\n${status}`);
  return Number(match[1]) / 1024;
}

/** POSTs `TOTAL` bytes as the file part over a raw socket, honouring backpressure; resolves with the answer. */
function streamUpload(port: number, total: number): Promise<string> {
  const boundary = 'two-gib-boundary';
  const head = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="two-gib.bin"\r\nContent-Type: application/octet-stream\r\n\r\n`,
  );
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  return new Promise<string>((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let answer = '';
    socket.on('data', (data: Buffer) => {
      answer += data.toString('latin1');
    });
    socket.on('close', () => resolve(answer));
    // A server that answers early (413, 503) closes while the body is still being written: its answer counts.
    socket.on('error', (error) => (answer === '' ? reject(error) : resolve(answer)));
    socket.once('connect', () => {
      socket.write(
        `POST /upload HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: multipart/form-data; boundary=${boundary}\r\n` +
          `Content-Length: ${head.length + total + tail.length}\r\nConnection: close\r\n\r\n`,
      );
      socket.write(head);
      let sent = 0;
      const pump = (): void => {
        while (sent < total) {
          sent += CHUNK.length;
          if (!socket.write(CHUNK)) {
            socket.once('drain', pump);
            return;
          }
        }
        socket.write(tail);
      };
      pump();
    });
  });
}

describe.each(RUNTIMES)('a 2 GiB upload into the samples program on %s', (runtime) => {
  it(
    'streams to disk with the server’s peak RSS within 64 MiB of a 256 MiB upload’s, and the file is processed whole',
    async () => {
      await using app = await startApp({
        runtime,
        env: { SERVICES: 'files', UPLOAD_MAX_BYTES: String(TOTAL), UPLOAD_STAGING_MAX_BYTES: String(2 * TOTAL), UPLOAD_IDLE_TIMEOUT_MS: '120000' },
      });
      const pid = app.pid;
      if (pid === undefined) throw new Error('Expected the program to have a pid');
      const idle = await peakRssMiB(pid);
      const warmAnswer = await streamUpload(app.port, TOTAL / 8);
      expect(warmAnswer.slice(0, 500)).toMatch(/^HTTP\/1\.1 202/);
      const steady = await peakRssMiB(pid);
      const answer = await streamUpload(app.port, TOTAL);
      const peak = await peakRssMiB(pid);

      expect(answer.slice(0, 500)).toMatch(/^HTTP\/1\.1 202/);
      const reply = JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4)) as { bytes: number; name: string };
      expect(reply.bytes).toBe(TOTAL);
      // Compared as one object, so that a failure shows all three figures.
      const peakRssMiBs = { idle: Math.round(idle), after256MiB: Math.round(steady), after2GiB: Math.round(peak) };
      expect({ ...peakRssMiBs, grewBy2GiB: peak - steady < MAX_PEAK_GROWTH_MIB, grewFromIdle: peak - idle < MAX_STEADY_STATE_MIB }).toEqual({
        ...peakRssMiBs,
        grewBy2GiB: true,
        grewFromIdle: true,
      });

      const { outbox } = dirs(app.dataDir);
      await pollUntil(async () => ((await countResults(outbox)) === 2 ? true : undefined), {
        timeoutMs: 120_000,
        description: 'both files are processed',
      });
      const expected = createHash('sha256');
      for (let sent = 0; sent < TOTAL; sent += CHUNK.length) expected.update(CHUNK);
      const [result] = [...(await readResults(outbox)).values()].filter((r) => r.input.includes(reply.name));
      expect(result?.sha256).toBe(expected.digest('hex'));
      app.kill('SIGTERM');
      expect((await app.waitForExit(60_000)).code).toBe(0);
    },
    300_000,
  );
});
