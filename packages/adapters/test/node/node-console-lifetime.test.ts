import process from 'node:process';
import {
  createLoggerFactory,
  HostApplicationLifetime,
  HostLogEvents,
  MemoryLogSink,
  whenAborted,
  type HostLifetimeContext,
} from '@hostkit/core';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { NodeConsoleLifetime, nodeTimeProvider } from '@hostkit/adapters/node';
import { DUPLICATE_SIGNAL_WINDOW_MS } from '../../src/console-host/console-host-lifetime.ts';

const stopSignals = ['SIGINT', 'SIGTERM', 'SIGQUIT'] as const;

/** What a host gives a lifetime, with the log kept in memory. */
function createContext(): HostLifetimeContext & { readonly applicationLifetime: HostApplicationLifetime; readonly log: MemoryLogSink } {
  const log = new MemoryLogSink();
  const logger = createLoggerFactory({ sinks: [log], minimumLevel: 'debug' }).createLogger('hostkit.Lifetime');
  return { applicationLifetime: new HostApplicationLifetime(), logger, log };
}

/** The timers holding the event loop open: the keep-alive handle shows up here, unref'd timers do not. */
function refTimerCount(): number {
  return process.getActiveResourcesInfo().filter((resource) => resource === 'Timeout').length;
}

function listenerCounts(): number[] {
  return stopSignals.map((signal) => process.listenerCount(signal));
}

const neverAborted = new AbortController().signal;

describe('NodeConsoleLifetime', () => {
  const started: NodeConsoleLifetime[] = [];

  async function startLifetime(context: HostLifetimeContext = createContext()): Promise<NodeConsoleLifetime> {
    const lifetime = new NodeConsoleLifetime();
    await lifetime.waitForStart(context, neverAborted);
    started.push(lifetime);
    return lifetime;
  }

  afterEach(async () => {
    // A failed test must not leave listeners behind, or a later signal would find them.
    await Promise.all(started.splice(0).map((lifetime) => lifetime.stop(neverAborted)));
    vi.restoreAllMocks();
    process.exitCode = undefined;
  });

  it('holds exactly one handle on the event loop from waitForStart until stop', async () => {
    const before = refTimerCount();
    const lifetime = await startLifetime();
    expect(lifetime.running).toBe(true);
    expect(refTimerCount()).toBe(before + 1);

    await lifetime.stop(neverAborted);

    expect(lifetime.running).toBe(false);
    expect(refTimerCount()).toBe(before);
  });

  it('installs one listener per stop signal for all running lifetimes, and removes them with the last', async () => {
    const before = listenerCounts();
    const first = await startLifetime();
    const second = await startLifetime();
    expect(listenerCounts()).toEqual(before.map((count) => count + 1));

    await first.stop(neverAborted);
    expect(listenerCounts()).toEqual(before.map((count) => count + 1));

    await second.stop(neverAborted);
    expect(listenerCounts()).toEqual(before);
  });

  it('asks every running application to stop, and logs it, when the process receives SIGTERM', async () => {
    const first = createContext();
    const second = createContext();
    await startLifetime(first);
    await startLifetime(second);

    process.kill(process.pid, 'SIGTERM');
    await Promise.all([whenAborted(first.applicationLifetime.stopping), whenAborted(second.applicationLifetime.stopping)]);

    for (const { log } of [first, second]) {
      const [record] = log.byEvent(HostLogEvents.LifetimeSignalReceived);
      expect(record?.level).toBe('info');
      expect(record?.fields).toEqual({ signal: 'SIGTERM' });
    }
  });

  it.each([
    ['SIGINT', 130],
    ['SIGTERM', 143],
    ['SIGQUIT', 131],
  ] as const)('exits at once with code %s %i when the signal arrives while the application is stopping', async (signal, code) => {
    const exited = Promise.withResolvers<number | string | null | undefined>();
    vi.spyOn(process, 'exit').mockImplementation(((exitCode) => {
      exited.resolve(exitCode);
    }) as typeof process.exit);
    const context = createContext();
    await startLifetime(context);
    context.applicationLifetime.stopApplication();

    process.kill(process.pid, signal);

    expect(await exited.promise).toBe(code);
    const [record] = context.log.byEvent(HostLogEvents.LifetimeForcedExit);
    expect(record?.level).toBe('critical');
    expect(record?.fields).toEqual({ signal, exitCode: code });
  });

  it('ignores the signal that began the stop arriving again within the duplicate window (one Ctrl+C heard directly and through npm)', async () => {
    const exit = vi.spyOn(process, 'exit').mockImplementation((() => undefined) as unknown as typeof process.exit);
    let clock = 1_000;
    vi.spyOn(nodeTimeProvider, 'timestamp').mockImplementation(() => clock);
    const context = createContext();
    await startLifetime(context);

    process.kill(process.pid, 'SIGINT');
    await whenAborted(context.applicationLifetime.stopping);
    clock += DUPLICATE_SIGNAL_WINDOW_MS - 1;
    process.kill(process.pid, 'SIGINT');
    await vi.waitFor(() => expect(context.log.byEvent(HostLogEvents.LifetimeSignalReceived)).toHaveLength(2));

    expect(exit).not.toHaveBeenCalled();
    expect(context.log.byEvent(HostLogEvents.LifetimeSignalReceived).map((record) => record.level)).toEqual(['info', 'debug']);
    expect(context.log.byEvent(HostLogEvents.LifetimeForcedExit)).toEqual([]);
  });

  it.each([
    ['the same signal once the duplicate window is over', 'SIGINT', DUPLICATE_SIGNAL_WINDOW_MS, 130],
    ['another signal at once', 'SIGTERM', 0, 143],
  ] as const)('exits at once when %s arrives while the application is stopping', async (_case, second, afterMs, code) => {
    const exited = Promise.withResolvers<number | string | null | undefined>();
    vi.spyOn(process, 'exit').mockImplementation(((exitCode) => {
      exited.resolve(exitCode);
    }) as typeof process.exit);
    let clock = 1_000;
    vi.spyOn(nodeTimeProvider, 'timestamp').mockImplementation(() => clock);
    const context = createContext();
    await startLifetime(context);

    process.kill(process.pid, 'SIGINT');
    await whenAborted(context.applicationLifetime.stopping);
    clock += afterMs;
    process.kill(process.pid, second);

    expect(await exited.promise).toBe(code);
  });

  it('rejects waitForStart with the reason, holding nothing, when the start was already abandoned', async () => {
    const before = { timers: refTimerCount(), listeners: listenerCounts() };
    const reason = new Error('start abandoned');
    const lifetime = new NodeConsoleLifetime();

    await expect(lifetime.waitForStart(createContext(), AbortSignal.abort(reason))).rejects.toBe(reason);

    expect(lifetime.running).toBe(false);
    expect({ timers: refTimerCount(), listeners: listenerCounts() }).toEqual(before);
  });

  it('rejects a second waitForStart while it runs', async () => {
    const lifetime = await startLifetime();

    await expect(lifetime.waitForStart(createContext(), neverAborted)).rejects.toThrow('already running a host');
  });

  it('can be stopped without having started, and started again once stopped', async () => {
    const lifetime = new NodeConsoleLifetime();
    await lifetime.stop(neverAborted);

    await lifetime.waitForStart(createContext(), neverAborted);
    started.push(lifetime);

    expect(lifetime.running).toBe(true);
  });

  it('sets process.exitCode from the outcome of the run', () => {
    const lifetime = new NodeConsoleLifetime();

    lifetime.complete({ exitCode: 1, error: new Error('failed') });
    expect(process.exitCode).toBe(1);

    lifetime.complete({ exitCode: 0 });
    expect(process.exitCode).toBe(0);
  });
});
