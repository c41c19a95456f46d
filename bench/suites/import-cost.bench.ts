/**
 * Import cost: what `import '@hostkit/core'` adds to a process's start, from the built `dist/`
 * (what an npm user loads), against an empty process on the same runtime.
 *
 * The suite builds core's `dist/` first (`tsc -p packages/core/tsconfig.build.json`, about a
 * second), so a stale or missing build is never measured and CI's quick run needs no separate
 * build step. Each round starts, in rotating order, a fresh process that imports nothing and one
 * that imports core's `dist/index.js`; the wall time from spawn to exit of each is a sample, and
 * the judged figure is the per-round difference (paired, so a burst of load hits both halves).
 *
 * Notes break the cost down, each in its own fresh process, timed inside it around one dynamic
 * `import()`: inversify, `@inversifyjs/core` (what inversify pulls in), croner, and core's own
 * modules (core imported after inversify's graph is already loaded). On Node a load hook counts
 * the modules core's import loads, per package.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import process from 'node:process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { atMostPaired, checkRounds, formatTable, median, pairDifferences, runSuite, runtimeKey } from '../lib/harness.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const coreDist = pathToFileURL(join(root, 'packages', 'core', 'dist', 'index.js')).href;
/** Child scripts live inside the repo so that bare specifiers resolve through its node_modules. */
const scratch = join(root, 'bench', 'results', `.import-cost-${runtimeKey()}`);

function buildCore(): void {
  const tsc = join(root, 'node_modules', '.bin', process.platform === 'win32' ? 'tsc.cmd' : 'tsc');
  const built = spawnSync(tsc, ['-p', join(root, 'packages', 'core', 'tsconfig.build.json')], { cwd: root, encoding: 'utf8' });
  if (built.status !== 0) throw new Error(`Building packages/core/dist failed (exit ${built.status}): ${built.stdout}${built.stderr}`);
}

/** The command that runs `script` on this suite's runtime, with no flags a user would not pass. */
function commandFor(script: string): { file: string; args: string[] } {
  return runtimeKey() === 'deno' ? { file: process.execPath, args: ['run', '-A', script] } : { file: process.execPath, args: [script] };
}

/** Runs `script` in a fresh process: wall ms from spawn to exit, and its stdout. */
async function runProcess(script: string, args: readonly string[] = []): Promise<{ ms: number; stdout: string }> {
  const { file, args: base } = commandFor(script);
  const started = performance.now();
  const child = spawn(file, [...base, ...args], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
  let stdout = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => {
    stdout += chunk;
  });
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', resolve);
  });
  const ms = performance.now() - started;
  if (code !== 0) throw new Error(`${script} ${args.join(' ')} exited with ${code}: ${stdout}`);
  return { ms, stdout };
}

const EMPTY_SCRIPT = '// imports nothing: the runtime start and exit alone\n';
const CORE_SCRIPT = `import * as core from ${JSON.stringify(coreDist)};\nif (typeof core.Host !== 'function') throw new Error('Expected Host from @hostkit/core');\n`;
/** Times `import(argv[last])` after importing every earlier argument untimed. */
const TIMED_SCRIPT = `
const args = typeof Deno === 'undefined' ? process.argv.slice(2) : Deno.args;
for (const before of args.slice(0, -1)) await import(before);
const started = performance.now();
await import(args[args.length - 1]);
console.log(JSON.stringify({ ms: performance.now() - started }));
`;
/** Node only: counts the modules core's import loads, per package. */
const COUNT_SCRIPT = `
import { registerHooks } from 'node:module';
const perPackage = {};
let total = 0;
registerHooks({
  load(url, context, next) {
    total++;
    const match = /node_modules\\/((?:@[^/]+\\/)?[^/]+)/.exec(url);
    const key = match ? match[1] : url.includes('/packages/core/') ? '@hostkit/core' : url;
    perPackage[key] = (perPackage[key] ?? 0) + 1;
    return next(url, context);
  },
});
await import(${JSON.stringify(coreDist)});
console.log(JSON.stringify({ total, perPackage }));
`;

const PARTS: readonly { readonly name: string; readonly imports: readonly string[] }[] = [
  { name: 'inversify (and its @inversifyjs/* graph)', imports: ['inversify'] },
  { name: '@inversifyjs/core alone', imports: ['@inversifyjs/core'] },
  { name: 'croner', imports: ['croner'] },
  { name: "core's own modules (inversify's graph and croner loaded first)", imports: ['inversify', '@inversifyjs/core', '@inversifyjs/plugin', 'croner', coreDist] },
  { name: 'all of @hostkit/core from dist', imports: [coreDist] },
];

await runSuite(import.meta.url, async ({ quick }) => {
  buildCore();
  rmSync(scratch, { recursive: true, force: true });
  mkdirSync(scratch, { recursive: true });
  try {
    const empty = join(scratch, 'empty.mjs');
    const core = join(scratch, 'core.mjs');
    const timed = join(scratch, 'timed.mjs');
    writeFileSync(empty, EMPTY_SCRIPT);
    writeFileSync(core, CORE_SCRIPT);
    writeFileSync(timed, TIMED_SCRIPT);
    const rounds = quick ? 5 : 10;
    const warmupRounds = 1;
    checkRounds(rounds, 'import cost');
    const emptyMs: number[] = [];
    const coreMs: number[] = [];
    const partMs: number[][] = PARTS.map(() => []);
    for (let round = 0; round < warmupRounds + rounds; round++) {
      const began = performance.now();
      const pair = round % 2 === 0 ? [empty, core] : [core, empty];
      const measured: Record<string, number> = {};
      for (const script of pair) measured[script] = (await runProcess(script)).ms;
      for (let k = 0; k < PARTS.length; k++) {
        const part = PARTS[(round + k) % PARTS.length]!;
        const { stdout } = await runProcess(timed, part.imports);
        if (round >= warmupRounds) partMs[(round + k) % PARTS.length]!.push((JSON.parse(stdout) as { ms: number }).ms);
      }
      if (round >= warmupRounds) {
        emptyMs.push(measured[empty]!);
        coreMs.push(measured[core]!);
      }
      const kind = round < warmupRounds ? 'warm-up' : 'measured';
      process.stderr.write(`  [import cost] round ${round + 1}/${warmupRounds + rounds} (${kind}) ${((performance.now() - began) / 1000).toFixed(1)} s\n`);
    }
    const notes = [
      `wall time of a fresh process, spawn to exit, median of ${rounds}: empty ${median(emptyMs).toFixed(0)} ms, importing @hostkit/core from dist ${median(coreMs).toFixed(0)} ms`,
      `each part timed inside a fresh process around one import() (median of ${rounds}, ms):\n` +
        formatTable(['part', 'median', 'min', 'max'], PARTS.map((part, k) => [part.name, median(partMs[k]!).toFixed(1), Math.min(...partMs[k]!).toFixed(1), Math.max(...partMs[k]!).toFixed(1)])),
    ];
    if (runtimeKey() === 'node') {
      const counter = join(scratch, 'count.mjs');
      writeFileSync(counter, COUNT_SCRIPT);
      const counted = JSON.parse((await runProcess(counter)).stdout) as { total: number; perPackage: Record<string, number> };
      const perPackage = Object.entries(counted.perPackage).sort((a, b) => b[1] - a[1]).map(([name, count]) => `${name} ${count}`);
      notes.push(`modules loaded by import '@hostkit/core' (dist): ${counted.total}: ${perPackage.join(', ')}`);
    }
    return {
      cases: [
        { name: 'empty process, spawn to exit (runs per second)', opsPerSec: 1000 / median(emptyMs), samples: emptyMs.map((ms) => 1000 / ms) },
        { name: 'process importing @hostkit/core from dist, spawn to exit (runs per second)', opsPerSec: 1000 / median(coreMs), samples: coreMs.map((ms) => 1000 / ms) },
      ],
      ratios: [atMostPaired('ms added to a process start by importing @hostkit/core from dist', pairDifferences(coreMs, emptyMs), 60, 0)],
      notes,
    };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
});
