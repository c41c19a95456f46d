import { describe, expect, it } from 'vitest';
import { createToken, ObjectDisposedError } from '../../src/dependency-injection/index.ts';
import { HostLogEvents, HostShutdownTimeoutError, type HostedService } from '../../src/hosting/index.ts';
import { addPlain, addRecording, buildHost, createHarness, track } from './hosting-test-helpers.ts';

describe('Host.run', () => {
  it('starts, waits for stopApplication(), stops, disposes the container and reports exit code 0', async () => {
    const harness = createHarness();
    const Resource = createToken<Disposable>('Resource');
    harness.builder.services.addSingleton(Resource, () => ({ [Symbol.dispose]: () => harness.calls.push('container.dispose') }));
    addPlain(harness, 'A');
    const host = buildHost(harness);
    host.services.get(Resource);

    const running = track(host.run());
    await harness.time.advance(60_000);
    expect(running.state).toBe('pending');
    expect(host.phase).toBe('started');
    host.applicationLifetime.stopApplication();
    await harness.time.flush();

    expect(running.state).toBe('fulfilled');
    expect(host.phase).toBe('disposed');
    expect(harness.calls).toEqual([
      'hostLifetime.waitForStart',
      'A.start',
      'lifetime.started',
      'lifetime.stopping',
      'A.stop',
      'lifetime.stopped',
      'hostLifetime.stop',
      'container.dispose',
      'hostLifetime.complete(0)',
    ]);
  });

  it('rejects with a start failure, after stopping what had started, and reports exit code 1', async () => {
    const harness = createHarness();
    const failure = new Error('B cannot start');
    addPlain(harness, 'A');
    addPlain(harness, 'B', { start: failure });
    const host = buildHost(harness);

    await expect(host.run()).rejects.toBe(failure);

    expect(harness.calls).toContain('A.stop');
    expect(harness.lifetime.outcome).toEqual({ exitCode: 1, error: failure });
    expect(host.phase).toBe('disposed');
  });

  it('rejects with a start failure and the stop failure that followed it', async () => {
    const harness = createHarness();
    const startFailure = new Error('B cannot start');
    const stopFailure = new Error('A cannot stop');
    addPlain(harness, 'A', { stop: stopFailure });
    addPlain(harness, 'B', { start: startFailure });
    const host = buildHost(harness);

    const error: unknown = await host.run().catch((caught: unknown) => caught);

    expect((error as AggregateError).errors).toEqual([startFailure, stopFailure]);
  });

  it('logs a failure to resolve the hosted services once, with its error, when the start cannot resolve them', async () => {
    const harness = createHarness();
    // A registration the type system would refuse, as JavaScript callers can make it: no stop method.
    const NotAService = createToken<HostedService>('NotAService');
    harness.builder.services.addHostedService(NotAService, () => ({ start: () => Promise.resolve() }) as unknown as HostedService);
    const host = buildHost(harness);

    const error: unknown = await host.run().catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(TypeError);
    expect(harness.sink.records.filter((record) => record.error !== undefined)).toMatchObject([
      { event: HostLogEvents.HostStartFaulted, level: 'error', error },
    ]);
    expect(harness.lifetime.outcome?.exitCode).toBe(1);
  });

  it('logs a host lifetime that fails to start once, with its error', async () => {
    const harness = createHarness();
    const failure = new Error('no supervisor');
    harness.lifetime.waitForStartBehaviour = failure;
    addPlain(harness, 'A');
    const host = buildHost(harness);

    await expect(host.run()).rejects.toBe(failure);

    expect(harness.sink.byEvent(HostLogEvents.HostStartFaulted)).toMatchObject([{ level: 'error', error: failure }]);
    expect(harness.calls).not.toContain('A.start');
  });

  it('logs a failure to dispose the container once, with its error, when run() rejects with it', async () => {
    const harness = createHarness();
    const failure = new Error('pool will not close');
    const Resource = createToken<AsyncDisposable>('Resource');
    harness.builder.services.addSingleton(Resource, () => ({ [Symbol.asyncDispose]: () => Promise.reject(failure) }));
    const host = buildHost(harness);
    host.services.get(Resource);
    host.applicationLifetime.stopApplication();

    const error: unknown = await host.run().catch((caught: unknown) => caught);

    expect(error === failure || (error instanceof AggregateError && error.errors.includes(failure))).toBe(true);
    expect(harness.sink.byEvent(HostLogEvents.ServicesDisposeFaulted)).toMatchObject([{ level: 'error', error }]);
  });

  it('rejects with HostShutdownTimeoutError naming the hung service, exit code 1', async () => {
    const harness = createHarness({ shutdownTimeout: 1_000 });
    addPlain(harness, 'Hung', { stop: 'hang' });
    const host = buildHost(harness);

    const running = track(host.run());
    await harness.time.flush();
    host.applicationLifetime.stopApplication();
    await harness.time.advance(1_000);

    expect(running.error).toBeInstanceOf(HostShutdownTimeoutError);
    expect((running.error as HostShutdownTimeoutError).abandoned).toEqual(['Hung']);
    expect(harness.lifetime.outcome?.exitCode).toBe(1);
  });

  it('stops cleanly when its signal aborts', async () => {
    const harness = createHarness();
    addPlain(harness, 'A');
    const host = buildHost(harness);
    const controller = new AbortController();

    const running = track(host.run(controller.signal));
    await harness.time.flush();
    controller.abort();
    await harness.time.flush();

    expect(running.state).toBe('fulfilled');
    expect(harness.lifetime.outcome).toEqual({ exitCode: 0 });
  });

  it('stops at once, cleanly, when its signal has already aborted', async () => {
    const harness = createHarness();
    addPlain(harness, 'A');
    const host = buildHost(harness);
    const controller = new AbortController();
    controller.abort();

    await host.run(controller.signal);

    expect(harness.calls).not.toContain('A.start');
    expect(harness.lifetime.outcome).toEqual({ exitCode: 0 });
  });

  it('treats stopApplication() during start as a clean, short run', async () => {
    const harness = createHarness();
    addPlain(harness, 'A');
    addPlain(harness, 'Slow', { start: 'honour' });
    addPlain(harness, 'C');
    const host = buildHost(harness);

    const running = track(host.run());
    await harness.time.flush();
    host.applicationLifetime.stopApplication();
    await harness.time.flush();

    expect(running.state).toBe('fulfilled');
    expect(harness.calls).not.toContain('C.start');
    expect(harness.calls).toContain('A.stop');
    expect(harness.lifetime.outcome).toEqual({ exitCode: 0 });
  });

  it('ends after the shutdown budget when a start ignores stopApplication(), naming the stuck start', async () => {
    const harness = createHarness({ shutdownTimeout: 2_000 });
    addPlain(harness, 'Stuck', { start: 'hang' });
    const host = buildHost(harness);

    const running = track(host.run());
    await harness.time.flush();
    host.applicationLifetime.stopApplication();
    await harness.time.advance(2_000);

    expect(running.state).toBe('rejected');
    expect((running.error as HostShutdownTimeoutError).abandoned).toEqual(['Stuck (start)']);
    expect(harness.lifetime.outcome?.exitCode).toBe(1);
    expect(harness.time.pendingTimerCount).toBe(0);
  });

  it('waits for shutdown when the host was already started with start()', async () => {
    const harness = createHarness();
    addPlain(harness, 'A');
    const host = buildHost(harness);
    await host.start();

    const running = track(host.run());
    await harness.time.flush();
    expect(running.state).toBe('pending');
    host.applicationLifetime.stopApplication();
    await harness.time.flush();

    expect(running.state).toBe('fulfilled');
    expect(harness.calls.filter((call) => call === 'A.start')).toHaveLength(1);
  });

  it('rejects when the host has been disposed', async () => {
    const harness = createHarness();
    const host = buildHost(harness);
    await host.dispose();

    await expect(host.run()).rejects.toThrow(ObjectDisposedError);
    await expect(host.run()).rejects.toThrow('Cannot use the host: it has been disposed.');
    await expect(host.start()).rejects.toThrow(ObjectDisposedError);
    await expect(host.stop()).rejects.toThrow(ObjectDisposedError);
    await expect(host.waitForShutdown()).rejects.toThrow(ObjectDisposedError);
    expect(() => host.services.get(createToken('Anything'))).toThrow(ObjectDisposedError);
  });

  it('still returns the outcome of the earlier stop from stop() after disposal', async () => {
    const harness = createHarness();
    const host = buildHost(harness);
    const running = track(host.run());
    await harness.time.flush();
    host.applicationLifetime.stopApplication();
    await harness.time.flush();
    expect(running.state).toBe('fulfilled');

    await expect(host.stop()).resolves.toBeUndefined();
  });
});

describe('Host.waitForShutdown', () => {
  it('waits for stopApplication() and then stops the host', async () => {
    const harness = createHarness();
    addRecording(harness, 'A');
    const host = buildHost(harness);
    await host.start();

    const waiting = track(host.waitForShutdown());
    await harness.time.advance(10_000);
    expect(waiting.state).toBe('pending');
    host.applicationLifetime.stopApplication();
    await harness.time.flush();

    expect(waiting.state).toBe('fulfilled');
    expect(host.phase).toBe('stopped');
    expect(harness.calls).toContain('A.stopped');
  });

  it('asks the application to stop when its signal aborts', async () => {
    const harness = createHarness();
    const host = buildHost(harness);
    await host.start();
    const controller = new AbortController();

    const waiting = track(host.waitForShutdown(controller.signal));
    controller.abort();
    await harness.time.flush();

    expect(host.applicationLifetime.stopping.aborted).toBe(true);
    expect(waiting.state).toBe('fulfilled');
  });
});

describe('Host.dispose', () => {
  it('stops a started host before disposing the container, so nothing started is left running', async () => {
    const harness = createHarness();
    addPlain(harness, 'A');
    const host = buildHost(harness);
    await host.start();

    await host.dispose();

    expect(harness.calls.slice(-4)).toEqual(['lifetime.stopping', 'A.stop', 'lifetime.stopped', 'hostLifetime.stop']);
    expect(host.phase).toBe('disposed');
  });

  it('logs the errors of that stop instead of throwing them, and stop() still returns them', async () => {
    const harness = createHarness();
    const failure = new Error('A cannot stop');
    addPlain(harness, 'A', { stop: failure });
    const host = buildHost(harness);
    await host.start();

    await expect(host.dispose()).resolves.toBeUndefined();

    await expect(host.stop()).rejects.toBe(failure);
  });

  it('disposes a host that never started without firing any event, and is idempotent', async () => {
    const harness = createHarness();
    const host = buildHost(harness);

    const first = host.dispose();
    expect(host.dispose()).toBe(first);
    await first;
    await host[Symbol.asyncDispose]();

    expect(harness.calls).toEqual([]);
  });

  it('rejects with the container disposal error', async () => {
    const harness = createHarness();
    const failure = new Error('pool would not close');
    const Pool = createToken<Disposable>('Pool');
    harness.builder.services.addSingleton(Pool, () => ({
      [Symbol.dispose]: () => {
        throw failure;
      },
    }));
    const host = buildHost(harness);
    host.services.get(Pool);

    await expect(host.dispose()).rejects.toBe(failure);
  });
});
