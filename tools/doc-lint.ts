/**
 * `deno doc --lint` over the published entry points of @hostkit/core and @hostkit/adapters,
 * linted together so that the adapters' references to core's types count as public.
 *
 * Every diagnostic fails the run, with one exception: `private-type-ref` for the third-party
 * types that the API deliberately exposes (listed below). deno doc counts any type that the
 * documented entry points do not export as private, a package's own dependencies included
 * (denoland/deno#27364), and re-exporting those types would document (and lint) the whole of
 * inversify, undici, node-redis and Hono. A reference to any other private type still fails.
 *
 * Run: `npm run lint:docs` (part of `npm run lint`).
 */
import { spawnSync } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

const entryPoints: readonly string[] = [
  'packages/core/src/index.ts',
  'packages/core/src/testing/index.ts',
  'packages/core/src/adapter-kit/index.ts',
  'packages/core/src/weather/index.ts',
  'packages/adapters/src/node/index.ts',
  'packages/adapters/src/deno/index.ts',
  'packages/adapters/src/redis/index.ts',
  'packages/adapters/src/undici/index.ts',
  'packages/adapters/src/fetch/index.ts',
  'packages/adapters/src/chokidar/index.ts',
  'packages/adapters/src/hono/index.ts',
];

/** Third-party types the public API exposes on purpose, and the package each comes from. */
const thirdPartyTypes: ReadonlyMap<string, string> = new Map([
  ['Container', 'inversify'],
  ['ContainerModule', 'inversify'],
  ['Dispatcher', 'undici'],
  ['RedisClientType', 'redis'],
  ['RedisArgument', 'redis'],
  ['TypeMapping', 'redis'],
  ['Hono', 'hono'],
  ['Env', 'hono'],
]);

const result = spawnSync(join(root, 'node_modules', '.bin', 'deno'), ['doc', '--lint', ...entryPoints], {
  cwd: root,
  encoding: 'utf8',
  env: { ...process.env, NO_COLOR: '1' },
});
if (result.error !== undefined) throw result.error;

// Diagnostics start with `error[rule]: ...` and run to the next one; the closing
// `error: Found N documentation lint errors.` line and resolution warnings are not diagnostics.
const diagnostics = `${result.stdout}\n${result.stderr}`
  .split(/\n(?=error\[)/)
  .map((block) => block.replace(/\nerror: Found \d+ documentation lint errors?\.[\s\S]*$/, '').trim())
  .filter((block) => block.startsWith('error['));
const skipped: string[] = [];
const problems = diagnostics.filter((diagnostic) => {
  const match = /^error\[private-type-ref\]: public type '([^']+)' references private type '([^']+)'/.exec(diagnostic);
  const from = match === null ? undefined : thirdPartyTypes.get(match[2] ?? '');
  if (match === null || from === undefined) return true;
  skipped.push(`${match[1]} -> ${match[2]} (${from})`);
  return false;
});

for (const problem of problems) console.error(`${problem}\n`);
const ranClean = result.status === 0 || diagnostics.length > 0;
if (!ranClean) console.error(result.stderr);
console.log(
  `deno doc --lint: ${problems.length} problem${problems.length === 1 ? '' : 's'} in ${entryPoints.length} entry points` +
    (skipped.length === 0 ? '' : `; ${skipped.length} references to third-party types allowed: ${skipped.join(', ')}`),
);
process.exitCode = problems.length === 0 && ranClean ? 0 : 1;
