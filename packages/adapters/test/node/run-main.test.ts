import process from 'node:process';
import {
  ConsoleLogSink,
  EmbeddedHostLifetime,
  Host,
  MemoryLogSink,
  systemTimeProvider,
  type HostApplicationBuilder,
  type HostedService,
} from '@hostkit/core';
import { ManualTimeProvider } from '@hostkit/core/testing';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createNodeHostBuilder, NodeConsoleLifetime, nodeTimeProvider, runMain } from '@hostkit/adapters/node';

/** A hosted service that says when it has started, and fails to start if asked to. */
class Probe implements HostedService {
  readonly started: PromiseWithResolvers<void> = Promise.withResolvers<void>();
  readonly #failure: Error | undefined;

  constructor(failure?: Error) {
    this.#failure = failure;
  }

  start(): Promise<void> {
    if (this.#failure !== undefined) return Promise.reject(this.#failure);
    this.started.resolve();
    return Promise.resolve();
  }

  stop(): Promise<void> {
    return Promise.resolve();
  }
}

/** A core builder that logs to memory, with one probe service. */
function createBuilder(probe = new Probe()): { builder: HostApplicationBuilder; log: MemoryLogSink; probe: Probe } {
  const log = new MemoryLogSink();
  const builder = Host.createApplicationBuilder();
  builder.logging.clearSinks().addSink(log);
  builder.services.addHostedService(Probe, () => probe);
  return { builder, log, probe };
}

describe('runMain (Node)', () => {
  afterEach(() => {
    vi.restoreAllMocks();
    // runMain sets it; the test runner's own exit code must not inherit it.
    process.exitCode = undefined;
  });

  it('gives a core builder the Node console lifetime and clock, runs the host, and resolves 0 once stopped', async () => {
    const { builder, probe } = createBuilder();
    const stop = new AbortController();

    const run = runMain(builder, { signal: stop.signal, exitProcess: false });
    await probe.started.promise;
    stop.abort();

    expect(await run).toBe(0);
    expect(process.exitCode).toBe(0);
    expect(builder.lifetime).toBeInstanceOf(NodeConsoleLifetime);
    expect(builder.timeProvider).toBe(nodeTimeProvider);
  });

  it('keeps the lifetime, clock and sinks the application chose', async () => {
    const { builder, log } = createBuilder();
    const lifetime = new EmbeddedHostLifetime();
    const time = new ManualTimeProvider();
    // An EmbeddedHostLifetime counts as the runtime-free default and is replaced; a lifetime of another kind is kept.
    const own = { waitForStart: lifetime.waitForStart.bind(lifetime), stop: lifetime.stop.bind(lifetime) };
    builder.lifetime = own;
    builder.timeProvider = time;

    expect(await runMain(builder, { signal: AbortSignal.abort(), logFormat: 'text', exitProcess: false })).toBe(0);

    expect(builder.lifetime).toBe(own);
    expect(builder.timeProvider).toBe(time);
    expect(builder.logging.sinks).toEqual([log]);
  });

  it('replaces only the default JSON console sink with the chosen format', async () => {
    const builder = Host.createApplicationBuilder();

    expect(await runMain(builder, { signal: AbortSignal.abort(), logFormat: 'text', exitProcess: false })).toBe(0);

    const [sink] = builder.logging.sinks;
    expect(builder.logging.sinks).toHaveLength(1);
    expect(sink).toBeInstanceOf(ConsoleLogSink);
    expect((sink as ConsoleLogSink).format).toBe('text');
  });

  it('runs a host built by createNodeHostBuilder', async () => {
    const probe = new Probe();
    const builder = createNodeHostBuilder({ logFormat: 'json' });
    builder.logging.clearSinks();
    builder.services.addHostedService(Probe, () => probe);
    const host = builder.build();
    const stop = new AbortController();

    const run = runMain(host, { signal: stop.signal, exitProcess: false });
    await probe.started.promise;
    stop.abort();

    expect(await run).toBe(0);
    expect(host.phase).toBe('disposed');
  });

  it('resolves 1 and logs one last critical record naming the error, which the host logged with its stack, when the run fails', async () => {
    const failure = new Error('cannot open the inbox');
    const { builder, log } = createBuilder(new Probe(failure));

    expect(await runMain(builder, { exitProcess: false })).toBe(1);

    expect(process.exitCode).toBe(1);
    const last = log.records.at(-1);
    expect(last).toMatchObject({
      level: 'critical',
      message: 'The host run failed (Error: cannot open the inbox); exit code 1 (exitProcess is false: ending the process is left to the caller)',
      fields: { exitCode: 1 },
    });
    expect(last).not.toHaveProperty('error');
    expect(log.records.filter((record) => record.error === failure)).toHaveLength(1);
  });

  it('attaches the Node console lifetime around the run of a host built by a plain core builder', async () => {
    const { builder, probe } = createBuilder();
    const host = builder.build();
    const listeners = process.listenerCount('SIGTERM');
    const stop = new AbortController();

    const run = runMain(host, { signal: stop.signal, exitProcess: false });
    await probe.started.promise;
    const listenersWhileRunning = process.listenerCount('SIGTERM');
    stop.abort();

    expect(await run).toBe(0);
    expect(listenersWhileRunning).toBe(listeners + 1);
    expect(process.listenerCount('SIGTERM')).toBe(listeners);
  });

  it('rejects with a TypeError when exitProcess is not a boolean', async () => {
    const { builder } = createBuilder();

    await expect(runMain(builder, { exitProcess: 'no' as unknown as boolean })).rejects.toThrow(
      new TypeError('Expected exitProcess to be a boolean, got "no" (string)'),
    );
  });

  it('resolves 1 and writes the reason on standard error when the builder cannot build', async () => {
    const written: unknown[] = [];
    vi.spyOn(console, 'error').mockImplementation((...data: unknown[]) => {
      written.push(...data);
    });
    const { builder } = createBuilder();
    builder.options.shutdownTimeout = -1;

    expect(await runMain(builder, { logFormat: 'text', exitProcess: false })).toBe(1);

    expect(process.exitCode).toBe(1);
    expect(written).toHaveLength(1);
    expect(written[0]).toMatch(/^\S+ CRITICAL hostkit\.Host The host could not be built; exit code 1 \(exitProcess is false: ending the process is left to the caller\)\n/u);
    expect(written[0]).toContain('RangeError: Expected shutdownTimeout to be a finite number of milliseconds >= 0, got -1 (number)');
  });

  it('rejects with a TypeError when given neither a host nor a builder', async () => {
    await expect(runMain({} as Host)).rejects.toThrow(new TypeError('Expected a Host or a HostApplicationBuilder, got {} (object)'));
  });

  it('rejects with a RangeError when logFormat is not one of its values', async () => {
    const { builder } = createBuilder();

    await expect(runMain(builder, { logFormat: 'yaml' as 'json' })).rejects.toThrow(
      new RangeError(`Expected logFormat to be 'auto', 'text' or 'json', got "yaml" (string)`),
    );
  });
});

describe('createNodeHostBuilder', () => {
  it('starts a builder with the Node console lifetime, the Node clock and one console sink in the chosen format', () => {
    const builder = createNodeHostBuilder({ logFormat: 'text' });

    expect(builder.lifetime).toBeInstanceOf(NodeConsoleLifetime);
    expect(builder.timeProvider).toBe(nodeTimeProvider);
    expect(builder.logging.sinks).toHaveLength(1);
    expect((builder.logging.sinks[0] as ConsoleLogSink).format).toBe('text');
  });

  it('writes JSON lines when standard output is not a terminal and the format is auto', () => {
    const isTTY = Object.getOwnPropertyDescriptor(process.stdout, 'isTTY');
    Object.defineProperty(process.stdout, 'isTTY', { value: false, configurable: true });
    try {
      expect((createNodeHostBuilder().logging.sinks[0] as ConsoleLogSink).format).toBe('json');
      Object.defineProperty(process.stdout, 'isTTY', { value: true, configurable: true });
      expect((createNodeHostBuilder().logging.sinks[0] as ConsoleLogSink).format).toBe('text');
    } finally {
      if (isTTY === undefined) delete (process.stdout as { isTTY?: boolean }).isTTY;
      else Object.defineProperty(process.stdout, 'isTTY', isTTY);
    }
  });

  it('keeps a lifetime and clock given in the options', () => {
    const lifetime = new EmbeddedHostLifetime();

    const builder = createNodeHostBuilder({ lifetime, timeProvider: systemTimeProvider });

    expect(builder.lifetime).toBe(lifetime);
    expect(builder.timeProvider).toBe(systemTimeProvider);
  });
});
