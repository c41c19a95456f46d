/**
 * Upload end to end: 1,000 files of 16 KiB (200 in quick mode), 8 uploads in flight, POSTed as
 * multipart to the samples' `/upload` over HTTP until every result file exists in `outbox/`,
 * against a hand-written baseline doing the same work (bench/lib/upload-baseline-server.ts:
 * node:http, the same multipart parser, the same fsyncs and renames, the same figures).
 *
 * Both servers run as child processes on the suite's runtime (a fresh one per sample, on a fresh
 * DATA_DIR and a free port), and are driven only over HTTP: the suite imports nothing of the
 * samples' HTTP layer. A sample is timed from the first POST to the moment the last result file
 * exists; then (untimed) every result's SHA-256 is checked against its file and every file marked
 * in a bitmap by the 202's result name, so a lost or duplicated file fails the run. The samples
 * run as `npm start` runs them (all services, default log level; weather points at a closed
 * local port so nothing leaves the machine).
 *
 * To see where the time goes: `BENCH_UPLOAD_PROFILE=/tmp/prof` makes every server process write a
 * CPU profile (`--cpu-prof`) into /tmp/prof/samples and /tmp/prof/baseline.
 *
 * After the timed rounds, one more sample per side runs under `strace -c` (Linux, when strace is
 * there) to count fsync/fdatasync calls per file, and the samples' SQLite rows per file are counted
 * (node:sqlite, when the runtime has it).
 */
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import process from 'node:process';
import { ExactlyOnce, atLeastPaired, checkRounds, formatCount, median, pairSamples, runSuite, runtimeKey } from '../lib/harness.ts';
import { repoRoot, type SamplesProcess, startSamples } from '../lib/samples-process.ts';

const FILE_BYTES = 16 * 1024;
const IN_FLIGHT = 8;
const BOUNDARY = '----hostkit-bench-upload-boundary';

const SAMPLES = 'samples: POST /upload -> channel -> processor -> outbox result';
const BASELINE = "hand-written: node:http + the samples' multipart parser + fsync + rename -> loop -> outbox result";

interface UploadFile {
  readonly name: string;
  readonly sha256: string;
  readonly body: Uint8Array<ArrayBuffer>;
}

function makeFiles(count: number): UploadFile[] {
  return Array.from({ length: count }, (_, i) => {
    // Printable content with newlines and spaces, so lines and words are counted for real.
    const content = Buffer.from(randomBytes(FILE_BYTES).toString('base64').slice(0, FILE_BYTES).replace(/\+/g, ' ').replace(/\//g, '\n'));
    const name = `file-${String(i).padStart(5, '0')}.txt`;
    const head = `--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="${name}"\r\nContent-Type: text/plain\r\n\r\n`;
    const body = new Uint8Array(Buffer.concat([Buffer.from(head), content, Buffer.from(`\r\n--${BOUNDARY}--\r\n`)]));
    return { name, sha256: createHash('sha256').update(content).digest('hex'), body };
  });
}

function commandFor(side: 'samples' | 'baseline'): { command: string; args: string[] } {
  const deno = runtimeKey() === 'deno';
  const script = side === 'samples'
    ? (deno ? 'packages/samples/src/main.deno.ts' : 'packages/samples/src/main.ts')
    : 'bench/lib/upload-baseline-server.ts';
  // BENCH_UPLOAD_PROFILE=<dir>: every server process writes a V8 CPU profile there (both runtimes).
  const profile = process.env['BENCH_UPLOAD_PROFILE'];
  const profileFlags = profile === undefined || profile === '' ? [] : ['--cpu-prof', `--cpu-prof-dir=${join(profile, side)}`];
  return deno
    ? { command: process.execPath, args: ['run', '-A', ...(profileFlags.length > 0 ? [`--v8-flags=${profileFlags.join(',')}`] : []), '--conditions=@hostkit/source', script] }
    : { command: process.execPath, args: [...profileFlags, '--conditions=@hostkit/source', script] };
}

/** Uploads every file, `IN_FLIGHT` at a time; returns the result path (relative to DATA_DIR) per file index. */
async function uploadAll(app: SamplesProcess, files: readonly UploadFile[]): Promise<string[]> {
  const results: string[] = Array.from({ length: files.length }, () => '');
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < files.length) {
      const index = next++;
      const response = await fetch(`${app.baseUrl}/upload`, {
        method: 'POST',
        headers: { 'content-type': `multipart/form-data; boundary=${BOUNDARY}` },
        body: files[index]!.body,
      });
      const text = await response.text();
      if (response.status !== 202) throw new Error(`upload ${index}: expected 202, got ${response.status}: ${text}\n${app.output().slice(-2000)}`);
      results[index] = (JSON.parse(text) as { result: string }).result;
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, lane));
  return results;
}

/** Resolves once every result file exists (polling outbox/ every 5 ms). */
async function resultsExist(app: SamplesProcess, results: readonly string[]): Promise<void> {
  const wanted = new Set(results.map((path) => path.slice(path.lastIndexOf('/') + 1)));
  const outbox = join(app.dataDir, 'outbox');
  const deadline = performance.now() + 600_000;
  for (;;) {
    const present = await readdir(outbox).catch(() => [] as string[]);
    let found = 0;
    for (const name of present) if (wanted.has(name)) found++;
    if (found === wanted.size) return;
    if (performance.now() > deadline) throw new Error(`only ${found} of ${wanted.size} results after 10 min\n${app.output().slice(-2000)}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Every file's result exists once, with its SHA-256. */
async function check(name: string, app: SamplesProcess, files: readonly UploadFile[], results: readonly string[]): Promise<void> {
  const seen = new ExactlyOnce(files.length, name);
  const byResult = new Map(results.map((path, index) => [path, index]));
  if (byResult.size !== files.length) throw new Error(`${name}: expected ${files.length} distinct result names, got ${byResult.size}`);
  for (const [path, index] of byResult) {
    const document = JSON.parse(await readFile(join(app.dataDir, path), 'utf8')) as { sha256: string; bytes: number };
    if (document.sha256 !== files[index]!.sha256) throw new Error(`${name}: wrong SHA-256 in ${path} for file ${index}`);
    if (document.bytes !== FILE_BYTES) throw new Error(`${name}: expected ${FILE_BYTES} bytes in ${path}, got ${document.bytes}`);
    seen.see(index);
  }
  seen.expectAll();
}

async function sample(side: 'samples' | 'baseline', files: readonly UploadFile[], wrap?: (spec: { command: string; args: string[] }) => { command: string; args: string[] }): Promise<{ filesPerSec: number; app: SamplesProcess }> {
  const spec = wrap === undefined ? commandFor(side) : wrap(commandFor(side));
  const { app } = await startSamples(spec.command, spec.args);
  try {
    const began = performance.now();
    const results = await uploadAll(app, files);
    await resultsExist(app, results);
    const seconds = (performance.now() - began) / 1000;
    await check(side === 'samples' ? SAMPLES : BASELINE, app, files, results);
    return { filesPerSec: files.length / seconds, app };
  } catch (error) {
    await app.stop();
    throw error;
  }
}

function hasStrace(): boolean {
  return process.platform === 'linux' && spawnSync('strace', ['-V'], { encoding: 'utf8' }).status === 0;
}

/** fsync + fdatasync calls of one sample's process tree under `strace -f -c`. */
async function countSyncs(side: 'samples' | 'baseline', files: readonly UploadFile[]): Promise<number> {
  const out = join(repoRoot, 'bench', 'results', `.strace-${runtimeKey()}-${side}.txt`);
  const { app } = await sample(side, files, (spec) => ({ command: 'strace', args: ['-f', '-qq', '-c', '-o', out, '-e', 'trace=fsync,fdatasync', spec.command, ...spec.args] }));
  await app.stop();
  const text = await readFile(out, 'utf8');
  spawnSync('rm', ['-f', out]);
  let calls = 0;
  for (const line of text.split('\n')) {
    const match = /^\s*[\d.]+\s+[\d.]+\s+\d+\s+(\d+)\s+(?:\d+\s+)?(fsync|fdatasync)\s*$/.exec(line);
    if (match !== null) calls += Number(match[1]);
  }
  return calls;
}

/** Rows in every table of the samples' app.db (after the sample), or undefined without node:sqlite. */
async function sqliteRows(dataDir: string): Promise<Record<string, number> | undefined> {
  try {
    const { DatabaseSync } = await import('node:sqlite');
    const database = new DatabaseSync(join(dataDir, 'app.db'), { readOnly: true });
    try {
      const tables = database.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'").all() as { name: string }[];
      const rows: Record<string, number> = {};
      for (const { name } of tables) rows[name] = (database.prepare(`SELECT COUNT(*) AS n FROM "${name}"`).get() as { n: number }).n;
      return rows;
    } finally {
      database.close();
    }
  } catch {
    return undefined;
  }
}

await runSuite(import.meta.url, async ({ quick }) => {
  const count = quick ? 200 : 1_000;
  const rounds = quick ? 3 : 10;
  const warmupRounds = 1;
  checkRounds(rounds, 'upload');
  const files = makeFiles(count);
  const samples = { samples: [] as number[], baseline: [] as number[] };
  for (let round = 0; round < warmupRounds + rounds; round++) {
    const began = performance.now();
    const order = round % 2 === 0 ? (['samples', 'baseline'] as const) : (['baseline', 'samples'] as const);
    for (const side of order) {
      const { filesPerSec, app } = await sample(side, files);
      await app.stop();
      if (round >= warmupRounds) samples[side].push(filesPerSec);
    }
    const kind = round < warmupRounds ? 'warm-up' : 'measured';
    process.stderr.write(`  [upload, ${formatCount(count)} files] round ${round + 1}/${warmupRounds + rounds} (${kind}) ${((performance.now() - began) / 1000).toFixed(1)} s\n`);
  }
  const notes = [
    `${formatCount(count)} files of ${FILE_BYTES / 1024} KiB per sample, ${IN_FLIGHT} uploads in flight, a fresh server process and DATA_DIR per sample; timed from the first POST to the last result file`,
  ];
  // What a file costs in durability and bookkeeping (untimed, one extra sample each).
  const probeFiles = files.slice(0, Math.min(count, 200));
  if (hasStrace()) {
    const samplesSyncs = await countSyncs('samples', probeFiles);
    const baselineSyncs = await countSyncs('baseline', probeFiles);
    notes.push(`fsync+fdatasync calls per file (strace -f -c, ${probeFiles.length} files, startup included): samples ${(samplesSyncs / probeFiles.length).toFixed(2)}, baseline ${(baselineSyncs / probeFiles.length).toFixed(2)}`);
  } else {
    notes.push('fsyncs per file not counted (needs strace on Linux)');
  }
  const { app } = await sample('samples', probeFiles);
  await app.stop({ keepDataDir: true });
  const rows = await sqliteRows(app.dataDir);
  spawnSync('rm', ['-rf', app.dataDir]);
  notes.push(
    rows === undefined
      ? 'SQLite rows per file not counted (no node:sqlite on this runtime)'
      : `SQLite rows per file after ${probeFiles.length} uploads (whole run, startup included): ` +
          Object.entries(rows).map(([table, n]) => `${table} ${(n / probeFiles.length).toFixed(2)}`).join(', '),
  );
  return {
    cases: [
      { name: SAMPLES, opsPerSec: median(samples.samples), samples: samples.samples },
      { name: BASELINE, opsPerSec: median(samples.baseline), samples: samples.baseline },
    ],
    ratios: [atLeastPaired(`samples upload pipeline vs hand-written baseline, ${formatCount(count)} files of 16 KiB, ${IN_FLIGHT} in flight`, pairSamples(samples.samples, samples.baseline), 0.8)],
    notes,
  };
});
