/**
 * File processing: small files dropped into an inbox until every result exists (10,000 files in
 * full mode, 300 in quick mode), in files per second, and the peak RSS meanwhile.
 *
 * The cases process the same files with the same processing code: `processInputFile` from the
 * samples (open, stream through the ResultProcessor's figures and SHA-256, write the result
 * atomically, remove the input), over the samples' `FileStore`, with fsync off in both: fsync
 * (the samples' default) costs both cases the same per file and would only hide the difference. What differs is what
 * carries each file from the watcher to that code:
 * - hostkit sample pipeline: the samples' own `addFileProcessing` on a Host: the chokidar adapter
 *   (stability threshold 0: the producer renames complete files in, so there is nothing to wait
 *   for), core's bounded no-loss feeder (maxPending 1,000: with 10,000 files it overflows and
 *   rescans, which is part of what bounded memory costs), a bounded channel of 100, and the
 *   FileProcessingService with a DI scope and a scoped ResultProcessor per file. The activity log
 *   is a no-op: SQLite rows are the application's, not the pipeline's.
 * - hand-written baseline: chokidar 6 straight to the same code: `watch(inbox)`, every `add`
 *   pushed onto an array, one async loop taking them in order. No host, no DI, no channel, an
 *   unbounded queue: what a Node developer writes without hostkit.
 *
 * One sample: a fresh DATA_DIR; the pipeline started and watching an empty inbox; N files written
 * beforehand (untimed) to a directory beside it. Timed: renaming the N files into the inbox (the
 * atomic-producer idiom) until the N-th result exists. Then (untimed) every result's SHA-256 is
 * checked against its input and the directory is removed, so a case that lost or skipped a file
 * fails the run. Rounds interleave the cases as `measureInterleaved` does (GC and a turn of the
 * event loop before each sample); it is not used itself because it times the whole case, and
 * setting up 10,000 files would then drown what is measured.
 *
 * Peak RSS is measured apart, in a fresh child process per case (this suite, run again with
 * `--rss-probe=<case>`): one sample, RSS read every 20 ms while the files are processed. In the
 * measuring process itself the figure would be meaningless: RSS rarely shrinks, so each case would
 * carry what the rounds before it (and the result checks) left. The child's RSS includes the
 * runtime and the loaded modules (about 100 MB on Node, most of it before the first file).
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, mkdtemp, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import process from 'node:process';
import { fileURLToPath } from 'node:url';
import { createHash } from 'node:crypto';
import { watch } from 'chokidar';
import { Host, isTemporaryFileName, systemTimeProvider } from '@hostkit/core';
import { ActivityLogToken } from '../../packages/samples/src/database/activity-log.ts';
import type { AppConfig } from '../../packages/samples/src/config/app-config.ts';
import { defaultConfig } from '../../packages/samples/src/config/load-config.ts';
import { addFileProcessing, FileStore, processInputFile, ResultProcessor } from '../../packages/samples/src/file-processing/index.ts';
import { type CaseResult, MIN_FULL_ROUNDS, atLeastPaired, atMost, formatCount, median, pairSamples, runSuite, runtimeKey } from '../lib/harness.ts';

const HOSTKIT = 'hostkit sample pipeline (chokidar adapter, feeder, channel, scoped processor)';
const BASELINE = 'hand-written: chokidar add -> array -> same processing code';

const gc = (): void => (globalThis as { gc?: () => void }).gc?.();
const macrotask = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0));
const rssMb = (): number => process.memoryUsage().rss / (1024 * 1024);

/** One pipeline under test: started on an empty inbox, then told how many files to expect. */
interface Pipeline {
  /** Resolves when `count` files have been processed. */
  processed(count: number): Promise<void>;
  stop(): Promise<void>;
}

type StartPipeline = (dataDir: string) => Promise<Pipeline>;

/** Resolves when `read()` reaches `count`, polling every 5 ms. */
function whenCount(read: () => number, count: number): Promise<void> {
  return new Promise((resolve) => {
    const check = (): void => {
      if (read() >= count) resolve();
      else setTimeout(check, 5);
    };
    check();
  });
}

function config(dataDir: string): AppConfig {
  return { ...defaultConfig(dataDir), logFormat: 'json', port: 0 };
}

const startHostkit: StartPipeline = async (dataDir) => {
  const builder = Host.createApplicationBuilder({ timeProvider: systemTimeProvider });
  builder.logging.clearSinks();
  builder.services.addInstance(ActivityLogToken, { write: () => undefined });
  const feature = addFileProcessing(builder, config(dataDir), { activity: ActivityLogToken, options: { stabilityThresholdMs: 0, syncWrites: false } });
  const host = builder.build();
  await host.start();
  // Watching: the start-up service prepared the store; the watcher is ready once the feeder has started it.
  await whenCount(() => (feature.status?.()['recovery'] === null ? 0 : 1), 1);
  await macrotask();
  return {
    processed: (count) => whenCount(() => Number(feature.status?.()['processed']), count),
    stop: async () => {
      await host.stop();
      await host.dispose();
    },
  };
};

const startBaseline: StartPipeline = async (dataDir) => {
  const store = new FileStore({ dataDir, sync: false });
  await store.prepare();
  const processor = new ResultProcessor({ timeProvider: systemTimeProvider });
  const stopping = new AbortController();
  const queue: string[] = [];
  let head = 0;
  let processed = 0;
  let wake: (() => void) | undefined;
  const watcher = watch(store.inbox, {
    depth: 0,
    ignoreInitial: false,
    ignored: (path: string) => path !== store.inbox && isTemporaryFileName(basename(path)),
  });
  watcher.on('add', (path: string) => {
    queue.push(path);
    wake?.();
  });
  await once(watcher, 'ready');
  const loop = (async () => {
    while (!stopping.signal.aborted) {
      if (head === queue.length) {
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
        wake = undefined;
        continue;
      }
      const path = queue[head]!;
      head++;
      const outcome = await processInputFile(path, processor, store, { signal: stopping.signal, now: Date.now(), attempt: 1 });
      if (outcome.kind === 'processed') processed++;
    }
  })();
  return {
    processed: (count) => whenCount(() => processed, count),
    stop: async () => {
      stopping.abort();
      wake?.();
      await loop;
      await watcher.close();
    },
  };
};

/** N small files with distinct content, written (untimed) to `directory`; returns name -> SHA-256. */
async function writeFiles(directory: string, count: number): Promise<Map<string, string>> {
  await mkdir(directory, { recursive: true });
  const expected = new Map<string, string>();
  const batch: Promise<void>[] = [];
  for (let i = 0; i < count; i++) {
    const name = `file-${String(i).padStart(5, '0')}.txt`;
    const content = `file ${i}\nthe quick brown fox jumps over the lazy dog ${i * 7919}\n`;
    expected.set(name, createHash('sha256').update(content).digest('hex'));
    batch.push(writeFile(join(directory, name), content));
    if (batch.length === 64) await Promise.all(batch.splice(0));
  }
  await Promise.all(batch);
  return expected;
}

/** Every input has its one result with the right hash, and nothing is left in the inbox. */
async function check(name: string, dataDir: string, expected: Map<string, string>): Promise<void> {
  const outbox = join(dataDir, 'outbox');
  const results = (await readdir(outbox)).filter((file) => file.endsWith('.result.json'));
  if (results.length !== expected.size) throw new Error(`${name}: expected ${expected.size} results, got ${results.length}`);
  // Exactly once per input: a duplicate result could otherwise stand in for a lost one.
  const seen = new Set<string>();
  for (const file of results) {
    const result = JSON.parse(await readFile(join(outbox, file), 'utf8')) as { input: string; sha256: string };
    if (expected.get(result.input) !== result.sha256) throw new Error(`${name}: wrong or unexpected result ${file}`);
    if (seen.has(result.input)) throw new Error(`${name}: two results for ${result.input}`);
    seen.add(result.input);
  }
  const left = await readdir(join(dataDir, 'inbox'));
  if (left.length > 0) throw new Error(`${name}: ${left.length} files left in the inbox`);
}

/** One timed sample: returns files per second and the peak RSS (MB) seen meanwhile. */
async function sample(name: string, start: StartPipeline, files: number): Promise<{ filesPerSec: number; peakRssMb: number }> {
  const dataDir = await mkdtemp(join(tmpdir(), 'hostkit-bench-files-'));
  try {
    const producer = join(dataDir, 'producer');
    const expected = await writeFiles(producer, files);
    const pipeline = await start(dataDir);
    gc();
    await macrotask();
    gc();
    let peak = rssMb();
    const sampler = setInterval(() => {
      peak = Math.max(peak, rssMb());
    }, 20);
    const inbox = join(dataDir, 'inbox');
    const began = performance.now();
    for (const file of expected.keys()) await rename(join(producer, file), join(inbox, file));
    await pipeline.processed(files);
    const seconds = (performance.now() - began) / 1000;
    clearInterval(sampler);
    peak = Math.max(peak, rssMb());
    await pipeline.stop();
    await check(name, dataDir, expected);
    return { filesPerSec: files / seconds, peakRssMb: peak };
  } finally {
    await rm(dataDir, { recursive: true, force: true, maxRetries: 3 });
  }
}

const PROBE_FLAG = '--rss-probe=';
const probe = process.argv.find((arg) => arg.startsWith(PROBE_FLAG))?.slice(PROBE_FLAG.length);
const quickMode = process.argv.includes('--quick');
const CASES: Record<string, { readonly name: string; readonly start: StartPipeline }> = {
  hostkit: { name: HOSTKIT, start: startHostkit },
  baseline: { name: BASELINE, start: startBaseline },
};

/**
 * Peak RSS of one case in a fresh process: runs this file again with `--rss-probe=<key>`, the same
 * runtime and flags, and reads the figure it prints.
 */
async function probeRss(key: string, files: number): Promise<number> {
  const file = fileURLToPath(import.meta.url);
  const flags = [`${PROBE_FLAG}${key}`, ...(quickMode ? ['--quick'] : [])];
  const args =
    runtimeKey() === 'deno'
      ? ['run', '-A', '--v8-flags=--expose-gc', '--conditions=@hostkit/source', file, ...flags]
      : ['--expose-gc', '--conditions=@hostkit/source', file, ...flags];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  let output = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => {
    output += chunk;
  });
  const [code] = (await once(child, 'close')) as [number | null];
  const match = /RSS_PROBE (\{.*\})/.exec(output);
  if (code !== 0 || match === null) throw new Error(`The RSS probe of ${key} failed (exit ${code}): ${output}`);
  const result = JSON.parse(match[1]!) as { files: number; peakRssMb: number };
  if (result.files !== files) throw new Error(`The RSS probe of ${key} processed ${result.files} files, expected ${files}`);
  return result.peakRssMb;
}

if (probe !== undefined) {
  // A child started by probeRss: one sample of one case, the figure on stdout, no results file.
  const benchCase = CASES[probe];
  if (benchCase === undefined) throw new RangeError(`Expected --rss-probe=hostkit|baseline, got ${JSON.stringify(probe)}`);
  const files = quickMode ? 300 : 10_000;
  const result = await sample(benchCase.name, benchCase.start, files);
  console.log(`RSS_PROBE ${JSON.stringify({ files, peakRssMb: result.peakRssMb })}`);
} else {
  await runSuite(import.meta.url, async ({ quick }) => {
    const files = quick ? 300 : 10_000;
    const warmupRounds = 1;
    const rounds = quick ? 4 : MIN_FULL_ROUNDS;
    const cases = [CASES['hostkit']!, CASES['baseline']!].map((benchCase) => ({ ...benchCase, samples: [] as number[] }));
    for (let round = 0; round < warmupRounds + rounds; round++) {
      const began = performance.now();
      for (let k = 0; k < cases.length; k++) {
        const benchCase = cases[(round + k) % cases.length]!;
        const result = await sample(benchCase.name, benchCase.start, files);
        if (round >= warmupRounds) benchCase.samples.push(result.filesPerSec);
      }
      const kind = round < warmupRounds ? 'warm-up' : 'measured';
      const seconds = ((performance.now() - began) / 1000).toFixed(1);
      process.stderr.write(`  [file processing, ${formatCount(files)} files] round ${round + 1}/${warmupRounds + rounds} (${kind}) ${seconds} s\n`);
    }
    const hostkitRss = await probeRss('hostkit', files);
    const baselineRss = await probeRss('baseline', files);
    const results: CaseResult[] = cases.map(({ name, samples }) => ({ name, opsPerSec: median(samples), samples }));
    const [hostkit, baseline] = cases as [(typeof cases)[0], (typeof cases)[0]];
    return {
      cases: results,
      ratios: [
        atLeastPaired(`hostkit sample pipeline vs hand-written chokidar loop, ${formatCount(files)} files`, pairSamples(hostkit.samples, baseline.samples), 0.8),
        atMost(`peak RSS of a process running the hostkit pipeline, ${formatCount(files)} files, MB`, hostkitRss, 200, 0),
      ],
      notes: [
        'files per second from the first rename into the inbox to the last result; results written atomically, without fsync in both cases (fsync costs both the same and hides the pipeline)',
        `peak RSS of a process running the hand-written baseline: ${baselineRss.toFixed(0)} MB (both include the runtime and loaded modules)`,
      ],
    };
  });
}
