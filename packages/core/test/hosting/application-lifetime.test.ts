import { describe, expect, it } from 'vitest';
import { isCancellation } from '../../src/cancellation/index.ts';
import { createLoggerFactory, MemoryLogSink } from '../../src/logging/index.ts';
import {
  ApplicationLifetimeToken,
  EmbeddedHostLifetime,
  Host,
  HostApplicationLifetime,
  HostLogEvents,
  type HostLifetime,
  type HostLifetimeContext,
} from '../../src/hosting/index.ts';
import { ManualTimeProvider } from '../../src/testing/index.ts';
import { addPlain, buildHost, createHarness, track } from './hosting-test-helpers.ts';

function createLifetime(): { lifetime: HostApplicationLifetime; sink: MemoryLogSink; time: ManualTimeProvider } {
  const sink = new MemoryLogSink();
  const time = new ManualTimeProvider();
  const logger = createLoggerFactory({ sinks: [sink], timeProvider: time }).createLogger('hostkit.ApplicationLifetime');
  return { lifetime: new HostApplicationLifetime({ logger }), sink, time };
}

describe('HostApplicationLifetime', () => {
  it('aborts each signal when its event fires, and not before', () => {
    const { lifetime } = createLifetime();
    expect([lifetime.started.aborted, lifetime.stopping.aborted, lifetime.stopped.aborted]).toEqual([false, false, false]);

    lifetime.notifyStarted();
    expect([lifetime.started.aborted, lifetime.stopping.aborted, lifetime.stopped.aborted]).toEqual([true, false, false]);
    lifetime.stopApplication();
    expect(lifetime.stopping.aborted).toBe(true);
    lifetime.notifyStopped();
    expect(lifetime.stopped.aborted).toBe(true);
  });

  it('aborts stopping with an AbortError, so work cancelled by it counts as cancellation', () => {
    const { lifetime } = createLifetime();
    lifetime.stopApplication();

    expect(lifetime.stopping.reason).toBeInstanceOf(DOMException);
    expect(isCancellation(lifetime.stopping.reason, lifetime.stopping)).toBe(true);
  });

  it('runs registered callbacks once, in registration order, when the event fires', () => {
    const { lifetime } = createLifetime();
    const calls: string[] = [];
    lifetime.onStopping(() => calls.push('first'));
    lifetime.onStopping(() => calls.push('second'));

    lifetime.stopApplication();
    lifetime.stopApplication();

    expect(calls).toEqual(['first', 'second']);
  });

  it('runs a callback registered after its event at once', () => {
    const { lifetime } = createLifetime();
    lifetime.notifyStarted();
    const calls: string[] = [];

    lifetime.onStarted(() => calls.push('late'));

    expect(calls).toEqual(['late']);
  });

  it('does not run a callback whose registration was disposed', () => {
    const { lifetime } = createLifetime();
    const calls: string[] = [];
    const registration = lifetime.onStopped(() => calls.push('removed'));
    lifetime.onStopped(() => calls.push('kept'));

    registration[Symbol.dispose]();
    lifetime.notifyStopped();

    expect(calls).toEqual(['kept']);
  });

  it('logs a callback that throws or rejects with the event of its moment, runs the others and never throws', async () => {
    const { lifetime, sink, time } = createLifetime();
    const thrown = new Error('thrown');
    const rejected = new Error('rejected');
    const calls: string[] = [];
    lifetime.onStarted(() => {
      throw thrown;
    });
    lifetime.onStarted(() => calls.push('after'));
    lifetime.onStopping(() => Promise.reject(rejected));
    lifetime.onStopped(() => {
      throw thrown;
    });

    expect(() => lifetime.notifyStarted()).not.toThrow();
    expect(() => lifetime.stopApplication()).not.toThrow();
    expect(() => lifetime.notifyStopped()).not.toThrow();
    await time.flush();

    expect(calls).toEqual(['after']);
    expect(sink.byEvent(HostLogEvents.ApplicationStartupException)).toMatchObject([{ level: 'error', error: thrown }]);
    expect(sink.byEvent(HostLogEvents.ApplicationStoppingException)).toMatchObject([{ level: 'error', error: rejected }]);
    expect(sink.byEvent(HostLogEvents.ApplicationStoppedException)).toMatchObject([{ level: 'error', error: thrown }]);
  });

  it('rejects a callback that is not a function, naming it', () => {
    const { lifetime } = createLifetime();

    expect(() => lifetime.onStarted('soon' as unknown as () => void)).toThrow(
      new TypeError('Expected the started callback to be a function, got soon (string)'),
    );
  });
});

describe('ApplicationLifetime in a host', () => {
  it('lets any service stop the application through the DI token, any number of times; the first call wins', async () => {
    const harness = createHarness();
    const host = buildHost(harness);
    const lifetime = host.services.get(ApplicationLifetimeToken);
    expect(lifetime).toBe(host.applicationLifetime);

    const running = track(host.run());
    await harness.time.flush();
    lifetime.stopApplication();
    lifetime.stopApplication();
    await harness.time.flush();
    lifetime.stopApplication();

    expect(running.state).toBe('fulfilled');
    expect(harness.calls.filter((call) => call === 'lifetime.stopping')).toHaveLength(1);
  });
});

describe('HostLifetime port', () => {
  it('is given the application lifetime, so an adapter can turn a signal into stopApplication()', async () => {
    const harness = createHarness();
    addPlain(harness, 'A');
    const host = buildHost(harness);

    const running = track(host.run());
    await harness.time.flush();
    // What a console lifetime does on SIGTERM.
    harness.lifetime.context?.applicationLifetime.stopApplication();
    await harness.time.flush();

    expect(running.state).toBe('fulfilled');
    expect(harness.lifetime.context?.logger.category).toBe('hostkit.Lifetime');
    expect(harness.calls).toEqual([
      'hostLifetime.waitForStart',
      'A.start',
      'lifetime.started',
      'lifetime.stopping',
      'A.stop',
      'lifetime.stopped',
      'hostLifetime.stop',
      'hostLifetime.complete(0)',
    ]);
  });

  it('holds exactly one handle while the host runs and none once it stopped', async () => {
    const harness = createHarness();
    const host = buildHost(harness);

    const running = track(host.run());
    await harness.time.flush();
    expect(harness.lifetime.handles).toBe(1);
    host.applicationLifetime.stopApplication();
    await harness.time.flush();

    expect(running.state).toBe('fulfilled');
    expect(harness.lifetime.handles).toBe(0);
  });

  it('learns the outcome of a failed run, exit code 1 with the error', async () => {
    const harness = createHarness();
    const failure = new Error('cannot start');
    addPlain(harness, 'A', { start: failure });
    const host = buildHost(harness);

    await expect(host.run()).rejects.toBe(failure);

    expect(harness.lifetime.outcome).toEqual({ exitCode: 1, error: failure });
    expect(harness.lifetime.handles).toBe(0);
  });

  it('is not told an outcome when the caller drives start and stop itself', async () => {
    const harness = createHarness();
    const host = buildHost(harness);

    await host.start();
    await host.stop();

    expect(harness.lifetime.outcome).toBeUndefined();
  });

  it('logs a failing complete() without changing the outcome of run()', async () => {
    const harness = createHarness();
    harness.lifetime.complete = (): void => {
      throw new Error('exit code unavailable');
    };
    const host = buildHost(harness);

    const running = track(host.run());
    await harness.time.flush();
    host.applicationLifetime.stopApplication();
    await harness.time.flush();

    expect(running.state).toBe('fulfilled');
    expect(harness.sink.filter({ category: 'hostkit.Host', level: 'error' })).toHaveLength(1);
  });

  it('may delay the start until it is ready', async () => {
    const harness = createHarness();
    let release = (): void => {};
    harness.lifetime.waitForStartBehaviour = () => new Promise<void>((resolve) => (release = resolve));
    addPlain(harness, 'A');
    const host = buildHost(harness);

    const starting = track(host.start());
    await harness.time.flush();
    expect(harness.calls).toEqual(['hostLifetime.waitForStart']);
    release();
    await harness.time.flush();

    expect(starting.state).toBe('fulfilled');
    expect(harness.calls).toContain('A.start');
  });
});

describe('EmbeddedHostLifetime', () => {
  it('is the default lifetime, needs no runtime and records the outcome of a run', async () => {
    const builder = Host.createApplicationBuilder({ timeProvider: new ManualTimeProvider() });
    builder.logging.clearSinks();
    expect(builder.lifetime).toBeInstanceOf(EmbeddedHostLifetime);
    const lifetime = builder.lifetime as EmbeddedHostLifetime;
    const host = builder.build();

    const running = host.run();
    expect(lifetime.running).toBe(true);
    host.applicationLifetime.stopApplication();
    await running;

    expect(lifetime.running).toBe(false);
    expect(lifetime.outcome).toEqual({ exitCode: 0 });
  });

  it('rejects waitForStart with the reason when the start was already abandoned', async () => {
    const lifetime = new EmbeddedHostLifetime();
    const controller = new AbortController();
    const reason = new Error('gave up');
    controller.abort(reason);

    await expect(lifetime.waitForStart({} as HostLifetimeContext, controller.signal)).rejects.toBe(reason);
    expect(lifetime.running).toBe(false);
  });

  it('satisfies the HostLifetime port', () => {
    const lifetime: HostLifetime = new EmbeddedHostLifetime();
    expect(typeof lifetime.waitForStart).toBe('function');
    expect(typeof lifetime.stop).toBe('function');
    expect(typeof lifetime.complete).toBe('function');
  });
});
