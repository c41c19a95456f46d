import { describe, expect, it } from 'vitest';
import { MemoryLogSink, createLoggerFactory } from '../../src/logging/index.ts';
import { HostLogEvents, HostShutdownTimeoutError } from '../../src/hosting/index.ts';
import { ManualTimeProvider } from '../../src/testing/index.ts';
import {
  LambdaBackgroundService,
  addBackground,
  addPlain,
  buildHost,
  createHarness,
  eventNames,
  track,
} from './hosting-test-helpers.ts';

/** Waits on `time` until `stopping` aborts, then rejects with its reason, as most loops do. */
function loopUntilStopped(time: ManualTimeProvider): (stopping: AbortSignal) => Promise<void> {
  return async (stopping) => {
    for (;;) await time.delay(1_000, stopping);
  };
}

describe('BackgroundService', () => {
  it('resolves start() without waiting for execute, so the next service starts', async () => {
    const harness = createHarness();
    const worker = addBackground(harness, 'Worker', () => new Promise<void>(() => {}));
    addPlain(harness, 'Next');
    const host = buildHost(harness);

    await host.start();

    expect(harness.calls).toContain('Next.start');
    expect(worker.executions).toBe(1);
    expect(worker.status).toBe('running');
  });

  it('still runs execute when stop() follows start() at once (.NET 10 skipped it)', async () => {
    const time = new ManualTimeProvider();
    const worker = new LambdaBackgroundService(loopUntilStopped(time), { timeProvider: time });
    const signal = new AbortController().signal;

    await worker.start(signal);
    const stopping = worker.stop(signal);
    await stopping;

    expect(worker.executions).toBe(1);
    expect(worker.lastSignal?.aborted).toBe(true);
    expect(worker.status).toBe('completed');
  });

  it('aborts the stopping signal on stop() and waits for execute to settle', async () => {
    const time = new ManualTimeProvider();
    const worker = new LambdaBackgroundService(async (stopping) => {
      await new Promise<void>((resolve) => stopping.addEventListener('abort', () => resolve(), { once: true }));
      // Cleanup that takes a while after the stop request.
      await time.delay(500);
    });
    const signal = new AbortController().signal;
    await worker.start(signal);
    await time.flush();

    const stopping = track(worker.stop(signal));
    await time.advance(499);
    expect(worker.lastSignal?.aborted).toBe(true);
    expect(stopping.state).toBe('pending');
    await time.advance(1);

    expect(stopping.state).toBe('fulfilled');
  });

  it('rejects stop() with its signal reason when that aborts before execute settles, leaving execute abandoned', async () => {
    const time = new ManualTimeProvider();
    const worker = new LambdaBackgroundService(() => new Promise<void>(() => {}));
    await worker.start(new AbortController().signal);
    await time.flush();
    const controller = new AbortController();
    const reason = new Error('out of time');

    const stopping = track(worker.stop(controller.signal));
    await time.flush();
    controller.abort(reason);
    await time.flush();

    expect(stopping.error).toBe(reason);
    expect(worker.status).toBe('running');
  });

  it('never rethrows the error of execute from stop()', async () => {
    const failure = new Error('loop broke');
    const worker = new LambdaBackgroundService(() => Promise.reject(failure));
    const signal = new AbortController().signal;
    await worker.start(signal);

    await expect(worker.stop(signal)).resolves.toBeUndefined();
    await expect(worker.executeTask).rejects.toBe(failure);
    expect(worker.status).toBe('faulted');
    expect(worker.fault).toBe(failure);
  });

  it('resolves stop() at once when the service never started', async () => {
    const worker = new LambdaBackgroundService(() => Promise.resolve());

    await expect(worker.stop(new AbortController().signal)).resolves.toBeUndefined();
    expect(worker.executions).toBe(0);
    expect(worker.status).toBe('idle');
    expect(worker.executeTask).toBeUndefined();
  });

  it('rejects a second start()', async () => {
    const worker = new LambdaBackgroundService(() => Promise.resolve());
    await worker.start(new AbortController().signal);

    await expect(worker.start(new AbortController().signal)).rejects.toThrow('was already started');
  });

  it('aborts the stopping signal when disposed', async () => {
    const time = new ManualTimeProvider();
    const worker = new LambdaBackgroundService(loopUntilStopped(time));
    await worker.start(new AbortController().signal);
    await time.flush();

    worker[Symbol.dispose]();
    await time.flush();

    expect(worker.lastSignal?.aborted).toBe(true);
    expect(worker.status).toBe('completed');
  });

  it('treats a rejection with its own stop signal reason during stop as a clean stop, never logged as an error', async () => {
    const harness = createHarness();
    const worker = addBackground(harness, 'Worker', loopUntilStopped(harness.time));
    const host = buildHost(harness);

    const running = track(host.run());
    await harness.time.advance(5_000);
    host.applicationLifetime.stopApplication();
    await harness.time.flush();

    expect(running.state).toBe('fulfilled');
    expect(worker.status).toBe('completed');
    expect(harness.sink.filter({ minimumLevel: 'warn' })).toEqual([]);
    expect(harness.lifetime.outcome).toEqual({ exitCode: 0 });
  });

  it('completes cleanly when execute returns early, and the host keeps running', async () => {
    const harness = createHarness();
    const worker = addBackground(harness, 'Worker', () => Promise.resolve());
    const host = buildHost(harness);

    await host.start();
    await harness.time.flush();

    expect(worker.status).toBe('completed');
    expect(host.applicationLifetime.stopping.aborted).toBe(false);
  });

  it('logs a fault as an error in its category, stops the host and makes run() reject with it, exit code 1 (unlike .NET before 11)', async () => {
    const harness = createHarness();
    const failure = new Error('queue unreachable');
    addBackground(harness, 'Worker', async (stopping) => {
      await harness.time.delay(1_000, stopping);
      throw failure;
    });
    addPlain(harness, 'Other');
    const host = buildHost(harness);

    const running = track(host.run());
    await harness.time.advance(1_000);

    expect(running.state).toBe('rejected');
    expect(running.error).toBe(failure);
    expect(harness.calls).toContain('Other.stop');
    expect(harness.lifetime.outcome).toEqual({ exitCode: 1, error: failure });
    expect(harness.sink.byEvent(HostLogEvents.BackgroundServiceFaulted)).toMatchObject([
      { level: 'error', category: 'Worker', error: failure, fields: { service: 'Worker' } },
    ]);
    expect(harness.sink.byEvent(HostLogEvents.BackgroundServiceStoppingHost)).toMatchObject([{ level: 'critical', category: 'Worker' }]);
  });

  it('logs the error of a fault that stops the host once, and names it without the error in the record that stops the host', async () => {
    const harness = createHarness();
    const failure = new Error('queue unreachable');
    addBackground(harness, 'Worker', () => Promise.reject(failure));
    const host = buildHost(harness);

    await host.run().catch(() => undefined);

    expect(harness.sink.records.filter((record) => record.error !== undefined)).toMatchObject([
      { event: HostLogEvents.BackgroundServiceFaulted, error: failure, fields: { service: 'Worker' } },
    ]);
    const [stoppingHost] = harness.sink.byEvent(HostLogEvents.BackgroundServiceStoppingHost);
    expect(stoppingHost).toMatchObject({
      level: 'critical',
      message: "Background service Worker faulted (Error: queue unreachable); stopping the host (backgroundServiceExceptionBehavior: 'stopHost')",
      fields: { service: 'Worker' },
    });
    expect(stoppingHost).not.toHaveProperty('error');
  });

  it('cancels the rest of the start when it faults while later services are starting, and run() rejects with the fault', async () => {
    const harness = createHarness();
    const failure = new Error('bad config');
    addBackground(harness, 'Worker', () => Promise.reject(failure));
    addPlain(harness, 'Slow', { start: 'honour' });
    addPlain(harness, 'Last');
    const host = buildHost(harness);

    const error: unknown = await host.run().catch((caught: unknown) => caught);

    expect(error).toBe(failure);
    expect(harness.calls).not.toContain('Last.start');
    expect(harness.lifetime.outcome?.exitCode).toBe(1);
  });

  it('only logs a fault when backgroundServiceExceptionBehavior is ignore, and the host keeps running', async () => {
    const harness = createHarness({ backgroundServiceExceptionBehavior: 'ignore' });
    const failure = new Error('queue unreachable');
    addBackground(harness, 'Worker', () => Promise.reject(failure));
    const host = buildHost(harness);

    const running = track(host.run());
    await harness.time.advance(60_000);

    expect(running.state).toBe('pending');
    expect(host.applicationLifetime.stopping.aborted).toBe(false);
    expect(harness.sink.byEvent(HostLogEvents.BackgroundServiceFaulted)).toHaveLength(1);
    expect(harness.sink.byEvent(HostLogEvents.BackgroundServiceStoppingHost)).toEqual([]);

    host.applicationLifetime.stopApplication();
    await harness.time.flush();
    expect(running.state).toBe('fulfilled');
  });

  it('counts an error other than its own cancellation, thrown while stopping, as a fault', async () => {
    const harness = createHarness();
    const failure = new Error('flush on stop failed');
    addBackground(harness, 'Worker', async (stopping) => {
      await new Promise<void>((resolve) => stopping.addEventListener('abort', () => resolve(), { once: true }));
      throw failure;
    });
    const host = buildHost(harness);

    const running = track(host.run());
    await harness.time.flush();
    host.applicationLifetime.stopApplication();
    await harness.time.flush();

    expect(running.error).toBe(failure);
    expect(harness.sink.byEvent(HostLogEvents.BackgroundServiceFaulted)).toHaveLength(1);
    // The host was already stopping: the fault does not ask for a stop again.
    expect(harness.sink.byEvent(HostLogEvents.BackgroundServiceStoppingHost)).toEqual([]);
  });

  it('is abandoned by the host, and named, when execute ignores its stopping signal past shutdownTimeout', async () => {
    const harness = createHarness({ shutdownTimeout: 5_000 });
    addBackground(harness, 'Stubborn', () => new Promise<void>(() => {}));
    const host = buildHost(harness);
    await host.start();

    const stopping = track(host.stop());
    await harness.time.advance(5_000);

    expect((stopping.error as HostShutdownTimeoutError).abandoned).toEqual(['Stubborn']);
    expect(harness.sink.byEvent(HostLogEvents.HostedServiceStopFaulted)).toEqual([]);
  });

  it('makes run() reject with the fault first, then the stop errors, in an AggregateError', async () => {
    const harness = createHarness();
    const fault = new Error('worker broke');
    const stopFailure = new Error('other cannot stop');
    addPlain(harness, 'Other', { stop: stopFailure });
    addBackground(harness, 'Worker', () => Promise.reject(fault));
    const host = buildHost(harness);

    const error: unknown = await host.run().catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(AggregateError);
    expect((error as AggregateError).errors).toEqual([fault, stopFailure]);
    expect(harness.lifetime.outcome?.exitCode).toBe(1);
  });

  it('logs in the category the host gives it, named after its token', async () => {
    const harness = createHarness();
    addBackground(harness, 'app.Uploader', () => Promise.reject(new Error('x')), { restartPolicy: { maxAttempts: 1, random: () => 0.5 } });
    const host = buildHost(harness);
    await host.start();
    await harness.time.flush();

    expect(harness.sink.byEvent(HostLogEvents.BackgroundServiceRestarting)).toMatchObject([{ category: 'app.Uploader' }]);
  });

  it('uses the logger and clock from its options when it has them', async () => {
    const sink = new MemoryLogSink();
    const time = new ManualTimeProvider();
    const logger = createLoggerFactory({ sinks: [sink], timeProvider: time }).createLogger('Mine');
    const worker = new LambdaBackgroundService(() => Promise.reject(new Error('x')), {
      timeProvider: time,
      logger,
      restartPolicy: { maxAttempts: 1, initialDelay: 10, random: () => 0.5 },
    });
    await worker.start(new AbortController().signal);
    await time.flush();
    expect(worker.status).toBe('restarting');
    await time.advance(10);

    expect(worker.executions).toBe(2);
    expect(worker.status).toBe('faulted');
    expect(eventNames(sink)).toEqual(['BackgroundServiceRestarting', 'BackgroundServiceRestartsExhausted']);
  });
});

describe('BackgroundService restart policy', () => {
  it('restarts a faulted execute after exponential backoff, logging each restart with its attempt number and delay', async () => {
    const harness = createHarness();
    const failure = new Error('flaky');
    const worker = addBackground(
      harness,
      'Worker',
      (stopping, self) => (self.executions <= 2 ? Promise.reject(failure) : harness.time.delay(60_000, stopping)),
      { restartPolicy: { maxAttempts: 5, initialDelay: 100, random: () => 0.5 } },
    );
    const host = buildHost(harness);
    await host.start();
    await harness.time.flush();
    expect(worker.executions).toBe(1);
    expect(worker.status).toBe('restarting');

    await harness.time.advance(99);
    expect(worker.executions).toBe(1);
    await harness.time.advance(1);
    expect(worker.executions).toBe(2);
    await harness.time.advance(199);
    expect(worker.executions).toBe(2);
    await harness.time.advance(1);

    expect(worker.executions).toBe(3);
    expect(worker.status).toBe('running');
    expect(worker.restarts).toBe(2);
    expect(harness.sink.byEvent(HostLogEvents.BackgroundServiceRestarting)).toMatchObject([
      { level: 'warn', category: 'Worker', error: failure, fields: { service: 'Worker', attempt: 1, delay: 100 } },
      { level: 'warn', category: 'Worker', error: failure, fields: { service: 'Worker', attempt: 2, delay: 200 } },
    ]);
    expect(harness.sink.byEvent(HostLogEvents.BackgroundServiceFaulted)).toEqual([]);
    expect(host.applicationLifetime.stopping.aborted).toBe(false);
  });

  it('spreads each delay with jitter drawn from the injected random source', async () => {
    const harness = createHarness();
    addBackground(harness, 'Low', () => Promise.reject(new Error('x')), {
      restartPolicy: { maxAttempts: 1, initialDelay: 1_000, jitter: 0.2, random: () => 0 },
    });
    addBackground(harness, 'High', () => Promise.reject(new Error('x')), {
      restartPolicy: { maxAttempts: 1, initialDelay: 1_000, jitter: 0.2, random: () => 0.999_999 },
    });
    const host = buildHost(harness);
    await host.start();
    await harness.time.flush();

    expect(harness.sink.byEvent(HostLogEvents.BackgroundServiceRestarting).map((record) => record.fields?.['delay'])).toEqual([800, 1_200]);
  });

  it('caps the delay at maxDelay', async () => {
    const harness = createHarness({ backgroundServiceExceptionBehavior: 'ignore' });
    addBackground(harness, 'Worker', () => Promise.reject(new Error('x')), {
      restartPolicy: { maxAttempts: 4, initialDelay: 1_000, multiplier: 10, maxDelay: 5_000, jitter: 0 },
    });
    const host = buildHost(harness);
    await host.start();
    await harness.time.advance(60_000);

    expect(harness.sink.byEvent(HostLogEvents.BackgroundServiceRestarting).map((record) => record.fields?.['delay'])).toEqual([
      1_000, 5_000, 5_000, 5_000,
    ]);
  });

  it('gives up after maxAttempts restarts: the last fault is logged and goes to the exception behaviour', async () => {
    const harness = createHarness();
    let attempt = 0;
    const worker = addBackground(harness, 'Worker', () => Promise.reject(new Error(`failure ${++attempt}`)), {
      restartPolicy: { maxAttempts: 2, initialDelay: 100, random: () => 0.5 },
    });
    const host = buildHost(harness);

    const running = track(host.run());
    await harness.time.advance(300);

    expect(worker.executions).toBe(3);
    expect(running.state).toBe('rejected');
    expect((running.error as Error).message).toBe('failure 3');
    expect(harness.sink.byEvent(HostLogEvents.BackgroundServiceRestartsExhausted)).toMatchObject([
      { level: 'error', fields: { service: 'Worker', attempts: 2 } },
    ]);
    expect(harness.sink.byEvent(HostLogEvents.BackgroundServiceFaulted)).toHaveLength(1);
    expect(harness.lifetime.outcome?.exitCode).toBe(1);
  });

  it('ends a restart backoff at once when the host stops, without another execute', async () => {
    const harness = createHarness();
    const worker = addBackground(harness, 'Worker', () => Promise.reject(new Error('x')), {
      restartPolicy: { maxAttempts: 3, initialDelay: 60_000, random: () => 0.5 },
    });
    const host = buildHost(harness);
    await host.start();
    await harness.time.flush();
    expect(worker.status).toBe('restarting');

    await host.stop();

    expect(worker.executions).toBe(1);
    expect(worker.status).toBe('completed');
    expect(harness.time.pendingTimerCount).toBe(0);
  });

  it('counts a fault after a long healthy run as the first again when resetAfter is set', async () => {
    const harness = createHarness();
    const worker = addBackground(
      harness,
      'Worker',
      async (stopping, self) => {
        // Every other run is long and healthy before it fails.
        if (self.executions % 2 === 0) await harness.time.delay(10_000, stopping);
        throw new Error(`failure ${self.executions}`);
      },
      { restartPolicy: { maxAttempts: 1, initialDelay: 100, jitter: 0, resetAfter: 5_000 } },
    );
    const host = buildHost(harness);
    await host.start();
    await harness.time.advance(100 + 10_000 + 100);

    expect(worker.executions).toBe(3);
    expect(harness.sink.byEvent(HostLogEvents.BackgroundServiceRestarting).map((record) => record.fields?.['attempt'])).toEqual([1, 1]);
  });

  it('does not restart a fault that happens while stopping', async () => {
    const harness = createHarness();
    const worker = addBackground(
      harness,
      'Worker',
      async (stopping) => {
        await new Promise<void>((resolve) => stopping.addEventListener('abort', () => resolve(), { once: true }));
        throw new Error('flush failed');
      },
      { restartPolicy: { maxAttempts: 3 } },
    );
    const host = buildHost(harness);
    await host.start();
    await harness.time.flush();

    await host.stop();
    await harness.time.flush();

    expect(worker.executions).toBe(1);
    expect(worker.status).toBe('faulted');
    expect(harness.sink.byEvent(HostLogEvents.BackgroundServiceRestarting)).toEqual([]);
  });

  it('rejects a bad policy when the service is constructed, naming the option, value and type', () => {
    expect(() => new LambdaBackgroundService(() => Promise.resolve(), { restartPolicy: { maxAttempts: -1 } })).toThrow(
      new RangeError('Expected restartPolicy.maxAttempts to be an integer >= 0, got -1 (number)'),
    );
    expect(() => new LambdaBackgroundService(() => Promise.resolve(), { restartPolicy: { maxAttempts: 1.5 } })).toThrow(RangeError);
    expect(() => new LambdaBackgroundService(() => Promise.resolve(), { restartPolicy: { maxAttempts: 1, initialDelay: Number.NaN } })).toThrow(
      new RangeError('Expected restartPolicy.initialDelay to be a finite number of milliseconds >= 0, got NaN (number)'),
    );
    expect(() => new LambdaBackgroundService(() => Promise.resolve(), { restartPolicy: { maxAttempts: 1, maxDelay: Infinity } })).toThrow(RangeError);
    expect(() => new LambdaBackgroundService(() => Promise.resolve(), { restartPolicy: { maxAttempts: 1, multiplier: 0.5 } })).toThrow(
      new RangeError('Expected restartPolicy.multiplier to be a finite number >= 1, got 0.5 (number)'),
    );
    expect(() => new LambdaBackgroundService(() => Promise.resolve(), { restartPolicy: { maxAttempts: 1, jitter: 2 } })).toThrow(
      new RangeError('Expected restartPolicy.jitter to be a number from 0 to 1, got 2 (number)'),
    );
    expect(() => new LambdaBackgroundService(() => Promise.resolve(), { restartPolicy: { maxAttempts: 1, resetAfter: -5 } })).toThrow(RangeError);
    expect(
      () => new LambdaBackgroundService(() => Promise.resolve(), { restartPolicy: { maxAttempts: 1, random: 'dice' as unknown as () => number } }),
    ).toThrow(new TypeError('Expected restartPolicy.random to be a function, got "dice" (string)'));
  });
});
