/**
 * A private redis-server for the cluster end-to-end test: its own free 127.0.0.1 port and its own
 * temporary directory, with AOF persistence (`appendfsync always`), so the test can stop and
 * restart it without losing queued work and without disturbing any other Redis on the machine.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Why the cluster test cannot run here, or undefined when `redis-server` (7+) is on PATH. */
export function redisUnavailableReason(): string | undefined {
  const probe = spawnSync('redis-server', ['--version'], { encoding: 'utf8' });
  if (probe.error !== undefined) return `redis-server was not found on PATH (${probe.error.message})`;
  const major = Number(/v=(\d+)\./.exec(probe.stdout)?.[1] ?? Number.NaN);
  if (!(major >= 7)) return `redis-server 7 or later is needed, found: ${probe.stdout.trim() || probe.stderr.trim()}`;
  return undefined;
}

/** A running private Redis. */
export interface RedisServer extends AsyncDisposable {
  readonly port: number;
  readonly url: string;
  readonly dir: string;
  /** Everything the server printed (all its runs). */
  output(): string;
  /** Stops it with SIGTERM (which flushes the AOF) and waits for the exit. */
  stop(): Promise<void>;
  /** Starts it again on the same port and directory (reloading the AOF), and waits until it answers. */
  start(): Promise<void>;
  /** `redis-cli -p <port> <args...>`, trimmed output. */
  cli(...args: string[]): string;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Starts a private redis-server and waits until it answers PING. */
export async function startRedisServer(): Promise<RedisServer> {
  const dir = await mkdtemp(join(tmpdir(), 'hostkit-redis-e2e-'));
  const port = await freePort();
  let output = '';
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();

  const cli = (...args: string[]): string => {
    const result = spawnSync('redis-cli', ['-h', '127.0.0.1', '-p', String(port), ...args], { encoding: 'utf8', timeout: 10_000 });
    return `${result.stdout ?? ''}`.trim();
  };

  const start = async (): Promise<void> => {
    const args = [
      '--port', String(port),
      '--bind', '127.0.0.1',
      '--dir', dir,
      '--appendonly', 'yes',
      '--appendfsync', 'always',
      '--save', '',
      '--daemonize', 'no',
      '--protected-mode', 'no',
    ];
    const spawned = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    child = spawned;
    spawned.stdout?.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    spawned.stderr?.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    exited = new Promise<void>((resolve) => spawned.once('close', () => resolve()));
    const deadline = Date.now() + 20_000;
    while (cli('PING') !== 'PONG') {
      if (spawned.exitCode !== null || Date.now() > deadline) throw new Error(`redis-server did not start on port ${port}\n${output}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };

  const stop = async (): Promise<void> => {
    if (child === undefined || child.exitCode !== null) return;
    child.kill('SIGTERM');
    await exited;
  };

  await start();
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    dir,
    output: () => output,
    stop,
    start,
    cli,
    [Symbol.asyncDispose]: async () => {
      if (child !== undefined && child.exitCode === null) {
        child.kill('SIGKILL');
        await exited;
      }
      await rm(dir, { recursive: true, force: true, maxRetries: 3 });
    },
  };
}
