import { describe, expect, it } from 'vitest';
import { createToken } from '../../src/dependency-injection/index.ts';
import { HostLogEvents, HostShutdownTimeoutError } from '../../src/hosting/index.ts';
import { addPlain, addRecording, buildHost, createHarness, eventNames, track, type Harness } from './hosting-test-helpers.ts';

/** A stop behaviour that takes `ms` on the harness clock (and honours its signal). */
function takes(harness: Harness, ms: number): (signal: AbortSignal) => Promise<void> {
  return (signal) => harness.time.delay(ms, signal);
}

describe('Host.stop', () => {
  it('runs the stopping hooks, the stopping event, stop in reverse order, the stopped hooks, the stopped event, then the host lifetime stop', async () => {
    const harness = createHarness();
    addRecording(harness, 'A');
    addRecording(harness, 'B');
    addRecording(harness, 'C');
    const host = buildHost(harness);
    await host.start();
    harness.calls.length = 0;

    await host.stop();

    expect(harness.calls).toEqual([
      'C.stopping',
      'B.stopping',
      'A.stopping',
      'lifetime.stopping',
      'C.stop',
      'B.stop',
      'A.stop',
      'C.stopped',
      'B.stopped',
      'A.stopped',
      'lifetime.stopped',
      'hostLifetime.stop',
    ]);
    expect(host.phase).toBe('stopped');
    expect(host.applicationLifetime.stopped.aborted).toBe(true);
  });

  it('gives the stop hooks and stop the same stop signal', async () => {
    const harness = createHarness();
    const a = addRecording(harness, 'A');
    const host = buildHost(harness);
    await host.start();

    await host.stop();

    expect(a.signals.stopping).toBeInstanceOf(AbortSignal);
    expect(a.signals.stop).toBe(a.signals.stopping);
    expect(a.signals.stopped).toBe(a.signals.stopping);
    expect(a.signals.stop?.reason).toBe(undefined);
  });

  it('asks every service to stop even when one fails, and rejects with that one error as it is', async () => {
    const harness = createHarness();
    const failure = new Error('B cannot stop');
    addPlain(harness, 'A');
    addPlain(harness, 'B', { stop: failure });
    addPlain(harness, 'C');
    const host = buildHost(harness);
    await host.start();

    await expect(host.stop()).rejects.toBe(failure);

    expect(harness.calls.filter((call) => call.endsWith('.stop') && !call.startsWith('hostLifetime'))).toEqual(['C.stop', 'B.stop', 'A.stop']);
    expect(harness.calls.at(-1)).toBe('hostLifetime.stop');
    expect(harness.sink.byEvent(HostLogEvents.HostedServiceStopFaulted)).toMatchObject([
      { level: 'error', category: 'B', error: failure, fields: { service: 'B' } },
    ]);
    expect(harness.sink.byEvent(HostLogEvents.StoppedWithException)).toMatchObject([{ level: 'error', error: failure }]);
    expect(harness.sink.byEvent(HostLogEvents.Stopped)).toEqual([]);
  });

  it('collects several failures, hooks included, into an AggregateError in stop order', async () => {
    const harness = createHarness();
    const hookFailure = new Error('C stopping hook failed');
    const failureB = new Error('B cannot stop');
    const failureA = new Error('A cannot stop');
    addRecording(harness, 'A', { stop: failureA });
    addRecording(harness, 'B', { stop: failureB });
    addRecording(harness, 'C', { stopping: hookFailure });
    const host = buildHost(harness);
    await host.start();

    const error: unknown = await host.stop().catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(AggregateError);
    expect((error as AggregateError).errors).toEqual([hookFailure, failureB, failureA]);
    expect(harness.calls).toContain('lifetime.stopped');
    expect(harness.sink.byEvent(HostLogEvents.HostedServiceStopFaulted)).toMatchObject([
      { fields: { service: 'C', hook: 'stopping' } },
      { fields: { service: 'B' } },
      { fields: { service: 'A' } },
    ]);
  });

  it('logs Stopping and Stopped, and each service stop in its own category', async () => {
    const harness = createHarness();
    addPlain(harness, 'Worker', { stop: takes(harness, 250) });
    const host = buildHost(harness);
    await host.start();
    harness.sink.clear();

    const stopping = track(host.stop());
    await harness.time.advance(250);

    expect(stopping.state).toBe('fulfilled');
    expect(eventNames(harness.sink)).toEqual(['Stopping', 'HostedServiceStopping', 'HostedServiceStopped', 'Stopped']);
    expect(harness.sink.byEvent(HostLogEvents.HostedServiceStopped)).toMatchObject([
      { category: 'Worker', fields: { service: 'Worker', duration: 250 } },
    ]);
  });

  it('aborts the stop signal after shutdownTimeout, 30 s by default, abandons what has not stopped and names it', async () => {
    const harness = createHarness();
    const a = addRecording(harness, 'A', { stop: 'hang' });
    addRecording(harness, 'B', { stop: 'honour' });
    addRecording(harness, 'C');
    const host = buildHost(harness);
    await host.start();

    const stopping = track(host.stop());
    await harness.time.advance(29_999);
    expect(stopping.state).toBe('pending');
    await harness.time.advance(1);

    expect(stopping.state).toBe('rejected');
    const error = stopping.error as HostShutdownTimeoutError;
    expect(error).toBeInstanceOf(HostShutdownTimeoutError);
    // B honoured the abort by rejecting with its reason; A was asked too, with the budget already spent.
    expect(error.abandoned).toEqual(['B', 'A']);
    expect(error.timeout).toBe(30_000);
    expect(error.name).toBe('HostShutdownTimeoutError');
    expect(error.message).toBe(
      'The host abandoned 2 hosted services when the shutdown was cut short (shutdownTimeout 30000 ms): ' +
        'B had not stopped; A was asked to stop only after the budget was spent and did not stop at once',
    );
    expect((error.cause as DOMException).name).toBe('TimeoutError');
    expect(a.signals.stop?.aborted).toBe(true);
    // The rest of the sequence still ran, with the spent signal.
    expect(harness.calls.slice(-5)).toEqual(['C.stopped', 'B.stopped', 'A.stopped', 'lifetime.stopped', 'hostLifetime.stop']);
    expect(harness.sink.byEvent(HostLogEvents.ShutdownTimedOut)).toMatchObject([{ level: 'error', fields: { timeout: 30_000 } }]);
    expect(harness.sink.byEvent(HostLogEvents.HostedServicesAbandoned)).toMatchObject([{ level: 'error', fields: { services: ['B', 'A'] } }]);
  });

  it('names the service that blocked apart from those asked to stop only once the budget was spent', async () => {
    const harness = createHarness({ shutdownTimeout: 1_000 });
    addPlain(harness, 'A', { stop: 'hang' });
    addPlain(harness, 'B', { stop: 'hang' });
    addPlain(harness, 'C', { stop: 'hang' });
    addPlain(harness, 'D');
    const host = buildHost(harness);
    await host.start();

    const stopping = track(host.stop());
    await harness.time.advance(1_000);

    // D stopped at once; C held the budget; B and A were reached with the budget already spent.
    const error = stopping.error as HostShutdownTimeoutError;
    expect(error.abandoned).toEqual(['C', 'B', 'A']);
    expect(error.blocking).toEqual(['C']);
    expect(error.askedTooLate).toEqual(['B', 'A']);
    expect(harness.sink.byEvent(HostLogEvents.HostedServicesAbandoned)).toMatchObject([
      {
        level: 'error',
        message:
          'The host abandoned 3 hosted services when the shutdown was cut short (shutdownTimeout 1000 ms): ' +
          'C had not stopped; B, A were asked to stop only after the budget was spent and did not stop at once',
        fields: { services: ['C', 'B', 'A'], blocking: ['C'], askedTooLate: ['B', 'A'] },
      },
    ]);
    expect(harness.sink.filter({ category: 'C', minimumLevel: 'warn' })).toMatchObject([
      { message: 'Hosted service C had not stopped when the shutdown was cut short; abandoned' },
    ]);
    expect(harness.sink.filter({ category: 'B', minimumLevel: 'warn' })).toMatchObject([
      { message: 'Hosted service B was asked to stop only after the shutdown budget was spent and did not stop at once; abandoned' },
    ]);
  });

  it('never logs a service that rejects with the stop signal cancellation as failed', async () => {
    const harness = createHarness({ shutdownTimeout: 1_000 });
    addPlain(harness, 'A', { stop: 'honour' });
    const host = buildHost(harness);
    await host.start();

    const stopping = track(host.stop());
    await harness.time.advance(1_000);

    expect(stopping.error).toBeInstanceOf(HostShutdownTimeoutError);
    expect(harness.sink.byEvent(HostLogEvents.HostedServiceStopFaulted)).toEqual([]);
    expect(harness.sink.filter({ category: 'A', minimumLevel: 'error' })).toEqual([]);
  });

  it('shares one shutdown budget across services stopped one after the other', async () => {
    const harness = createHarness({ shutdownTimeout: 30_000 });
    addPlain(harness, 'A', { stop: takes(harness, 20_000) });
    addPlain(harness, 'B', { stop: takes(harness, 20_000) });
    const host = buildHost(harness);
    await host.start();

    const stopping = track(host.stop());
    await harness.time.advance(30_000);

    // B stopped after 20 s; A had 10 s left of the budget.
    expect(stopping.state).toBe('rejected');
    expect((stopping.error as HostShutdownTimeoutError).abandoned).toEqual(['A']);
  });

  it('stops every service at once when servicesStopConcurrently is set', async () => {
    const harness = createHarness({ shutdownTimeout: 30_000, servicesStopConcurrently: true });
    addPlain(harness, 'A', { stop: takes(harness, 20_000) });
    addPlain(harness, 'B', { stop: takes(harness, 20_000) });
    const host = buildHost(harness);
    await host.start();
    harness.calls.length = 0;

    const stopping = track(host.stop());
    await harness.time.flush();
    expect(harness.calls).toEqual(['lifetime.stopping', 'B.stop', 'A.stop']);
    await harness.time.advance(20_000);

    expect(stopping.state).toBe('fulfilled');
  });

  it('cuts the shutdown short when the signal given to stop() aborts, like the timeout', async () => {
    const harness = createHarness();
    addPlain(harness, 'A', { stop: 'hang' });
    const host = buildHost(harness);
    await host.start();
    const controller = new AbortController();

    const stopping = track(host.stop(controller.signal));
    await harness.time.flush();
    controller.abort();
    await harness.time.flush();

    expect((stopping.error as HostShutdownTimeoutError).abandoned).toEqual(['A']);
    expect(harness.calls).toContain('hostLifetime.stop');
  });

  it('abandons a hook or a host lifetime stop that does not settle in time, naming it', async () => {
    const harness = createHarness({ shutdownTimeout: 100 });
    harness.lifetime.stopBehaviour = 'hang';
    addRecording(harness, 'A', { stopping: 'hang' });
    const host = buildHost(harness);
    await host.start();

    const stopping = track(host.stop());
    await harness.time.advance(100);

    expect((stopping.error as HostShutdownTimeoutError).abandoned).toEqual(['A (stopping hook)', 'host lifetime']);
  });

  it('counts a stop that settles at once as stopped even after the budget is spent', async () => {
    const harness = createHarness({ shutdownTimeout: 100 });
    addPlain(harness, 'A');
    addPlain(harness, 'B', { stop: 'hang' });
    const host = buildHost(harness);
    await host.start();

    const stopping = track(host.stop());
    await harness.time.advance(100);

    expect((stopping.error as HostShutdownTimeoutError).abandoned).toEqual(['B']);
    expect(harness.sink.byEvent(HostLogEvents.HostedServiceStopped)).toMatchObject([{ fields: { service: 'A' } }]);
  });

  it('only fires the lifetime events when called before start()', async () => {
    const harness = createHarness();
    let created = 0;
    harness.builder.services.addHostedService(createToken<{ start(): Promise<void>; stop(): Promise<void> }>('Lazy'), () => {
      created += 1;
      return { start: () => Promise.resolve(), stop: () => Promise.resolve() };
    });
    const host = buildHost(harness);

    await host.stop();

    expect(harness.calls).toEqual(['lifetime.stopping', 'lifetime.stopped']);
    expect(created).toBe(0);
    expect(host.phase).toBe('stopped');
  });

  it('returns the same promise and outcome when called twice or concurrently, and stops once', async () => {
    const harness = createHarness();
    const failure = new Error('A cannot stop');
    addPlain(harness, 'A', { stop: failure });
    const host = buildHost(harness);
    await host.start();

    const first = host.stop();
    const second = host.stop();

    expect(second).toBe(first);
    await expect(first).rejects.toBe(failure);
    await expect(host.stop()).rejects.toBe(failure);
    expect(harness.calls.filter((call) => call === 'A.stop')).toHaveLength(1);
  });

  it('cancels a start in progress, lets it stop what had started, and shares that outcome', async () => {
    const harness = createHarness();
    addRecording(harness, 'A');
    const b = addRecording(harness, 'B', { start: 'honour' });
    addRecording(harness, 'C');
    const host = buildHost(harness);

    const starting = track(host.start());
    await harness.time.flush();
    await host.stop();

    expect(b.signals.start?.aborted).toBe(true);
    expect(starting.state).toBe('rejected');
    expect(harness.calls).not.toContain('C.start');
    expect(harness.calls.filter((call) => call.endsWith('.stop') && !call.startsWith('hostLifetime'))).toEqual(['A.stop']);
    expect(harness.calls.filter((call) => call === 'hostLifetime.stop')).toHaveLength(1);
  });

  it('abandons a start that ignores the cancellation once the stop budget runs out, naming it', async () => {
    const harness = createHarness({ shutdownTimeout: 1_000 });
    addRecording(harness, 'A');
    addRecording(harness, 'Stuck', { start: 'hang' });
    const host = buildHost(harness);
    void host.start().catch(() => {});
    await harness.time.flush();

    const stopping = track(host.stop());
    await harness.time.advance(999);
    expect(stopping.state).toBe('pending');
    await harness.time.advance(1);

    // A stops at once, so it still counts as stopped with the budget spent.
    expect((stopping.error as HostShutdownTimeoutError).abandoned).toEqual(['Stuck (start)']);
    expect(harness.calls).toContain('A.stop');
    expect(harness.calls).not.toContain('Stuck.stop');
    expect(harness.calls.at(-1)).toBe('hostLifetime.stop');
  });

  it('does not let an abandoned start come back to life as started when it finally resolves', async () => {
    const harness = createHarness({ shutdownTimeout: 1_000 });
    let release = (): void => {};
    addPlain(harness, 'Late', { start: () => new Promise<void>((resolve) => (release = resolve)) });
    const host = buildHost(harness);
    const starting = track(host.start());
    await harness.time.flush();
    const stopping = track(host.stop());
    await harness.time.advance(1_000);
    expect(stopping.state).toBe('rejected');

    release();
    await harness.time.flush();

    expect(starting.state).toBe('rejected');
    expect(host.phase).toBe('stopped');
    expect(harness.calls).not.toContain('lifetime.started');
  });

  it('does not report a shutdown timeout when the caller cut the shutdown short', async () => {
    const harness = createHarness();
    addPlain(harness, 'A', { stop: 'hang' });
    const host = buildHost(harness);
    await host.start();
    const controller = new AbortController();
    controller.abort();

    await expect(host.stop(controller.signal)).rejects.toBeInstanceOf(HostShutdownTimeoutError);

    expect(harness.sink.byEvent(HostLogEvents.ShutdownTimedOut)).toEqual([]);
    expect(harness.sink.byEvent(HostLogEvents.HostedServicesAbandoned)).toHaveLength(1);
  });

  it('leaves no timer of its own behind', async () => {
    const harness = createHarness({ startupTimeout: 10_000 });
    addPlain(harness, 'A');
    const host = buildHost(harness);

    await host.start();
    await host.stop();

    expect(harness.time.pendingTimerCount).toBe(0);
  });

  it('logs errors thrown by stopping and stopped callbacks, and still stops', async () => {
    const harness = createHarness();
    const host = buildHost(harness);
    const stoppingFailure = new Error('stopping callback broke');
    const stoppedFailure = new Error('stopped callback broke');
    host.applicationLifetime.onStopping(() => {
      throw stoppingFailure;
    });
    host.applicationLifetime.onStopped(() => Promise.reject(stoppedFailure));
    await host.start();

    await host.stop();
    await harness.time.flush();

    expect(harness.sink.byEvent(HostLogEvents.ApplicationStoppingException)).toMatchObject([{ error: stoppingFailure }]);
    expect(harness.sink.byEvent(HostLogEvents.ApplicationStoppedException)).toMatchObject([{ error: stoppedFailure }]);
  });

  it('fires the stopping event at once on stopApplication(), before the stopping hooks run in stop()', async () => {
    const harness = createHarness();
    addRecording(harness, 'A');
    const host = buildHost(harness);
    await host.start();
    harness.calls.length = 0;

    host.applicationLifetime.stopApplication();
    await host.stop();

    expect(harness.calls).toEqual(['lifetime.stopping', 'A.stopping', 'A.stop', 'A.stopped', 'lifetime.stopped', 'hostLifetime.stop']);
  });

  it('keeps the services resolvable after stop and disposes the container after the host lifetime stop', async () => {
    const harness = createHarness();
    const Resource = createToken<{ [Symbol.asyncDispose](): Promise<void> }>('Resource');
    harness.builder.services.addSingleton(Resource, () => ({
      [Symbol.asyncDispose]: () => {
        harness.calls.push('container.dispose(Resource)');
        return Promise.resolve();
      },
    }));
    addPlain(harness, 'A');
    const host = buildHost(harness);
    await host.start();
    host.services.get(Resource);

    await host.stop();
    expect(host.services.get(Resource)).toBeDefined();
    await host.dispose();

    expect(harness.calls.slice(-3)).toEqual(['lifetime.stopped', 'hostLifetime.stop', 'container.dispose(Resource)']);
    expect(host.phase).toBe('disposed');
  });
});
