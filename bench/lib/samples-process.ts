/**
 * The samples program as a child process, driven over HTTP only (no import of its internals), for
 * the suites that measure it end to end: start it on a temporary DATA_DIR and a free port, wait
 * for the first `GET /healthz` 200, read the RSS of its process tree, stop it.
 * @module
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import process from 'node:process';
import { fileURLToPath } from 'node:url';

export const repoRoot: string = fileURLToPath(new URL('../..', import.meta.url));

/** The variables the samples read: never inherited from the bench's own environment. */
const SAMPLES_ENV = [
  'PORT', 'DATA_DIR', 'WEATHER_API_URL', 'WEATHER_LATITUDE', 'WEATHER_LONGITUDE', 'WEATHER_REFRESH_MS',
  'CLEANUP_INTERVAL_MS', 'CLEANUP_SCHEDULE', 'CLEANUP_TIME_ZONE', 'LOG_RETENTION_DAYS', 'CHANNEL_CAPACITY',
  'UPLOAD_MAX_BYTES', 'SHUTDOWN_TIMEOUT_MS', 'SERVICES', 'LOG_FORMAT', 'LOG_LEVEL', 'REDIS_URL', 'REPLICA_ID',
  'LEASE_TTL_MS', 'WORK_VISIBILITY_TIMEOUT_MS', 'WORK_CONCURRENCY', 'ORPHAN_SWEEP_INTERVAL_MS',
];

/** A free TCP port on 127.0.0.1 (bound, read and released). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error(`Expected a TCP address, got ${String(address)}`);
  return address.port;
}

/** RSS of `pid` and all its descendants, in MiB, from /proc (Linux); undefined elsewhere. */
export function treeRssMib(pid: number): number | undefined {
  if (process.platform !== 'linux') return undefined;
  const parents = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // The command name may contain spaces and parentheses: fields start after the last ')'.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      parents.set(Number(entry), Number(fields[1]));
    } catch {
      // The process ended meanwhile.
    }
  }
  const tree = [pid];
  for (let i = 0; i < tree.length; i++) for (const [child, parent] of parents) if (parent === tree[i]) tree.push(child);
  let kib = 0;
  for (const member of tree) {
    try {
      const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${member}/status`, 'utf8'));
      if (match !== null) kib += Number(match[1]);
    } catch {
      // Gone.
    }
  }
  return kib / 1024;
}

export interface SamplesProcess {
  readonly child: ChildProcess;
  readonly baseUrl: string;
  readonly dataDir: string;
  /** Everything the program wrote, for failure messages. */
  output(): string;
  /** SIGTERM, wait for the exit (SIGKILL after 10 s), remove DATA_DIR unless `keepDataDir`. */
  stop(options?: { readonly keepDataDir?: boolean }): Promise<void>;
}

/**
 * Starts `command` with `args` in the repo root on a fresh DATA_DIR and a free PORT (plus `env`),
 * and resolves once `GET /healthz` first answers 200, with the milliseconds that took from spawn.
 */
export async function startSamples(
  command: string,
  args: readonly string[],
  env: Readonly<Record<string, string>> = {},
): Promise<{ app: SamplesProcess; readyMs: number }> {
  const dataDir = await mkdtemp(join(tmpdir(), 'hostkit-bench-samples-'));
  const port = await freePort();
  const childEnv: Record<string, string | undefined> = { ...process.env };
  for (const name of SAMPLES_ENV) delete childEnv[name];
  Object.assign(childEnv, {
    DATA_DIR: dataDir,
    PORT: String(port),
    // A closed port: the weather sample reports degraded (still 200) and never leaves the machine.
    WEATHER_API_URL: 'http://127.0.0.1:9',
    WEATHER_REFRESH_MS: '3600000',
    ...env,
  });
  const started = performance.now();
  // Its own process group, so that stop() reaches every process of the tree (npm's child, a
  // process traced by strace) and none is left holding our pipes.
  const child = spawn(command, args, { cwd: repoRoot, env: childEnv, stdio: ['ignore', 'pipe', 'pipe'], detached: process.platform !== 'win32' });
  let output = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  let exited = false;
  const exit = new Promise<void>((resolve) => child.once('exit', () => {
    exited = true;
    resolve();
  }));
  const baseUrl = `http://127.0.0.1:${port}`;
  const app: SamplesProcess = {
    child,
    baseUrl,
    dataDir,
    output: () => output,
    async stop(options) {
      if (!exited) {
        const signalTree = (signal: NodeJS.Signals): void => {
          try {
            if (process.platform === 'win32') child.kill(signal);
            else process.kill(-child.pid!, signal);
          } catch {
            // Already gone.
          }
        };
        signalTree('SIGTERM');
        const timer = setTimeout(() => signalTree('SIGKILL'), 10_000);
        await exit;
        clearTimeout(timer);
      }
      if (options?.keepDataDir === true) return;
      await rm(dataDir, { recursive: true, force: true, maxRetries: 3 });
    },
  };
  const deadline = started + 60_000;
  for (;;) {
    if (exited) {
      await app.stop();
      throw new Error(`${command} ${args.join(' ')} exited before /healthz answered 200:\n${output}`);
    }
    try {
      const response = await fetch(`${baseUrl}/healthz`);
      await response.arrayBuffer();
      if (response.status === 200) return { app, readyMs: performance.now() - started };
    } catch {
      // Not listening yet.
    }
    if (performance.now() > deadline) {
      await app.stop();
      throw new Error(`${command} ${args.join(' ')}: /healthz did not answer 200 within 60 s:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
