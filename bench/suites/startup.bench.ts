/**
 * Start to ready: from spawning the samples program to its first `GET /healthz` 200, and the RSS
 * of its process tree then, for `npm start` (the root script, which `exec`s the runtime) and for
 * the direct command, alternating within each round (paired per round).
 *
 * Node: `npm start` vs `node --conditions=@hostkit/source packages/samples/src/main.ts`.
 * Deno: `npm run start:deno` vs `deno run -A --conditions=@hostkit/source packages/samples/src/main.deno.ts`.
 * Both on a fresh temporary DATA_DIR and a free PORT; weather points at a closed local port.
 * RSS is read from /proc over the whole tree (npm's own process included), Linux only.
 */
import { join } from 'node:path';
import process from 'node:process';
import { atMostPaired, checkRounds, median, pairDifferences, runSuite, runtimeKey } from '../lib/harness.ts';
import { repoRoot, startSamples, treeRssMib } from '../lib/samples-process.ts';

const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

await runSuite(import.meta.url, async ({ quick }) => {
  const onDeno = runtimeKey() === 'deno';
  const direct = onDeno
    ? { command: join(repoRoot, 'node_modules', '.bin', 'deno'), args: ['run', '-A', '--conditions=@hostkit/source', 'packages/samples/src/main.deno.ts'] }
    : { command: process.execPath, args: ['--conditions=@hostkit/source', 'packages/samples/src/main.ts'] };
  const viaNpm = { command: npm, args: onDeno ? ['run', '--silent', 'start:deno'] : ['start', '--silent'] };
  const NPM = onDeno ? 'npm run start:deno' : 'npm start';
  const DIRECT = onDeno ? 'deno run main.deno.ts (direct)' : 'node main.ts (direct)';
  const rounds = quick ? 3 : 10;
  const warmupRounds = 1;
  checkRounds(rounds, 'startup');
  const ready = { npm: [] as number[], direct: [] as number[] };
  const rss = { npm: [] as number[], direct: [] as number[] };
  for (let round = 0; round < warmupRounds + rounds; round++) {
    const began = performance.now();
    const order = round % 2 === 0 ? (['npm', 'direct'] as const) : (['direct', 'npm'] as const);
    for (const key of order) {
      const spec = key === 'npm' ? viaNpm : direct;
      const { app, readyMs } = await startSamples(spec.command, spec.args);
      // RSS at ready, after one more turn so the first request's work is counted alike.
      await new Promise((resolve) => setTimeout(resolve, 50));
      const mib = treeRssMib(app.child.pid!);
      await app.stop();
      if (round >= warmupRounds) {
        ready[key].push(readyMs);
        if (mib !== undefined) rss[key].push(mib);
      }
    }
    const kind = round < warmupRounds ? 'warm-up' : 'measured';
    process.stderr.write(`  [startup] round ${round + 1}/${warmupRounds + rounds} (${kind}) ${((performance.now() - began) / 1000).toFixed(1)} s\n`);
  }
  const ratios = [atMostPaired(`ms to first /healthz 200 added by ${NPM} over the direct command`, pairDifferences(ready.npm, ready.direct), 150, 0)];
  if (rss.npm.length === rounds) {
    ratios.push(atMostPaired(`MiB of RSS added by ${NPM} over the direct command (process tree)`, pairDifferences(rss.npm, rss.direct), 100, 0));
  }
  return {
    cases: [
      { name: `${NPM}, start to ready (starts per second)`, opsPerSec: 1000 / median(ready.npm), samples: ready.npm.map((ms) => 1000 / ms) },
      { name: `${DIRECT}, start to ready (starts per second)`, opsPerSec: 1000 / median(ready.direct), samples: ready.direct.map((ms) => 1000 / ms) },
    ],
    ratios,
    notes: [
      `start to first /healthz 200, median of ${rounds}: ${NPM} ${median(ready.npm).toFixed(0)} ms, direct ${median(ready.direct).toFixed(0)} ms`,
      rss.npm.length === rounds
        ? `RSS of the process tree at ready, median: ${NPM} ${median(rss.npm).toFixed(0)} MiB, direct ${median(rss.direct).toFixed(0)} MiB`
        : 'RSS not measured (reads /proc: Linux only)',
    ],
  };
});
