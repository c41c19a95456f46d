import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SpanStatusCode } from '@opentelemetry/api';
import { DistributedLock, MemoryLeaseStore } from '../../src/coordination/index.ts';
import { BackgroundService, ScheduledBackgroundService, type ScheduledOccurrence } from '../../src/hosting/index.ts';
import { createToken } from '../../src/dependency-injection/index.ts';
import { ManualTimeProvider } from '../../src/testing/index.ts';
import { CronTimer, PeriodicTimer } from '../../src/time/index.ts';
import { TelemetryNames as N } from '../../src/telemetry/index.ts';
import { addPlain, buildHost, createHarness } from '../hosting/hosting-test-helpers.ts';
import { installTestSdk, type TestSdk } from './otel-test-sdk.ts';

let sdk: TestSdk;
beforeEach(() => {
  sdk = installTestSdk();
});
afterEach(async () => {
  await sdk.uninstall();
});

const never = (): AbortSignal => new AbortController().signal;

/** Fails its first two runs, then runs until stopped. */
class Flaky extends BackgroundService {
  runs = 0;
  protected override async execute(stopping: AbortSignal): Promise<void> {
    this.runs += 1;
    if (this.runs <= 2) throw new RangeError(`run ${this.runs} failed`);
    await new Promise<void>((resolve) => stopping.addEventListener('abort', () => resolve(), { once: true }));
  }
}

class Ticker extends ScheduledBackgroundService {
  readonly seen: ScheduledOccurrence[] = [];
  protected override async runOccurrence(occurrence: ScheduledOccurrence): Promise<void> {
    this.seen.push(occurrence);
    if (this.seen.length === 2) throw new Error('second tick failed');
  }
}

describe('background service telemetry', () => {
  it('records a span per execute run, faults and restarts as events, and the restart and status metrics', async () => {
    const time = new ManualTimeProvider();
    const service = new Flaky({ timeProvider: time, restartPolicy: { maxAttempts: 3, initialDelay: 100 } });
    await service.start(never());
    await time.advance(1_000);
    expect(service.status).toBe('running');
    const running = await sdk.points(N.ServiceStatusMetric, { [N.ServiceName]: 'Flaky' });
    expect(running.filter((point) => point.value === 1).map((point) => point.attributes[N.ServiceStatus])).toEqual(['running']);
    expect(running).toHaveLength(6);
    await service.stop(never());
    const spans = sdk.spansNamed('execute Flaky');
    expect(spans).toHaveLength(3);
    expect(spans.map((span) => span.status.code)).toEqual([SpanStatusCode.ERROR, SpanStatusCode.ERROR, SpanStatusCode.UNSET]);
    expect(spans[0]?.parentSpanContext).toBeUndefined();
    expect(spans[0]?.attributes).toMatchObject({ [N.ServiceName]: 'Flaky', [N.ErrorType]: 'RangeError' });
    expect(spans[0]?.events.map((event) => event.name)).toEqual(['exception', N.RestartingEvent]);
    expect(spans[1]?.events.find((event) => event.name === N.RestartingEvent)?.attributes).toMatchObject({ [N.RestartAttempt]: 2 });
    expect((await sdk.points(N.ServiceRestarts, { [N.ServiceName]: 'Flaky' }))[0]?.value).toBe(2);
    const stopped = await sdk.points(N.ServiceStatusMetric, { [N.ServiceName]: 'Flaky' });
    expect(stopped.filter((point) => point.value === 1).map((point) => point.attributes[N.ServiceStatus])).toEqual(['completed']);
  });

  it('records a root span per scheduled tick, linked to the execute span, failed ticks marked', async () => {
    const time = new ManualTimeProvider({ now: Date.parse('2026-05-01T10:00:00Z') });
    const ticker = new Ticker({ timeProvider: time, schedule: '*/20 * * * * *' });
    await ticker.start(never());
    await time.advance(60_000);
    await ticker.stop(never());
    const [execute] = sdk.spansNamed('execute Ticker');
    const ticks = sdk.spansNamed('run Ticker');
    expect(ticks).toHaveLength(3);
    expect(ticks.map((tick) => tick.attributes[N.ScheduleOccurrence])).toEqual([
      '2026-05-01T10:00:20.000Z',
      '2026-05-01T10:00:40.000Z',
      '2026-05-01T10:01:00.000Z',
    ]);
    expect(ticks.every((tick) => tick.parentSpanContext === undefined)).toBe(true);
    expect(ticks[0]?.links.map((link) => link.context.spanId)).toEqual([execute?.spanContext().spanId]);
    expect(ticks.map((tick) => tick.status.code)).toEqual([SpanStatusCode.UNSET, SpanStatusCode.ERROR, SpanStatusCode.UNSET]);
  });
});

describe('timer tick telemetry', () => {
  it('records a root span per tick of a named periodic or cron timer, from the tick to the next wait', async () => {
    const time = new ManualTimeProvider({ now: Date.parse('2026-05-01T10:00:00Z') });
    const periodic = new PeriodicTimer(1_000, { timeProvider: time, name: 'refresh' });
    const cron = new CronTimer('*/30 * * * * *', { timeProvider: time, name: 'report' });
    const unnamed = new PeriodicTimer(1_000, { timeProvider: time });
    for (let i = 0; i < 2; i++) {
      const ticked = Promise.all([periodic.waitForNextTick(), cron.waitForNextOccurrence(), unnamed.waitForNextTick()]);
      await time.advance(30_000);
      await ticked;
      await time.advance(250);
    }
    expect(sdk.spansNamed('tick refresh')).toHaveLength(1);
    periodic.dispose();
    cron.dispose();
    unnamed.dispose();
    const ticks = sdk.spansNamed('tick refresh');
    expect(ticks).toHaveLength(2);
    expect(ticks[0]?.attributes).toMatchObject({ [N.TimerName]: 'refresh', [N.TimerKind]: 'periodic' });
    expect(ticks[0]?.parentSpanContext).toBeUndefined();
    const reports = sdk.spansNamed('tick report');
    expect(reports.map((span) => span.attributes[N.ScheduleOccurrence])).toEqual(['2026-05-01T10:00:30.000Z', '2026-05-01T10:01:00.000Z']);
    expect(sdk.spans.getFinishedSpans().filter((span) => span.name.startsWith('tick ')).length).toBe(4);
    expect(() => new PeriodicTimer(1_000, { name: '' })).toThrow(RangeError);
  });
});

describe('lease telemetry', () => {
  it('counts leases acquired, held and lost, and reports the fencing token of a held lease', async () => {
    const time = new ManualTimeProvider();
    const store = new MemoryLeaseStore({ timeProvider: time });
    const lock = new DistributedLock(store, { timeProvider: time });
    const first = await lock.acquire('reports', { ttlMs: 1_000 }, never());
    const at = { [N.LeaseName]: 'reports' };
    expect((await sdk.points(N.LeaseHeld, at))[0]?.value).toBe(1);
    expect((await sdk.points(N.LeaseFencingTokenMetric, at))[0]?.value).toBe(first.fencingToken);
    await first.release();
    const second = await lock.acquire('reports', { ttlMs: 1_000 }, never());
    // Another owner takes the lease over on the store: the holder's next renewal finds it gone.
    await store.release('reports', second.ownerId);
    await store.tryAcquire('reports', 'someone-else', 10_000);
    await time.advance(1_000);
    expect(second.held).toBe(false);
    expect((await sdk.points(N.LeaseAcquired, at))[0]?.value).toBe(2);
    expect((await sdk.points(N.LeaseHeld, at))[0]?.value).toBe(0);
    expect((await sdk.points(N.LeaseLost, at))[0]?.value).toBe(1);
  });

  it('records the leader term of a cluster singleton on its execute span, with the fencing token', async () => {
    const time = new ManualTimeProvider();
    const lock = new DistributedLock(new MemoryLeaseStore({ timeProvider: time }), { timeProvider: time });
    class Leader extends BackgroundService {
      protected override execute(stopping: AbortSignal): Promise<void> {
        return new Promise<void>((resolve) => stopping.addEventListener('abort', () => resolve(), { once: true }));
      }
    }
    const leader = new Leader({ timeProvider: time, clusterSingleton: { lock, name: 'leader', leaseTtlMs: 900 } });
    await leader.start(never());
    await time.advance(10);
    const token = leader.clusterLease?.fencingToken;
    await leader.stop(never());
    const [span] = sdk.spansNamed('execute Leader');
    expect(span?.attributes).toMatchObject({ [N.LeaseName]: 'leader', [N.LeaseFencingToken]: token });
    expect(span?.events.map((event) => event.name)).toEqual([N.LeaderElectedEvent]);
  });
});

describe('host telemetry', () => {
  it('records the start and stop durations and the exit code of a run', async () => {
    const harness = createHarness();
    addPlain(harness, 'slow', {
      start: (signal) => harness.time.delay(300, signal),
      stop: (signal) => harness.time.delay(200, signal),
    });
    harness.builder.services.addSingleton(createToken<string>('unused'), () => 'x');
    const host = buildHost(harness);
    const run = host.run();
    await harness.time.advance(300);
    host.applicationLifetime.stopApplication();
    await harness.time.advance(200);
    await run;
    const [start] = await sdk.points(N.HostStartDuration);
    const [stop] = await sdk.points(N.HostStopDuration);
    expect(start?.value).toMatchObject({ count: 1, sum: 0.3 });
    expect(stop?.value).toMatchObject({ count: 1, sum: 0.2 });
    expect((await sdk.points(N.HostExitCode))[0]?.value).toBe(0);
  });
});
