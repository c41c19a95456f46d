/**
 * The console log a person follows, in the real program on Node and on Deno: the start with the
 * services, each accepted upload, each processed file at LOG_LEVEL=debug, each service's stop; and
 * LOG_LEVEL itself, validated like every setting.
 */
import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { filesStatus, upload } from '../file-processing/e2e-support.ts';
import { pollUntil, RUNTIMES, spawnApp, startApp } from './app-process.ts';

const TEST_TIMEOUT_MS = 180_000;

describe.each(RUNTIMES)('the console log of the samples program on %s', (runtime) => {
  it(
    'logs the start with its services, each accepted upload and each service stopping, at the default level',
    async () => {
      await using app = await startApp({ runtime });
      // The start line follows the "listening" line that startApp waited for: wait for it too.
      await app.waitForOutput(new RegExp(`INFO  samples\\.Http Host started: running cleanup, weather, files on ${runtime}; data in `), 30_000);
      const accepted = await upload(app, 'hello.txt', 'hello');
      expect(accepted.status).toBe(202);
      await pollUntil(async () => ((await filesStatus(app))['processed'] === 1 ? true : undefined), { description: 'the upload is processed' });
      const acceptedLine = `INFO  samples.FileUpload Upload accepted: ${String(accepted.body['name'])} (5 bytes), queued for processing`;
      await app.waitForOutput(new RegExp(acceptedLine.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')), 30_000);
      // One line per processed file is debug: not at the default level.
      expect(app.stdout()).not.toContain('Processed ');
      app.kill('SIGTERM');
      expect(await app.waitForExit(60_000)).toEqual({ code: 0, signal: null });
      for (const line of ['HTTP: closed', 'File processing: stopped after 1 file processed (0 failed)', 'Weather: stopped after', 'Cleanup: stopped after']) {
        expect(app.stdout()).toContain(line);
      }
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'writes one line per processed file at LOG_LEVEL=debug, and only warnings and worse at LOG_LEVEL=Warning',
    async () => {
      {
        await using app = await startApp({ runtime, env: { LOG_LEVEL: 'debug', SERVICES: 'files' } });
        const accepted = await upload(app, 'debug.txt', 'debug');
        await pollUntil(() => (app.stdout().includes(`DEBUG samples.FileProcessing Processed ${String(accepted.body['name'])} into `) ? true : undefined), {
          description: `the debug line of the processed file\n${app.output()}`,
        });
      }
      {
        const port = await freePort();
        await using app = await spawnApp({ runtime, env: { LOG_LEVEL: 'Warning', SERVICES: 'files', PORT: String(port) } });
        await pollUntil(async () => ((await fetch(`http://127.0.0.1:${port}/healthz`)).ok ? true : undefined), {
          timeoutMs: 60_000,
          description: 'the quiet program answers',
        });
        app.kill('SIGTERM');
        expect(await app.waitForExit(60_000)).toEqual({ code: 0, signal: null });
        expect(app.stdout()).not.toContain('INFO');
      }
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'refuses LOG_LEVEL=verbose as invalid configuration and lists LOG_LEVEL in --help',
    async () => {
      await using bad = await spawnApp({ runtime, env: { LOG_LEVEL: 'verbose' } });
      expect(await bad.waitForExit(60_000)).toEqual({ code: 2, signal: null });
      expect(bad.stderr()).toContain('Invalid configuration:\n  - LOG_LEVEL must be one of trace, debug, info, warn, error, critical, none; got "verbose"');
      await using help = await spawnApp({ runtime, args: ['--help'] });
      expect(await help.waitForExit(60_000)).toEqual({ code: 0, signal: null });
      expect(help.stdout()).toMatch(/LOG_LEVEL\s+--log-level\s+least severe console record written/);
    },
    TEST_TIMEOUT_MS,
  );
});

/** A port that was free a moment ago: at LOG_LEVEL=warn the program prints no "listening on" line to read it from. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error(`Unexpected address ${String(address)}`);
  return address.port;
}
