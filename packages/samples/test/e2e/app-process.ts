/**
 * End-to-end harness: runs the REAL samples program (src/main.ts on Node, src/main.deno.ts on
 * Deno) as a child process in a temporary DATA_DIR, waits for its "listening on http://..." line
 * and exposes what a test needs: the base URL, the output, `kill(signal)` and `exited`.
 *
 * Timing is for a loaded 2-core machine: every wait polls with a generous deadline; nothing sleeps
 * for a fixed time. Always `await using` the process (or call `dispose()`): it SIGKILLs a program
 * still running and removes the temporary directory it made.
 *
 * ```ts
 * describe.each(RUNTIMES)('on %s', (runtime) => {
 *   it('serves the weather', async () => {
 *     await using app = await startApp({ runtime, env: { WEATHER_REFRESH_MS: '500' } });
 *     const body = await pollUntil(async () => {
 *       const response = await app.fetch('/weather');
 *       return response.status === 200 ? await response.json() : undefined;
 *     });
 *     app.kill('SIGTERM');
 *     expect((await app.waitForExit()).code).toBe(0);
 *   }, 120_000);
 * });
 * ```
 * A program expected to fail before listening (bad configuration): `spawnApp` + `waitForExit`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Which runtime runs the program. */
export type AppRuntime = 'node' | 'deno';

/** Both runtimes, for `describe.each(RUNTIMES)`. */
export const RUNTIMES: readonly AppRuntime[] = ['node', 'deno'];

/** The samples package directory (the program's working directory). */
export const SAMPLES_DIR: string = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const REPO_ROOT = resolve(SAMPLES_DIR, '../..');

/** Node 24 from the repository's dev dependency (the system Node may be older). */
export const NODE_BINARY: string = join(REPO_ROOT, 'node_modules/.bin/node');
/** Deno 2.9 from the repository's dev dependency. */
export const DENO_BINARY: string = join(REPO_ROOT, 'node_modules/.bin/deno');

/** Generous default for start-up on a loaded machine (Deno's first run compiles the sources). */
export const DEFAULT_START_TIMEOUT_MS = 60_000;

/** The environment variables the program reads; stripped from the inherited environment. */
const CONFIG_VARIABLES = [
  'PORT',
  'DATA_DIR',
  'WEATHER_API_URL',
  'WEATHER_LATITUDE',
  'WEATHER_LONGITUDE',
  'WEATHER_REFRESH_MS',
  'CLEANUP_INTERVAL_MS',
  'CLEANUP_SCHEDULE',
  'CLEANUP_TIME_ZONE',
  'LOG_RETENTION_DAYS',
  'CHANNEL_CAPACITY',
  'UPLOAD_MAX_BYTES',
  'SHUTDOWN_TIMEOUT_MS',
  'HTTP_DRAIN_DELAY_MS',
  'UPLOADS_MAX_IN_PROGRESS',
  'UPLOAD_IDLE_TIMEOUT_MS',
  'UPLOAD_STAGING_MAX_BYTES',
  'SERVICES',
  'LOG_FORMAT',
  'LOG_LEVEL',
  'REDIS_URL',
  'REPLICA_ID',
  'LEASE_TTL_MS',
  'WORK_VISIBILITY_TIMEOUT_MS',
  'WORK_CONCURRENCY',
  'ORPHAN_SWEEP_INTERVAL_MS',
  'FILE_PROCESSING_DELAY_MS', // test-only slow-processing knob of the file-processing sample
];

/** Options of {@link startApp} and {@link spawnApp}. */
export interface StartAppOptions {
  /** @default 'node' */
  readonly runtime?: AppRuntime;
  /**
   * Extra environment variables (PORT, WEATHER_API_URL, ...). Undefined values remove a variable.
   * PORT defaults to 0 (a free port) and DATA_DIR to the temporary directory.
   */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Command-line arguments after the script (`['--port', '0']`). */
  readonly args?: readonly string[];
  /** Use this DATA_DIR instead of a fresh temporary one (which the harness then does not delete). */
  readonly dataDir?: string;
  /** How long to wait for the "listening" line. @default 60000 */
  readonly startTimeoutMs?: number;
}

/** How the program ended. */
export interface AppExit {
  /** Exit code; null when killed by a signal. */
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** A running (or finished) program. */
export interface AppProcess extends AsyncDisposable {
  readonly runtime: AppRuntime;
  /** The DATA_DIR the program was given (absolute). */
  readonly dataDir: string;
  /** `http://127.0.0.1:<port>`, from the program's "listening" line; '' from {@link spawnApp} until it listens. */
  readonly baseUrl: string;
  readonly port: number;
  readonly pid: number | undefined;
  /** Everything written to standard output so far. */
  stdout(): string;
  /** Everything written to standard error so far. */
  stderr(): string;
  /** Standard output and error so far, for failure messages. */
  output(): string;
  /** Resolves with the first match of `pattern` in stdout+stderr, polling; rejects at the deadline or when the program exits first. */
  waitForOutput(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** `fetch(baseUrl + path)`. */
  fetch(path: string, init?: RequestInit): Promise<Response>;
  /** Sends a signal (default SIGTERM). */
  kill(signal?: NodeJS.Signals): void;
  /** Settles when the process has exited (never rejects). */
  readonly exited: Promise<AppExit>;
  /** Waits for the exit with a deadline; rejects with the output if it does not come. */
  waitForExit(timeoutMs?: number): Promise<AppExit>;
  /** SIGKILLs the program if it still runs and removes the temporary DATA_DIR. */
  dispose(): Promise<void>;
}

/** Makes a fresh temporary directory for a DATA_DIR. */
export async function makeTempDataDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'hostkit-samples-e2e-'));
}

/** The command line that runs the program on `runtime`. */
export function commandFor(runtime: AppRuntime, args: readonly string[] = []): { command: string; args: string[] } {
  return runtime === 'node'
    ? { command: NODE_BINARY, args: ['--conditions=@hostkit/source', 'src/main.ts', ...args] }
    : { command: DENO_BINARY, args: ['run', '-A', '--conditions=@hostkit/source', 'src/main.deno.ts', ...args] };
}

const LISTENING = /listening on (http:\/\/127\.0\.0\.1:(\d+))/;

/**
 * Starts the program without waiting for it to listen: for programs expected to exit (bad
 * configuration). `baseUrl` stays '' unless you wait with {@link AppProcess.waitForOutput}.
 */
export async function spawnApp(options: StartAppOptions = {}): Promise<AppProcess> {
  const runtime = options.runtime ?? 'node';
  const ownsDataDir = options.dataDir === undefined;
  const dataDir = options.dataDir ?? (await makeTempDataDir());
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value !== undefined && !CONFIG_VARIABLES.includes(key)) env[key] = value;
  }
  env['PORT'] = '0';
  env['DATA_DIR'] = dataDir;
  env['NO_COLOR'] = '1';
  for (const [key, value] of Object.entries(options.env ?? {})) {
    if (value === undefined) delete env[key];
    else env[key] = value;
  }
  const { command, args } = commandFor(runtime, options.args);
  const child: ChildProcess = spawn(command, args, { cwd: SAMPLES_DIR, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8');
  child.stderr?.setEncoding('utf8');
  child.stdout?.on('data', (chunk: string) => {
    stdout += chunk;
  });
  child.stderr?.on('data', (chunk: string) => {
    stderr += chunk;
  });
  let exitInfo: AppExit | undefined;
  const exited = new Promise<AppExit>((resolveExit) => {
    child.once('error', (error) => {
      stderr += `\n[harness] spawn error: ${String(error)}`;
      exitInfo ??= { code: -1, signal: null };
      resolveExit(exitInfo);
    });
    // 'close' (not 'exit') so that all output has been read when `exited` resolves.
    child.once('close', (code, signal) => {
      exitInfo ??= { code, signal };
      resolveExit(exitInfo);
    });
  });
  const output = (): string => `--- stdout (${runtime}) ---\n${stdout}\n--- stderr (${runtime}) ---\n${stderr}`;

  const waitForOutput = async (pattern: RegExp, timeoutMs = DEFAULT_START_TIMEOUT_MS): Promise<RegExpMatchArray> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const match = stdout.match(pattern) ?? stderr.match(pattern);
      if (match !== null) return match;
      if (exitInfo !== undefined) {
        throw new Error(`The program exited (${JSON.stringify(exitInfo)}) before printing ${String(pattern)}\n${output()}`);
      }
      if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${String(pattern)}\n${output()}`);
      await delay(25);
    }
  };

  const app: AppProcess & { baseUrl: string; port: number } = {
    runtime,
    dataDir,
    baseUrl: '',
    port: 0,
    pid: child.pid,
    stdout: () => stdout,
    stderr: () => stderr,
    output,
    waitForOutput,
    fetch: (path, init) => fetch(`${app.baseUrl}${path}`, init),
    kill: (signal = 'SIGTERM') => {
      if (exitInfo === undefined) child.kill(signal);
    },
    exited,
    waitForExit: async (timeoutMs = DEFAULT_START_TIMEOUT_MS) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`The program did not exit within ${timeoutMs} ms\n${output()}`)), timeoutMs);
      });
      try {
        return await Promise.race([exited, timeout]);
      } finally {
        clearTimeout(timer);
      }
    },
    dispose: async () => {
      if (exitInfo === undefined) {
        child.kill('SIGKILL');
        await exited;
      }
      if (ownsDataDir) await rm(dataDir, { recursive: true, force: true, maxRetries: 3 });
    },
    [Symbol.asyncDispose]: () => app.dispose(),
  };
  return app;
}

/**
 * Starts the program and waits for its "listening on http://127.0.0.1:<port>" line.
 * @throws when it exits first or does not listen within `startTimeoutMs` (the program is killed).
 */
export async function startApp(options: StartAppOptions = {}): Promise<AppProcess> {
  const app = (await spawnApp(options)) as AppProcess & { baseUrl: string; port: number };
  try {
    const match = await app.waitForOutput(LISTENING, options.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS);
    app.baseUrl = match[1] ?? '';
    app.port = Number(match[2]);
  } catch (error) {
    await app.dispose();
    throw error;
  }
  return app;
}

/** Options of {@link pollUntil}. */
export interface PollOptions {
  /** @default 30000 */
  readonly timeoutMs?: number;
  /** @default 50 */
  readonly intervalMs?: number;
  /** Named in the timeout error. */
  readonly description?: string;
}

/**
 * Calls `probe` until it returns something other than `undefined` (errors count as "not yet")
 * and returns it; rejects at the deadline with the last error or value.
 */
export async function pollUntil<T>(probe: () => Promise<T | undefined> | T | undefined, options: PollOptions = {}): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
      last = value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) {
      throw new Error(`Timed out after ${timeoutMs} ms waiting for ${options.description ?? 'a condition'}; last: ${String(last)}`);
    }
    await delay(options.intervalMs ?? 50);
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolveDelay) => setTimeout(resolveDelay, ms));
}
