import { describe, expect, it } from 'vitest';
import { createToken } from '../../src/dependency-injection/index.ts';
import { HostLogEvents } from '../../src/hosting/index.ts';
import {
  addPlain,
  addRecording,
  buildHost,
  createHarness,
  eventNames,
  track,
  type Behaviour,
} from './hosting-test-helpers.ts';

/** A behaviour that waits until the test releases it, ignoring its signal. */
function deferred(): { readonly behaviour: Behaviour; release(): void; fail(error: Error): void } {
  let release = (): void => {};
  let fail = (_error: Error): void => {};
  const promise = new Promise<void>((resolve, reject) => {
    release = resolve;
    fail = reject;
  });
  return { behaviour: () => promise, release: () => release(), fail: (error) => fail(error) };
}

describe('Host.start', () => {
  it('runs waitForStart, the starting hooks, start, the started hooks and then the started event, in that order', async () => {
    const harness = createHarness();
    addRecording(harness, 'A');
    addRecording(harness, 'B');
    const host = buildHost(harness);

    await host.start();

    expect(harness.calls).toEqual([
      'hostLifetime.waitForStart',
      'A.starting',
      'B.starting',
      'A.start',
      'B.start',
      'A.started',
      'B.started',
      'lifetime.started',
    ]);
    expect(host.phase).toBe('started');
    expect(host.applicationLifetime.started.aborted).toBe(true);
  });

  it('starts plain hosted services that have no lifecycle hooks', async () => {
    const harness = createHarness();
    addPlain(harness, 'A');
    addRecording(harness, 'B');
    const host = buildHost(harness);

    await host.start();

    expect(harness.calls).toEqual(['hostLifetime.waitForStart', 'B.starting', 'A.start', 'B.start', 'B.started', 'lifetime.started']);
  });

  it('starts services one after the other in registration order by default', async () => {
    const harness = createHarness();
    const gate = deferred();
    addRecording(harness, 'A', { start: gate.behaviour });
    addRecording(harness, 'B');
    const host = buildHost(harness);

    const starting = track(host.start());
    await harness.time.flush();
    expect(harness.calls.filter((call) => call.endsWith('.start'))).toEqual(['A.start']);

    gate.release();
    await harness.time.flush();
    expect(harness.calls.filter((call) => call.endsWith('.start'))).toEqual(['A.start', 'B.start']);
    expect(starting.state).toBe('fulfilled');
  });

  it('treats each phase as a barrier: no start before every starting hook settled, even when starting concurrently', async () => {
    const harness = createHarness({ servicesStartConcurrently: true });
    const gate = deferred();
    addRecording(harness, 'A', { starting: gate.behaviour });
    addRecording(harness, 'B');
    const host = buildHost(harness);

    const starting = track(host.start());
    await harness.time.flush();
    expect(harness.calls).toEqual(['hostLifetime.waitForStart', 'A.starting', 'B.starting']);

    gate.release();
    await harness.time.flush();
    expect(harness.calls.slice(3)).toEqual(['A.start', 'B.start', 'A.started', 'B.started', 'lifetime.started']);
    expect(starting.state).toBe('fulfilled');
  });

  it('calls start on every service at once when servicesStartConcurrently is set', async () => {
    const harness = createHarness({ servicesStartConcurrently: true });
    const gate = deferred();
    addPlain(harness, 'A', { start: gate.behaviour });
    addPlain(harness, 'B');
    const host = buildHost(harness);

    const starting = track(host.start());
    await harness.time.flush();

    expect(harness.calls).toEqual(['hostLifetime.waitForStart', 'A.start', 'B.start']);
    expect(starting.state).toBe('pending');
    gate.release();
    await harness.time.flush();
    expect(starting.state).toBe('fulfilled');
  });

  it('stops at the first failure when starting sequentially and rethrows that error as it is', async () => {
    const harness = createHarness();
    const failure = new Error('B cannot start');
    addPlain(harness, 'A');
    addPlain(harness, 'B', { start: failure });
    addPlain(harness, 'C');
    const host = buildHost(harness);

    await expect(host.start()).rejects.toBe(failure);

    expect(harness.calls).not.toContain('C.start');
    expect(harness.sink.byEvent(HostLogEvents.HostedServiceStartupFaulted)).toMatchObject([
      { level: 'error', category: 'B', error: failure, fields: { service: 'B' } },
    ]);
  });

  it('stops the services that had started, in reverse, before rethrowing a start failure (unlike .NET)', async () => {
    const harness = createHarness();
    const failure = new Error('C cannot start');
    addRecording(harness, 'A');
    addRecording(harness, 'B');
    addRecording(harness, 'C', { start: failure });
    addRecording(harness, 'D');
    const host = buildHost(harness);

    await expect(host.start()).rejects.toBe(failure);

    // Every starting hook ran, so every service gets the stop hooks; only A and B started, so only they get stop.
    expect(harness.calls.slice(harness.calls.indexOf('C.start') + 1)).toEqual([
      'D.stopping',
      'C.stopping',
      'B.stopping',
      'A.stopping',
      'lifetime.stopping',
      'B.stop',
      'A.stop',
      'D.stopped',
      'C.stopped',
      'B.stopped',
      'A.stopped',
      'lifetime.stopped',
      'hostLifetime.stop',
    ]);
    expect(harness.calls).not.toContain('D.start');
    expect(harness.calls).not.toContain('lifetime.started');
    expect(host.phase).toBe('stopped');
  });

  it('rethrows the start failure even when stopping the started services fails too, and logs the stop failure', async () => {
    const harness = createHarness();
    const startFailure = new Error('B cannot start');
    const stopFailure = new Error('A cannot stop');
    addPlain(harness, 'A', { stop: stopFailure });
    addPlain(harness, 'B', { start: startFailure });
    const host = buildHost(harness);

    await expect(host.start()).rejects.toBe(startFailure);

    expect(harness.sink.byEvent(HostLogEvents.HostedServiceStopFaulted)).toMatchObject([{ error: stopFailure }]);
    expect(harness.sink.byEvent(HostLogEvents.StoppedWithException)).toHaveLength(1);
    // stop() reports the outcome of the stop that the failed start ran.
    await expect(host.stop()).rejects.toBe(stopFailure);
  });

  it('attempts every service and collects every failure in an AggregateError when starting concurrently', async () => {
    const harness = createHarness({ servicesStartConcurrently: true });
    const failureA = new Error('A cannot start');
    const failureC = new Error('C cannot start');
    addPlain(harness, 'A', { start: failureA });
    addPlain(harness, 'B');
    addPlain(harness, 'C', { start: failureC });
    const host = buildHost(harness);

    const error: unknown = await host.start().catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(AggregateError);
    expect((error as AggregateError).errors).toEqual([failureA, failureC]);
    expect((error as AggregateError).message).toContain('A, C');
    expect(harness.calls).toEqual(['hostLifetime.waitForStart', 'A.start', 'B.start', 'C.start', 'lifetime.stopping', 'B.stop', 'lifetime.stopped', 'hostLifetime.stop']);
  });

  it('rethrows a single concurrent start failure as it is', async () => {
    const harness = createHarness({ servicesStartConcurrently: true });
    const failure = new Error('B cannot start');
    addPlain(harness, 'A');
    addPlain(harness, 'B', { start: failure });
    const host = buildHost(harness);

    await expect(host.start()).rejects.toBe(failure);
    expect(harness.calls).toContain('A.stop');
  });

  it('fails the start before any service starts when a starting hook fails', async () => {
    const harness = createHarness();
    const failure = new Error('migration failed');
    addRecording(harness, 'A', { starting: failure });
    addRecording(harness, 'B');
    const host = buildHost(harness);

    await expect(host.start()).rejects.toBe(failure);

    expect(harness.calls.filter((call) => call.endsWith('.start'))).toEqual([]);
    expect(harness.calls).not.toContain('B.starting');
    expect(harness.sink.byEvent(HostLogEvents.HostedServiceStartupFaulted)).toMatchObject([{ fields: { service: 'A', hook: 'starting' } }]);
  });

  it('fails the start when a started hook fails, and stops every service', async () => {
    const harness = createHarness();
    const failure = new Error('warm-up failed');
    addRecording(harness, 'A', { started: failure });
    const host = buildHost(harness);

    await expect(host.start()).rejects.toBe(failure);

    expect(harness.calls).toContain('A.stop');
    expect(harness.calls).not.toContain('lifetime.started');
  });

  it('aborts the start signal when startupTimeout elapses and starts no further service', async () => {
    const harness = createHarness({ startupTimeout: 1_000 });
    const a = addRecording(harness, 'A', { start: 'honour' });
    addRecording(harness, 'B');
    const host = buildHost(harness);

    const starting = track(host.start());
    await harness.time.advance(999);
    expect(starting.state).toBe('pending');
    await harness.time.advance(1);

    expect(starting.state).toBe('rejected');
    expect(starting.error).toBeInstanceOf(DOMException);
    expect((starting.error as DOMException).name).toBe('TimeoutError');
    expect(a.signals.start?.aborted).toBe(true);
    expect(harness.calls).not.toContain('B.start');
    expect(harness.sink.byEvent(HostLogEvents.StartupTimedOut)).toMatchObject([{ level: 'error', fields: { timeout: 1_000 } }]);
  });

  it('waits for a service that ignores the start signal after startupTimeout (cooperative), then starts no further service', async () => {
    const harness = createHarness({ startupTimeout: 1_000 });
    const gate = deferred();
    addRecording(harness, 'A', { start: gate.behaviour });
    addRecording(harness, 'B');
    const host = buildHost(harness);

    const starting = track(host.start());
    await harness.time.advance(5_000);
    expect(starting.state).toBe('pending');

    gate.release();
    await harness.time.flush();
    expect(starting.state).toBe('rejected');
    expect((starting.error as DOMException).name).toBe('TimeoutError');
    expect(harness.calls).not.toContain('B.start');
    expect(harness.calls).toContain('A.stop');
  });

  it('has no startup timeout by default', async () => {
    const harness = createHarness();
    const a = addRecording(harness, 'A', { start: 'honour' });
    const host = buildHost(harness);

    const starting = track(host.start());
    await harness.time.advance(24 * 60 * 60 * 1_000);

    expect(starting.state).toBe('pending');
    expect(a.signals.start?.aborted).toBe(false);
  });

  it('aborts the start signal when the signal given to start() aborts', async () => {
    const harness = createHarness();
    const a = addRecording(harness, 'A', { start: 'honour' });
    const host = buildHost(harness);
    const controller = new AbortController();
    const reason = new Error('gave up');

    const starting = track(host.start(controller.signal));
    await harness.time.flush();
    controller.abort(reason);
    await harness.time.flush();

    expect(a.signals.start?.aborted).toBe(true);
    expect(starting.error).toBe(reason);
  });

  it('is cancelled by stopApplication() while starting, without logging the cancellation as a fault', async () => {
    const harness = createHarness();
    addRecording(harness, 'A');
    const b = addRecording(harness, 'B', { start: 'honour' });
    const host = buildHost(harness);

    const starting = track(host.start());
    await harness.time.flush();
    host.applicationLifetime.stopApplication();
    await harness.time.flush();

    expect(b.signals.start?.aborted).toBe(true);
    expect(starting.state).toBe('rejected');
    expect((starting.error as DOMException).name).toBe('AbortError');
    expect(harness.calls).toContain('A.stop');
    expect(harness.sink.byEvent(HostLogEvents.HostedServiceStartupFaulted)).toEqual([]);
  });

  it('resolves hosted services when it starts, not when it is built, and fails before waitForStart when one cannot be resolved', async () => {
    const harness = createHarness();
    let created = 0;
    const failure = new Error('no config');
    harness.builder.services.addHostedService(createToken<{ start(): Promise<void>; stop(): Promise<void> }>('Broken'), () => {
      created += 1;
      throw failure;
    });
    const host = buildHost(harness);
    expect(created).toBe(0);

    await expect(host.start()).rejects.toBe(failure);

    expect(created).toBe(1);
    expect(harness.calls).toEqual(['lifetime.stopping', 'lifetime.stopped']);
  });

  it('fails the start and still releases the host lifetime when waitForStart rejects', async () => {
    const harness = createHarness();
    const failure = new Error('no terminal');
    harness.lifetime.waitForStartBehaviour = failure;
    addRecording(harness, 'A');
    const host = buildHost(harness);

    await expect(host.start()).rejects.toBe(failure);

    expect(harness.calls).toEqual(['hostLifetime.waitForStart', 'lifetime.stopping', 'lifetime.stopped', 'hostLifetime.stop']);
  });

  it('logs Starting and Started for the host, and each service start in the service category', async () => {
    const harness = createHarness();
    addPlain(harness, 'Worker');
    const host = buildHost(harness);

    await host.start();

    expect(eventNames(harness.sink)).toEqual(['Starting', 'HostedServiceStarting', 'HostedServiceStarted', 'Started']);
    expect(harness.sink.byEvent(HostLogEvents.HostedServiceStarted)).toMatchObject([
      { category: 'Worker', fields: { service: 'Worker', duration: 0 } },
    ]);
    expect(harness.sink.byEvent(HostLogEvents.Started)).toMatchObject([{ category: 'hostkit.Host' }]);
  });

  it('logs an error thrown by a started callback and still starts', async () => {
    const harness = createHarness();
    const failure = new Error('callback broke');
    const host = buildHost(harness);
    host.applicationLifetime.onStarted(() => {
      throw failure;
    });

    await host.start();

    expect(harness.sink.byEvent(HostLogEvents.ApplicationStartupException)).toMatchObject([{ level: 'error', error: failure }]);
  });

  it('rejects a second start', async () => {
    const harness = createHarness();
    const host = buildHost(harness);
    await host.start();

    await expect(host.start()).rejects.toThrow('Host.start() was already called (the host is started); a host starts once.');
  });

  it('rejects a start after a stop', async () => {
    const harness = createHarness();
    const host = buildHost(harness);
    await host.stop();

    await expect(host.start()).rejects.toThrow('Host.start() was called on a host that is stopped; a host starts once.');
  });
});
