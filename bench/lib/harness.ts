/**
 * The benchmark harness shared by every suite in bench/suites.
 *
 * A suite is a script that bench/run.ts starts in its own child process (with GC exposed), once on
 * Node and once on Deno. It calls {@link runSuite} with a body that measures its cases with
 * {@link measureInterleaved} and turns them into ratios with {@link atLeast} / {@link atMost};
 * the harness prints the tables and writes `bench/results/<runtime>/<suite>.json`.
 *
 * Only ratios are judged: the machines this runs on are shared and noisy, so absolute ops/sec are
 * reported for reading, never compared with a fixed number.
 * @module
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import process from 'node:process';
import { fileURLToPath } from 'node:url';

/** One thing to measure. `run(items)` performs `items` operations and settles when they are done. */
export interface BenchCase {
  readonly name: string;
  readonly run: (items: number) => Promise<unknown> | void;
  /** Untimed, before each sample (warm-up and measured): e.g. fill the queue that `run` drains. */
  readonly before?: ((items: number) => Promise<unknown> | void) | undefined;
  /** Untimed, after each sample: e.g. check that every item was seen exactly once and nothing is left. Throw to fail the suite. */
  readonly after?: ((items: number) => Promise<unknown> | void) | undefined;
}

export interface CaseResult {
  readonly name: string;
  /** Median over the measured rounds. */
  readonly opsPerSec: number;
  /** Ops/sec of every measured round, in round order. */
  readonly samples: readonly number[];
}

/** A judged figure: `pass` is `value >= target`, or `value <= target` when the name says "(at most)". */
export interface Ratio {
  readonly name: string;
  readonly value: number;
  readonly target: number;
  readonly pass: boolean;
  /**
   * For a ratio of paired samples ({@link pairedRatio}): the lowest, median and highest per-round
   * ratio and how many rounds there were; `value` is the median.
   */
  readonly spread?: RatioSpread | undefined;
}

/** The per-round spread of a paired ratio, as written to the JSON (rounded like `value`). */
export interface RatioSpread {
  readonly min: number;
  readonly median: number;
  readonly max: number;
  /** Measured rounds, each giving one per-round ratio. */
  readonly rounds: number;
}

/** Measured rounds a full (not `--quick`) run must have for every judged speed ratio. */
export const MIN_FULL_ROUNDS = 10;

/** `--quick` was passed to this process: set by {@link runSuite}, checked by {@link measureInterleaved}. */
let quickMode = process.argv.includes('--quick');

/** The per-round ratios of two cases measured in the same rounds: their median, min and max. */
export interface PairedRatio {
  readonly median: number;
  readonly min: number;
  readonly max: number;
  /** One per measured round, in round order. */
  readonly rounds: readonly number[];
}

/** The JSON written per suite and runtime: exactly these fields, nothing else. */
export interface SuiteReport {
  readonly suite: string;
  readonly runtime: string;
  readonly cases: readonly { readonly name: string; readonly opsPerSec: number }[];
  readonly ratios: readonly Ratio[];
  /**
   * Present only when the suite did not run because something it needs outside the repo is
   * missing (a Redis server): why. `cases` and `ratios` are then empty.
   */
  readonly skipped?: string;
}

export interface SuiteContext {
  readonly suite: string;
  /** `--quick` was passed: fewer items and rounds (CI). */
  readonly quick: boolean;
  /** For example `node 24.21.0` or `deno 2.9.6`. */
  readonly runtime: string;
}

export interface SuiteOutcome {
  readonly cases: readonly CaseResult[];
  readonly ratios: readonly Ratio[];
  /** Extra lines printed under the tables (not written to the JSON). */
  readonly notes?: readonly string[];
  /**
   * Set (with no cases and no ratios) when the suite could not run because something outside the
   * repo is missing, such as a Redis server: why, in one line. The run does not count as a crash;
   * bench/run.ts reports it as skipped (a failure only with `--strict`).
   */
  readonly skipped?: string;
}

export interface MeasureOptions {
  /** Operations per sample: passed to every `run`. */
  readonly items: number;
  /** Measured rounds; each round runs every case once. */
  readonly rounds: number;
  /** Rounds run first and thrown away (JIT warm-up). */
  readonly warmupRounds: number;
  /** Printed in the progress lines. */
  readonly label?: string;
  /**
   * Force a full GC before each sample (untimed). Off by default: the forced collection takes a
   * case's own garbage off its clock (what it left is collected before the next sample instead of
   * during it), which flatters whichever side allocates more. With it off, GC runs on the clock as
   * it does in production, and the rotation of the case order spreads the old-generation garbage
   * one case leaves to the next over all cases alike. Turned on where that carry-over is the only
   * difference between the sides: cancellation (not a speed ratio: Deno's finalization-driven
   * memory) and telemetry's no-SDK pairs (the same code on both sides but two provider lookups).
   * @default false
   */
  readonly collectGarbage?: boolean;
}

const AT_MOST = '(at most)';

interface DenoGlobal {
  readonly version: { readonly deno: string };
}

/** `deno` or `node`: the directory name under bench/results. */
export function runtimeKey(): 'deno' | 'node' {
  return 'Deno' in globalThis ? 'deno' : 'node';
}

/** `deno 2.9.6` or `node 24.21.0`. */
export function runtimeLabel(): string {
  const deno = (globalThis as { Deno?: DenoGlobal }).Deno;
  return deno === undefined ? `node ${process.versions.node}` : `deno ${deno.version.deno}`;
}

function exposedGc(): () => void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (typeof gc !== 'function') {
    throw new Error(
      'gc() is not exposed: run suites through `npm run bench`, or by hand with `node --expose-gc` / ' +
        '`deno run -A --v8-flags=--expose-gc`',
    );
  }
  return gc;
}

const macrotask = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0));

/** One full GC, without yielding: what is only released by a later task is still counted. */
export function collectGarbage(): void {
  exposedGc()();
}

/**
 * Collects garbage until the heap is as small as it will get: several full GCs with a macrotask in
 * between, so that weak references cleared by one GC and finalization callbacks get their turn.
 */
export async function settleHeap(): Promise<void> {
  const gc = exposedGc();
  for (let i = 0; i < 4; i++) {
    gc();
    await macrotask();
  }
}

/** `process.memoryUsage().heapUsed` in MB (works on Deno through its Node compatibility). */
export function heapUsedMb(): number {
  return process.memoryUsage().heapUsed / (1024 * 1024);
}

/**
 * Heap growth, in MB, across `work`: settled heap before, settled heap after. Whatever `work`
 * returns is kept reachable until the second measurement, so that state retained by a long-lived
 * object (a channel, a parent signal) counts as growth instead of being collected with it.
 */
export async function measureHeapGrowth(work: () => Promise<unknown>): Promise<number> {
  await settleHeap();
  const before = heapUsedMb();
  const kept = await work();
  await settleHeap();
  const after = heapUsedMb();
  // A use after the measurement: without it the engine may drop `kept` before the second GC.
  touch(kept);
  return after - before;
}

/** A use of `value` that no engine can prove useless, so `value` stays live up to this call. */
function touch(value: unknown): void {
  if (value === touch) throw new Error('touch() was given itself');
}

export function median(values: readonly number[]): number {
  if (values.length === 0) throw new RangeError('Expected at least one sample, got 0');
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/**
 * Measures `cases` side by side: every round runs each case once, so a burst of load from another
 * process on the machine hits all cases alike instead of one case's whole run. Each round starts
 * one case later than the previous one (A B C, B C A, C A B, ...) so no case always runs right
 * after the same neighbour. Before every sample (untimed) the heap is collected and the event
 * loop turned once, so that no case pays for the garbage of the one before it, and memory that a
 * runtime frees only from a task (Deno's AbortSignal.any frees its dependants from finalization
 * callbacks) does not pile up across synchronous samples. The result per case is the median of
 * its measured rounds.
 */
export async function measureInterleaved(
  cases: readonly BenchCase[],
  options: MeasureOptions,
): Promise<CaseResult[]> {
  const { items, rounds, warmupRounds, collectGarbage = false } = options;
  if (!Number.isInteger(items) || items < 1) {
    throw new RangeError(`Expected items to be an integer >= 1, got ${String(items)} (${typeof items})`);
  }
  if (!Number.isInteger(rounds) || rounds < 1) {
    throw new RangeError(`Expected rounds to be an integer >= 1, got ${String(rounds)} (${typeof rounds})`);
  }
  checkRounds(rounds, options.label ?? 'measureInterleaved');
  const gc = exposedGc();
  const samples: number[][] = cases.map(() => []);
  const total = warmupRounds + rounds;
  const label = options.label ?? 'measure';
  for (let round = 0; round < total; round++) {
    const started = performance.now();
    for (let k = 0; k < cases.length; k++) {
      const index = (round + k) % cases.length;
      const benchCase = cases[index]!;
      // Untimed: a full GC, one turn of the event loop (finalization callbacks and other cleanup
      // that waits for a task run here), and a second GC for what that cleanup let go.
      await benchCase.before?.(items);
      if (collectGarbage) gc();
      await macrotask();
      if (collectGarbage) gc();
      const start = performance.now();
      await benchCase.run(items);
      const elapsedMs = performance.now() - start;
      await benchCase.after?.(items);
      if (round >= warmupRounds) samples[index]!.push(items / (elapsedMs / 1000));
    }
    const kind = round < warmupRounds ? 'warm-up' : 'measured';
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    process.stderr.write(`  [${label}] round ${round + 1}/${total} (${kind}) ${seconds} s\n`);
  }
  return cases.map((benchCase, index) => ({
    name: benchCase.name,
    opsPerSec: median(samples[index]!),
    samples: samples[index]!,
  }));
}

/** Throws when a full run asks for fewer than {@link MIN_FULL_ROUNDS} measured rounds. */
export function checkRounds(rounds: number, label: string): void {
  if (!quickMode && rounds < MIN_FULL_ROUNDS) {
    throw new RangeError(`${label}: expected at least ${MIN_FULL_ROUNDS} measured rounds in a full run, got ${rounds}`);
  }
}

/** The case named `name`; throws when a suite asks for a case it did not measure. */
export function caseNamed(results: readonly CaseResult[], name: string): CaseResult {
  const found = results.find((result) => result.name === name);
  if (found === undefined) {
    throw new RangeError(`Expected a case named ${JSON.stringify(name)}, got ${results.map((r) => r.name).join(', ')}`);
  }
  return found;
}

/** Median ops/sec of case `a` divided by that of case `b`. */
export function speedRatio(results: readonly CaseResult[], a: string, b: string): number {
  return caseNamed(results, a).opsPerSec / caseNamed(results, b).opsPerSec;
}

/**
 * Case `a` over case `b` round by round (both measured in the same rounds by one
 * {@link measureInterleaved}): a burst of load that hits one round hits both samples of the
 * pair, so the spread of the paired ratios says how far one run can be trusted.
 */
export function pairedRatio(results: readonly CaseResult[], a: string, b: string): PairedRatio {
  const x = caseNamed(results, a).samples;
  const y = caseNamed(results, b).samples;
  if (x.length !== y.length || x.length === 0) {
    throw new RangeError(`Expected ${JSON.stringify(a)} and ${JSON.stringify(b)} to have the same number of rounds (>= 1), got ${x.length} and ${y.length}`);
  }
  const rounds = x.map((value, i) => value / y[i]!);
  return { median: median(rounds), min: Math.min(...rounds), max: Math.max(...rounds), rounds };
}

/** Per-round ratios of two sample lists of the same length (a suite that runs its own rounds). */
export function pairSamples(a: readonly number[], b: readonly number[]): PairedRatio {
  if (a.length !== b.length || a.length === 0) {
    throw new RangeError(`Expected two sample lists of the same length (>= 1), got ${a.length} and ${b.length}`);
  }
  const rounds = a.map((value, i) => value / b[i]!);
  return { median: median(rounds), min: Math.min(...rounds), max: Math.max(...rounds), rounds };
}

/** Per-round differences `a[i] - b[i]` (milliseconds added, say), with their median, min and max. */
export function pairDifferences(a: readonly number[], b: readonly number[]): PairedRatio {
  if (a.length !== b.length || a.length === 0) {
    throw new RangeError(`Expected two sample lists of the same length (>= 1), got ${a.length} and ${b.length}`);
  }
  const rounds = a.map((value, i) => value - b[i]!);
  return { median: median(rounds), min: Math.min(...rounds), max: Math.max(...rounds), rounds };
}

function spreadOf(paired: PairedRatio, digits: number): RatioSpread {
  return { min: round(paired.min, digits), median: round(paired.median, digits), max: round(paired.max, digits), rounds: paired.rounds.length };
}

/** A paired ratio judged like {@link atLeast} on its median, with its spread kept. */
export function atLeastPaired(name: string, paired: PairedRatio, target: number, digits = 2): Ratio {
  return { ...atLeast(name, paired.median, target, digits), spread: spreadOf(paired, digits) };
}

/** A paired ratio judged like {@link atMost} on its median (times, overheads), with its spread kept. */
export function atMostPaired(name: string, paired: PairedRatio, target: number, digits = 2): Ratio {
  return { ...atMost(name, paired.median, target, digits), spread: spreadOf(paired, digits) };
}

/** `a` over `b`, paired per round, judged `>= target`: the usual judged speed ratio. */
export function judgeFaster(results: readonly CaseResult[], name: string, a: string, b: string, target: number): Ratio {
  return atLeastPaired(name, pairedRatio(results, a, b), target);
}

/**
 * `slow`'s time per op over `fast`'s, paired per round, judged `<= target`: an overhead
 * ("client time per request over its bare transport"). Computed as fast ops/s over slow ops/s.
 */
export function judgeOverhead(results: readonly CaseResult[], name: string, slow: string, fast: string, target: number): Ratio {
  return atMostPaired(name, pairedRatio(results, fast, slow), target);
}

/**
 * Exactly-once delivery check for items numbered 0..n-1: a bitmap, so that a duplicate cannot
 * hide a loss the way a count or a sum lets it. {@link see} throws at the first duplicate (or an
 * id out of range), {@link expectAll} at the end names the first id never seen.
 */
export class ExactlyOnce {
  readonly #seen: Uint8Array;
  readonly #what: string;
  #count = 0;

  constructor(n: number, what: string) {
    if (!Number.isInteger(n) || n < 0) throw new RangeError(`Expected n to be an integer >= 0, got ${String(n)}`);
    this.#seen = new Uint8Array(n);
    this.#what = what;
  }

  /** Marks `id` seen; throws when it was seen before or is not in 0..n-1. */
  see(id: number): void {
    const seen = this.#seen;
    if (!(id >= 0 && id < seen.length) || !Number.isInteger(id)) {
      throw new RangeError(`${this.#what}: expected an item id in 0..${seen.length - 1}, got ${String(id)}`);
    }
    if (seen[id] === 1) throw new Error(`${this.#what}: item ${id} was delivered twice`);
    seen[id] = 1;
    this.#count++;
  }

  /** Throws unless every id 0..n-1 was seen (exactly once: {@link see} refused the second). */
  expectAll(): void {
    const seen = this.#seen;
    if (this.#count === seen.length) return;
    const missing = seen.indexOf(0);
    throw new Error(`${this.#what}: ${seen.length - this.#count} of ${seen.length} items never delivered, the first is ${missing}`);
  }
}

function round(value: number, digits: number): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

/**
 * A figure that passes when `value >= target` (speed ratios). The value is rounded first and pass
 * is judged on the rounded value, so the JSON never shows `2` next to `"pass": false`.
 */
export function atLeast(name: string, value: number, target: number, digits = 2): Ratio {
  if (name.includes(AT_MOST)) throw new RangeError(`Expected an "at least" name, got ${JSON.stringify(name)}`);
  const rounded = round(value, digits);
  return { name, value: rounded, target, pass: rounded >= target };
}

/** A figure that passes when `value <= target` (heap growth, counts); the name is made to say "(at most)". */
export function atMost(name: string, value: number, target: number, digits = 2): Ratio {
  const rounded = round(value, digits);
  const fullName = name.includes(AT_MOST) ? name : `${name} ${AT_MOST}`;
  return { name: fullName, value: rounded, target, pass: rounded <= target };
}

export function isAtMost(ratio: Pick<Ratio, 'name'>): boolean {
  return ratio.name.includes(AT_MOST);
}

/** `1,000,000`: item counts in ratio names. */
export function formatCount(n: number): string {
  return n.toLocaleString('en-US');
}

export function formatOps(opsPerSec: number): string {
  if (opsPerSec >= 1e6) return `${(opsPerSec / 1e6).toFixed(2)} M/s`;
  if (opsPerSec >= 1e3) return `${(opsPerSec / 1e3).toFixed(1)} k/s`;
  return `${opsPerSec.toFixed(1)} /s`;
}

export function formatTarget(ratio: Pick<Ratio, 'name' | 'target'>): string {
  return `${isAtMost(ratio) ? '<=' : '>='} ${ratio.target}`;
}

/** A plain-text table: the first column left-aligned, the others right-aligned. */
export function formatTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((header, column) =>
    Math.max(header.length, ...rows.map((row) => (row[column] ?? '').length)),
  );
  const line = (cells: readonly string[]): string =>
    cells
      .map((cell, column) => (column === 0 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!)))
      .join('  ')
      .trimEnd();
  return [line(headers), widths.map((width) => '-'.repeat(width)).join('  '), ...rows.map(line)].join('\n');
}

function resultsPath(suite: string): URL {
  return new URL(`../results/${runtimeKey()}/${suite}.json`, import.meta.url);
}

function suiteName(moduleUrl: string): string {
  const file = fileURLToPath(moduleUrl).split(/[\\/]/).pop() ?? '';
  if (!file.endsWith('.bench.ts')) {
    throw new RangeError(`Expected a suite file named <suite>.bench.ts, got ${JSON.stringify(file)}`);
  }
  return file.slice(0, -'.bench.ts'.length);
}

function writeReport(suite: string, report: SuiteReport): void {
  const path = resultsPath(suite);
  mkdirSync(new URL('.', path), { recursive: true });
  writeFileSync(path, `${JSON.stringify(report, null, 2)}\n`);
  console.log(`\nwrote ${fileURLToPath(path)}`);
}

/**
 * Runs one suite: `body` measures, the harness prints the cases and ratios and writes the JSON.
 * Any error (a case that throws, a wrong checksum) is printed and sets a non-zero exit code; no
 * JSON is written then, so bench/run.ts cannot mistake a crashed suite for a finished one.
 *
 * @param moduleUrl the suite's `import.meta.url`; the suite's name is its file name.
 */
export async function runSuite(moduleUrl: string, body: (context: SuiteContext) => Promise<SuiteOutcome>): Promise<void> {
  const suite = suiteName(moduleUrl);
  const context: SuiteContext = { suite, quick: process.argv.includes('--quick'), runtime: runtimeLabel() };
  quickMode = context.quick;
  try {
    exposedGc();
    console.log(`\n## ${suite} on ${context.runtime}${context.quick ? ' (quick)' : ''}\n`);
    const outcome = await body(context);
    if (outcome.skipped !== undefined && (outcome.cases.length > 0 || outcome.ratios.length > 0)) {
      throw new RangeError(`Expected a skipped suite to have no cases and no ratios: ${outcome.skipped}`);
    }
    const report: SuiteReport = {
      suite,
      runtime: context.runtime,
      cases: outcome.cases.map(({ name, opsPerSec }) => ({ name, opsPerSec: Math.round(opsPerSec) })),
      ratios: outcome.ratios,
      ...(outcome.skipped === undefined ? {} : { skipped: outcome.skipped }),
    };
    if (outcome.skipped !== undefined) {
      console.log(`SKIPPED ${suite} on ${context.runtime}: ${outcome.skipped}`);
      writeReport(suite, report);
      return;
    }
    console.log(
      formatTable(
        ['case', 'median', 'min', 'max', 'rounds'],
        outcome.cases.map((result) => [
          result.name,
          formatOps(result.opsPerSec),
          formatOps(Math.min(...result.samples)),
          formatOps(Math.max(...result.samples)),
          String(result.samples.length),
        ]),
      ),
    );
    console.log('');
    console.log(
      formatTable(
        ['ratio', 'median', 'min', 'max', 'rounds', 'target', 'result'],
        outcome.ratios.map((ratio) => [
          ratio.name,
          String(ratio.value),
          ratio.spread === undefined ? '' : String(ratio.spread.min),
          ratio.spread === undefined ? '' : String(ratio.spread.max),
          ratio.spread === undefined ? '' : String(ratio.spread.rounds),
          formatTarget(ratio),
          ratio.pass ? 'PASS' : 'MISS',
        ]),
      ),
    );
    for (const note of outcome.notes ?? []) console.log(`note: ${note}`);
    writeReport(suite, report);
  } catch (error) {
    console.error(`\n${suite} on ${context.runtime} FAILED:`);
    console.error(error);
    process.exitCode = 1;
  }
}
