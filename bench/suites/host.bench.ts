/**
 * Host: start and stop a host that runs 10,000 background services, each of which does nothing
 * but wait for its stopping signal. One op is one cycle: `start()`, `stop()`, `dispose()`.
 *
 * Against the least that the same work takes by hand: 10,000 "services" whose async
 * `execute(signal)` is called with a fresh AbortController's signal, then every controller
 * aborted and every execute promise awaited. Both sides run the same execute body, which counts
 * its calls and its returns; every cycle checks that all 10,000 ran and all 10,000 ended, so a
 * side that skipped a service fails the run instead of looking fast.
 *
 * A host starts once, so every cycle needs a freshly built one. Building (10,000
 * `addHostedService` calls and `build()`) is configuration, not the start/stop the target is
 * about, so it is measured as a case of its own, reported but not judged: the build case builds
 * the hosts that the cycle case then starts and stops (see `hosts` below).
 */
import {
  BackgroundService,
  Host,
  createToken,
  type Token,
} from '../../packages/core/src/index.ts';
import {
  type BenchCase,
  judgeOverhead,
  caseNamed,
  formatCount,
  measureInterleaved,
  runSuite,
  speedRatio,
} from '../lib/harness.ts';

const SERVICES = 10_000;

const HOSTKIT = 'hostkit Host start + stop + dispose, 10,000 BackgroundServices';
const HAND = 'hand-written: 10,000 execute(signal) + AbortControllers, abort all, await all';
const BUILD = 'hostkit builder: 10,000 addHostedService + build() (not judged)';

/** Calls of the execute body, and returns from it, over the whole run (both sides). */
const counters = { started: 0, ended: 0 };

/** A promise resolved by an abort listener: the bare way to wait for a signal. */
function untilAborted(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    signal.addEventListener('abort', () => resolve(), { once: true });
  });
}

/** The one execute body of both sides: count the call, wait for the stop, count the return. */
async function executeUntilStopped(stopping: AbortSignal): Promise<void> {
  counters.started++;
  await untilAborted(stopping);
  counters.ended++;
}

class IdleWorker extends BackgroundService {
  protected override execute(stopping: AbortSignal): Promise<void> {
    return executeUntilStopped(stopping);
  }
}

/** One token per service, shared by every host (a token is only an identity). */
const tokens: readonly Token<IdleWorker>[] = Array.from({ length: SERVICES }, (_, i) => createToken<IdleWorker>(`IdleWorker${i}`));

/** A host as a user would build it for this, minus console output: default options, embedded lifetime. */
function buildHost(): Host {
  const builder = Host.createApplicationBuilder();
  builder.logging.clearSinks();
  for (const token of tokens) builder.services.addHostedService(token, () => new IdleWorker());
  return builder.build();
}

/**
 * Hosts built and not yet started. The build case adds `n` per sample, the cycle case takes `n`;
 * every round runs each case once, in either order, so with a stock of `n` built before the first
 * round (untimed) the cycle case always finds its hosts, built outside its own timing.
 */
const hosts: Host[] = [];

function buildHosts(n: number): void {
  for (let i = 0; i < n; i++) hosts.push(buildHost());
}

function expectCounts(name: string, what: string, expected: number, actual: number): void {
  if (actual !== expected) throw new Error(`${name}: expected ${formatCount(expected)} execute calls ${what}, got ${formatCount(actual)}`);
}

async function hostkitCycles(n: number): Promise<void> {
  if (hosts.length < n) throw new Error(`${HOSTKIT}: expected ${n} built hosts, got ${hosts.length}: the build case must keep up`);
  for (const host of hosts.splice(0, n)) {
    const { started, ended } = counters;
    await host.start();
    expectCounts(HOSTKIT, 'started once the host started', SERVICES, counters.started - started);
    expectCounts(HOSTKIT, 'ended before the stop', 0, counters.ended - ended);
    await host.stop();
    expectCounts(HOSTKIT, 'ended once the host stopped', SERVICES, counters.ended - ended);
    await host.dispose();
    if (host.phase !== 'disposed') throw new Error(`${HOSTKIT}: expected the host to be disposed, got ${host.phase}`);
  }
}

/** The hand-written side's "service": an object with an async execute, as a hosted service is. */
class PlainService {
  execute(signal: AbortSignal): Promise<void> {
    return executeUntilStopped(signal);
  }
}

async function handWrittenCycles(n: number): Promise<void> {
  for (let cycle = 0; cycle < n; cycle++) {
    const { started, ended } = counters;
    const controllers: AbortController[] = [];
    const running: Promise<void>[] = [];
    for (let i = 0; i < SERVICES; i++) {
      const controller = new AbortController();
      controllers.push(controller);
      running.push(new PlainService().execute(controller.signal));
    }
    expectCounts(HAND, 'started once all were called', SERVICES, counters.started - started);
    expectCounts(HAND, 'ended before the stop', 0, counters.ended - ended);
    for (const controller of controllers) controller.abort();
    await Promise.all(running);
    expectCounts(HAND, 'ended once all were awaited', SERVICES, counters.ended - ended);
  }
}

await runSuite(import.meta.url, async ({ quick }) => {
  const items = quick ? 1 : 4;
  buildHosts(items);
  const cases: BenchCase[] = [
    { name: HOSTKIT, run: hostkitCycles },
    { name: HAND, run: handWrittenCycles },
    { name: BUILD, run: buildHosts },
  ];
  const results = await measureInterleaved(cases, {
    items,
    rounds: quick ? 5 : 10,
    warmupRounds: 2,
    label: `host, ${items} cycles of ${formatCount(SERVICES)} services`,
  });
  const cycleMs = (name: string): string => (1000 / caseNamed(results, name).opsPerSec).toFixed(1);
  return {
    cases: results,
    ratios: [
      // Time per cycle, hostkit over hand-written: the inverse of the ratio of their cycles/s.
      judgeOverhead(results, `hostkit host cycle time / hand-written time, ${formatCount(SERVICES)} background services`, HOSTKIT, HAND, 3),
    ],
    notes: [
      `${items} cycles per sample; median ms per cycle: hostkit ${cycleMs(HOSTKIT)}, hand-written ${cycleMs(HAND)}`,
      `not judged: building a host (${formatCount(SERVICES)} addHostedService + build()) takes ${cycleMs(BUILD)} ms, ` +
        `${speedRatio(results, HAND, BUILD).toFixed(2)} times a hand-written cycle`,
    ],
  };
});
