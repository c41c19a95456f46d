/**
 * `npm start` (and `npm run start:deno`) as a process manager runs it: `docker stop`, Kubernetes
 * and systemd send SIGTERM to the PID they started, which is npm's; a terminal's Ctrl+C sends
 * SIGINT to the whole foreground process group. Either way the host must stop gracefully, npm
 * must exit 0, and no process of the tree may be left serving.
 *
 * The root scripts `exec` the runtime, so npm's one child is the host itself and npm forwards
 * the signal to it (a turbo wrapper here orphaned the host: npm died, turbo and the host kept
 * running). Real processes, real signals; every wait polls with a deadline.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { makeTempDataDir, pollUntil, SAMPLES_DIR } from './app-process.ts';
import { resolve } from 'node:path';

const REPO_ROOT = resolve(SAMPLES_DIR, '../..');
const TEST_TIMEOUT_MS = 120_000;
const LISTENING = /listening on (http:\/\/127\.0\.0\.1:\d+)/;

const SCRIPTS = [
  { runtime: 'node', label: 'npm start', script: ['start'] },
  { runtime: 'deno', label: 'npm run start:deno', script: ['run', 'start:deno'] },
] as const;

interface NpmRun {
  readonly child: ChildProcess;
  readonly baseUrl: string;
  output(): string;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Runs `npm <script>` with PORT=0 (a free port) in the repository root, in a process group of its own. */
async function runNpm(script: readonly string[], dataDir: string): Promise<NpmRun> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    // The variables npm sets for the script that runs these tests would leak into the child npm.
    if (value !== undefined && !key.startsWith('npm_') && key !== 'REDIS_URL') env[key] = value;
  }
  env['PORT'] = '0';
  env['DATA_DIR'] = dataDir;
  env['NO_COLOR'] = '1';
  const child = spawn('npm', [...script], {
    cwd: REPO_ROOT,
    env,
    detached: true, // its own process group, as a terminal's foreground job has
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolveExit) => {
    child.once('close', (code, signal) => resolveExit({ code, signal }));
  });
  const baseUrl = await pollUntil(() => output.match(LISTENING)?.[1], {
    timeoutMs: 60_000,
    description: `the "listening" line of npm ${script.join(' ')}`,
  }).catch((error: unknown) => {
    child.kill('SIGKILL');
    throw new Error(`${String(error)}\n${output}`);
  });
  return { child, baseUrl, output: () => output, exited };
}

/** Every process whose parent chain leads to `pid` (npm, a shell if any, the host). */
function processTree(pid: number): number[] {
  const table = execFileSync('ps', ['-e', '-o', 'pid=,ppid='], { encoding: 'utf8' })
    .trim()
    .split('\n')
    .map((line) => line.trim().split(/\s+/).map(Number) as [number, number]);
  const tree = [pid];
  for (let index = 0; index < tree.length; index++) {
    for (const [child, parent] of table) if (parent === tree[index]) tree.push(child);
  }
  return tree;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function withinDeadline<T>(promise: Promise<T>, ms: number, what: () => string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what()}: no exit within ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

describe.each(SCRIPTS)('$label (the samples on $runtime) under a process manager', ({ script }) => {
  it.each([
    { how: "SIGTERM to npm's PID (docker stop, Kubernetes, systemd)", signal: 'SIGTERM', group: false },
    { how: "SIGINT to npm's PID", signal: 'SIGINT', group: false },
    { how: 'Ctrl+C (SIGINT to the whole process group)', signal: 'SIGINT', group: true },
  ] as const)(
    'stops the host gracefully with exit code 0 and leaves no process behind on $how',
    async ({ signal, group }) => {
      const dataDir = await makeTempDataDir();
      let run: NpmRun | undefined;
      try {
        run = await runNpm(script, dataDir);
        const npmPid = run.child.pid ?? 0;
        expect((await fetch(`${run.baseUrl}/healthz`)).status).toBe(200);
        const tree = processTree(npmPid);
        expect(tree.length).toBeGreaterThan(1); // npm and the host it started

        process.kill(group ? -npmPid : npmPid, signal);
        const current = run;
        const exit = await withinDeadline(current.exited, 60_000, () => current.output());

        // The output rides along so that a failure shows what the host logged.
        expect({ exit, output: current.output() }).toMatchObject({ exit: { code: 0, signal: null } });
        expect(current.output()).toContain(`Received ${signal}`);
        expect(current.output()).toContain('The host stopped; the process will exit with code 0');
        await pollUntil(() => (tree.some(isAlive) ? undefined : true), {
          timeoutMs: 5_000,
          description: `every process of the tree ${tree.join(', ')} to be gone`,
        });
        await expect(fetch(`${current.baseUrl}/healthz`)).rejects.toThrow('fetch failed');
      } finally {
        if (run !== undefined && run.child.pid !== undefined) {
          for (const pid of processTree(run.child.pid)) if (isAlive(pid)) process.kill(pid, 'SIGKILL');
        }
        await rm(dataDir, { recursive: true, force: true, maxRetries: 3 });
      }
    },
    TEST_TIMEOUT_MS,
  );
});
