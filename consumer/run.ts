/**
 * Consumer test: the packages as a user installs them, outside the workspace.
 *
 * 1. builds `dist/` and packs @hostkit/core and @hostkit/adapters with `npm pack`;
 * 2. installs the two tarballs (and @types/node) into a fresh project in a temp directory, from
 *    npm's cache where it can; checks that no optional peer (redis, undici, chokidar) came along
 *    and that every `exports` target of the installed packages exists;
 * 3. type-checks the project (consumer/app) with the workspace's tsc, `module: NodeNext`;
 * 4. runs the host on Node 24 and on Deno 2.9 (plain `deno run`, which reads the project's
 *    package.json and node_modules), sends SIGTERM once it has processed jobs, and expects exit
 *    code 0 with every scoped service disposed;
 * 5. imports `@hostkit/adapters/redis` without redis installed, on both runtimes, and expects the
 *    install hint.
 *
 * Run: `npm run test:consumer`. Keep the temp project with KEEP_CONSUMER=1.
 */
import { execFileSync, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const bin = (name: string): string => join(root, 'node_modules', '.bin', name);
const node = process.execPath;
const started = performance.now();
let passed = 0;
let failed = 0;

function step(name: string): void {
  console.log(`consumer: ${name} (${((performance.now() - started) / 1000).toFixed(1)} s)`);
}

function check(name: string, ok: boolean, detail = ''): void {
  if (ok) passed += 1;
  else failed += 1;
  console.log(`  ${ok ? 'ok  ' : 'FAIL'} ${name}${ok || detail === '' ? '' : `\n${detail}`}`);
}

function run(command: string, args: string[], cwd: string): string {
  return execFileSync(command, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
}

/** Runs a host, sends SIGTERM once it printed its ready line, and returns its exit code and output. */
function runHost(command: string, args: string[], cwd: string, timeoutMs = 20_000): Promise<{ code: number | null; output: string }> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
    let output = '';
    let signalled = false;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      output += `\n[consumer: killed after ${timeoutMs} ms]`;
    }, timeoutMs);
    const onData = (chunk: Buffer): void => {
      output += chunk.toString('utf8');
      if (!signalled && output.includes('consumer-host: ready')) {
        signalled = true;
        child.kill('SIGTERM');
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolvePromise({ code, output });
    });
  });
}

function checkStopped(runtime: string, result: { code: number | null; output: string }): void {
  const line = /consumer-host: stopped exitCode=(\d+) produced=(\d+) processed=(\d+) disposed=(\d+)/.exec(result.output);
  const [, exitCode, produced, processed, disposed] = line ?? [];
  check(
    `${runtime}: the host ran, stopped on SIGTERM and exited with code 0 (processed ${processed ?? '?'} jobs in scopes)`,
    result.code === 0 && exitCode === '0' && Number(processed) >= 5 && processed === disposed && Number(produced) >= Number(processed),
    `exit code ${String(result.code)}, output:\n${result.output}`,
  );
}

const work = mkdtempSync(join(tmpdir(), 'hostkit-consumer-'));
try {
  step('build and pack @hostkit/core and @hostkit/adapters');
  run('npm', ['run', 'build'], root);
  const packed = JSON.parse(
    run('npm', ['pack', '--json', '--pack-destination', work, '-w', '@hostkit/core', '-w', '@hostkit/adapters'], root),
  ) as { filename: string; name: string }[];
  const tarballs = packed.map((entry) => join(work, entry.filename));

  step(`install ${packed.map((entry) => entry.filename).join(', ')} into ${join(work, 'app')}`);
  const app = join(work, 'app');
  cpSync(join(root, 'consumer', 'app'), app, { recursive: true });
  const typesNode = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { devDependencies: Record<string, string> })
    .devDependencies['@types/node'];
  run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', ...tarballs, `@types/node@${typesNode ?? 'latest'}`], app);
  const installed = readdirSync(join(app, 'node_modules'));
  check(
    'the optional peers redis, undici and chokidar were not installed',
    !['redis', 'undici', 'chokidar', '@redis'].some((name) => installed.includes(name)),
    `node_modules holds: ${installed.join(', ')}`,
  );
  for (const name of ['@hostkit/core', '@hostkit/adapters']) {
    const packageDir = join(app, 'node_modules', name);
    const manifest = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')) as { exports: Record<string, Record<string, string>> };
    const missing = Object.entries(manifest.exports).flatMap(([subpath, targets]) =>
      ['types', 'default'].filter((condition) => !existsSync(join(packageDir, targets[condition] ?? '<none>'))).map((condition) => `${subpath} ${condition}`),
    );
    check(`${name}: every export's types and default exist in the package`, missing.length === 0, `missing: ${missing.join(', ')}`);
    check(`${name}: the package has its README.md`, existsSync(join(packageDir, 'README.md')));
  }

  step('type-check the project with module NodeNext');
  try {
    run(node, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', app], app);
    check('tsc -p (module NodeNext) found no errors', true);
  } catch (error) {
    check('tsc -p (module NodeNext) found no errors', false, String((error as { stdout?: string }).stdout ?? error));
  }
  try {
    run(bin('deno'), ['check', 'main.deno.ts'], app);
    check('deno check main.deno.ts found no errors', true);
  } catch (error) {
    check('deno check main.deno.ts found no errors', false, String((error as { stderr?: string }).stderr ?? error));
  }

  step('run the host on Node, stop it with SIGTERM');
  checkStopped('node', await runHost(node, ['main.node.ts'], app));
  step('run the host on Deno, stop it with SIGTERM');
  checkStopped('deno', await runHost(bin('deno'), ['run', '-A', 'main.deno.ts'], app));

  step('import @hostkit/adapters/redis without redis installed');
  const hint = "@hostkit/adapters/redis needs the package 'redis', which is not installed: run 'npm install redis@";
  for (const [runtime, command, args] of [
    ['node', node, ['missing-peer.ts']],
    ['deno', bin('deno'), ['run', '-A', 'missing-peer.ts']],
  ] as const) {
    const output = run(command, [...args], app);
    check(`${runtime}: the import fails with the install hint`, output.includes(hint), output);
  }
} finally {
  if (process.env['KEEP_CONSUMER'] === '1') console.log(`consumer: kept ${work}`);
  else rmSync(work, { recursive: true, force: true });
}

const seconds = ((performance.now() - started) / 1000).toFixed(1);
writeFileSync(process.stdout.fd, `consumer: ${passed} passed, ${failed} failed in ${seconds} s\n${passed} passed, ${failed} failed\n`);
process.exitCode = failed === 0 ? 0 : 1;
