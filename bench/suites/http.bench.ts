/**
 * HTTP: requests per second through `@hostkit/adapters/hono` (HonoServerService: drain tracking,
 * per-request context and scope, the request-variables middleware) against the same Hono routes
 * served bare by the same runtime server (`Deno.serve` on Deno, `@hono/node-server` on Node), in
 * one process run, rounds interleaved, judged on the per-round ratios.
 *
 * Two workloads: GET /healthz (core's health checks, the probe a load balancer hits), and small
 * multipart uploads (1 KiB, streamed through the samples' multipart parser, bytes counted and
 * checked, nothing stored: the server's share, not the disk's). The load comes from this process
 * (the runtime's fetch, keep-alive, CONCURRENCY requests in flight), the same for both sides.
 */
import { Hono } from 'hono';
import { HealthCheckServiceToken, Host, type HealthCheckRegistration } from '../../packages/core/src/index.ts';
import { addHealthRoutes, addHonoServer, HonoServerService } from '../../packages/adapters/src/hono/index.ts';
import { listen, type RuntimeServer } from '../../packages/adapters/src/hono/runtime-server.ts';
import { multipartBoundary, parseMultipart } from '../../packages/samples/src/file-processing/multipart-stream.ts';
import { type BenchCase, atLeast, formatCount, measureInterleaved, pairedRatio, runSuite } from '../lib/harness.ts';

const CONCURRENCY = 16;
const UPLOAD_BYTES = 1024;

const ADAPTER_HEALTH = 'hostkit adapter, GET /healthz';
const BARE_HEALTH = 'bare Hono, GET /healthz';
const ADAPTER_UPLOAD = `hostkit adapter, POST /upload of ${UPLOAD_BYTES} B`;
const BARE_UPLOAD = `bare Hono, POST /upload of ${UPLOAD_BYTES} B`;

const checks: HealthCheckRegistration[] = [
  { name: 'storage', check: () => ({ status: 'healthy' }), tags: ['live', 'ready'] },
  { name: 'queue', check: () => ({ status: 'healthy' }), tags: ['ready'] },
];

/** The one route besides the probes: reads the file part as a stream and answers its size. */
function addUploadRoute(app: Hono<any>): void {
  app.post('/upload', async (c) => {
    const boundary = multipartBoundary(c.req.header('content-type') ?? '');
    const body = c.req.raw.body;
    if (boundary === undefined || body === null) return c.json({ error: 'invalid_upload' }, 400);
    const reader = body.getReader();
    const read = async (): Promise<Uint8Array | undefined> => {
      const { done, value } = await reader.read();
      return done ? undefined : value;
    };
    let bytes = 0;
    for await (const part of parseMultipart(read, boundary)) {
      for await (const chunk of part.body) bytes += chunk.length;
    }
    return c.json({ id: 'x', bytes }, 202);
  });
}

const boundary = 'bench-boundary';
const uploadBody = new TextEncoder().encode(
  `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="small.bin"\r\nContent-Type: application/octet-stream\r\n\r\n` +
    'x'.repeat(UPLOAD_BYTES) +
    `\r\n--${boundary}--\r\n`,
);

/** `items` requests, CONCURRENCY at a time; every answer checked. */
async function load(url: string, items: number, upload: boolean): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items) {
      next++;
      const response = await fetch(
        url,
        upload ? { method: 'POST', headers: { 'content-type': `multipart/form-data; boundary=${boundary}` }, body: uploadBody } : undefined,
      );
      const text = await response.text();
      if (upload ? response.status !== 202 || !text.includes(`"bytes":${UPLOAD_BYTES}`) : response.status !== 200) {
        throw new Error(`${url}: unexpected answer ${response.status} ${text.slice(0, 200)}`);
      }
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
}

await runSuite(import.meta.url, async ({ quick }) => {
  // Through the adapter: a host with the server registered the way an application does it.
  const builder = Host.createApplicationBuilder();
  builder.logging.clearSinks();
  for (const check of checks) builder.healthChecks.add(check);
  const app = addHonoServer(builder, { port: 0, hostname: '127.0.0.1' });
  addUploadRoute(app);
  const host = builder.build();
  await host.start();
  const adapterUrl = host.services.get(HonoServerService).url ?? '';

  // Bare: the same routes on a plain Hono app, on the same runtime server, with the same checks
  // (the host's HealthCheckService: its own checks included).
  const bareApp = new Hono();
  addHealthRoutes(bareApp, host.services.get(HealthCheckServiceToken));
  addUploadRoute(bareApp);
  const bare: RuntimeServer = await listen((request) => bareApp.fetch(request), { port: 0, hostname: '127.0.0.1' });
  const bareUrl = `http://127.0.0.1:${bare.port}`;

  try {
    const items = quick ? 1_000 : 10_000;
    const cases: BenchCase[] = [
      { name: ADAPTER_HEALTH, run: (n) => load(`${adapterUrl}/healthz`, n, false) },
      { name: BARE_HEALTH, run: (n) => load(`${bareUrl}/healthz`, n, false) },
      { name: ADAPTER_UPLOAD, run: (n) => load(`${adapterUrl}/upload`, n, true) },
      { name: BARE_UPLOAD, run: (n) => load(`${bareUrl}/upload`, n, true) },
    ];
    const results = await measureInterleaved(cases, {
      items,
      rounds: quick ? 5 : 10,
      warmupRounds: 2,
      // I/O-bound: a forced GC before each sample would flatter the side that allocates less.
      collectGarbage: false,
      label: `http, ${formatCount(items)} requests, ${CONCURRENCY} in flight`,
    });
    const health = pairedRatio(results, ADAPTER_HEALTH, BARE_HEALTH);
    const upload = pairedRatio(results, ADAPTER_UPLOAD, BARE_UPLOAD);
    return {
      cases: results,
      ratios: [
        atLeast('adapter / bare Hono, GET /healthz requests per second (median of paired rounds)', health.median, 0.9),
        atLeast(`adapter / bare Hono, ${UPLOAD_BYTES} B uploads per second (median of paired rounds)`, upload.median, 0.9),
      ],
      notes: [
        `paired per-round ratios, /healthz: ${health.rounds.map((r) => r.toFixed(2)).join(' ')}`,
        `paired per-round ratios, uploads: ${upload.rounds.map((r) => r.toFixed(2)).join(' ')}`,
      ],
    };
  } finally {
    await bare.close(AbortSignal.timeout(5_000));
    await host.stop();
    await host.dispose();
  }
});
