import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { ManualTimeProvider } from '../../src/testing/index.ts';
import {
  HealthCheckService,
  HealthCheckTags,
  type HealthCheck,
  type HealthCheckRegistration,
  type HealthReport,
} from '../../src/health/index.ts';
import { HostLogEvents } from '../../src/hosting/host-log-events.ts';
import { createLoggerFactory, MemoryLogSink } from '../../src/logging/index.ts';

const healthy: HealthCheck = () => ({ status: 'healthy' });
const never: HealthCheck = () => new Promise(() => {});

function setup(registrations: readonly HealthCheckRegistration[]) {
  const time = new ManualTimeProvider();
  const sink = new MemoryLogSink();
  const logger = createLoggerFactory({ sinks: [sink], timeProvider: time }).createLogger('hostkit.Health');
  const service = new HealthCheckService({ registrations, timeProvider: time, logger });
  return { time, sink, service };
}

/** Settles within one flush, or reports 'pending': tells "not yet" from "done" without sleeping. */
async function settled<T>(promise: Promise<T>, time: ManualTimeProvider): Promise<{ value: T } | 'pending'> {
  let state: { value: T } | 'pending' = 'pending';
  void promise.then(
    (value) => (state = { value }),
    () => {},
  );
  await time.flush();
  return state;
}

describe('HealthCheckService', () => {
  describe('statuses', () => {
    it('reports healthy with no entries when there are no checks', async () => {
      const { service } = setup([]);
      await expect(service.checkHealth()).resolves.toEqual({ status: 'healthy', totalDuration: 0, entries: {} });
    });

    it('reports the worst status among the entries', async () => {
      const { service } = setup([
        { name: 'a', check: healthy },
        { name: 'b', check: () => ({ status: 'degraded', description: 'slow' }) },
        { name: 'c', check: async () => ({ status: 'unhealthy', data: { replicas: 0 } }) },
      ]);
      const report = await service.checkHealth();
      expect(report.status).toBe('unhealthy');
      expect(report.entries).toEqual({
        a: { status: 'healthy', duration: 0, tags: [] },
        b: { status: 'degraded', description: 'slow', duration: 0, tags: [] },
        c: { status: 'unhealthy', duration: 0, data: { replicas: 0 }, tags: [] },
      });
    });

    it('reports degraded when the worst entry is degraded', async () => {
      const { service } = setup([
        { name: 'a', check: healthy },
        { name: 'b', check: () => ({ status: 'degraded' }) },
      ]);
      expect((await service.checkHealth()).status).toBe('degraded');
    });

    it('reports the failure status with the error when a check throws or rejects', async () => {
      const thrown = new Error('connection refused');
      const { service, sink } = setup([
        {
          name: 'sync',
          check: () => {
            throw thrown;
          },
        },
        { name: 'async', check: () => Promise.reject(new Error('timeout from the driver')), failureStatus: 'degraded' },
      ]);
      const report = await service.checkHealth();
      expect(report.entries['sync']).toEqual({
        status: 'unhealthy',
        description: 'connection refused',
        duration: 0,
        error: thrown,
        tags: [],
      });
      expect(report.entries['async']).toMatchObject({ status: 'degraded', description: 'timeout from the driver' });
      expect(sink.byEvent(HostLogEvents.HealthCheckFailed).map((record) => [record.level, record.fields?.['check']])).toEqual([
        ['error', 'sync'],
        ['warn', 'async'],
      ]);
      expect(sink.byEvent(HostLogEvents.HealthCheckFailed)[0]?.error).toBe(thrown);
    });

    it('reports the failure status when a check returns something that is not a result', async () => {
      const { service } = setup([{ name: 'bad', check: (() => ({ status: 'fine' })) as unknown as HealthCheck }]);
      const entry = (await service.checkHealth()).entries['bad'];
      expect(entry?.status).toBe('unhealthy');
      expect(entry?.error).toBeInstanceOf(TypeError);
      expect(entry?.description).toContain('got "fine" (string)');
    });

    it('measures each check duration on the time provider', async () => {
      const { service, time } = setup([
        { name: 'fast', check: async (signal) => (await time.delay(10, signal), { status: 'healthy' }) },
        { name: 'slow', check: async (signal) => (await time.delay(40, signal), { status: 'healthy' }) },
      ]);
      const pending = service.checkHealth();
      await time.advance(40);
      const report = await pending;
      expect(report.entries['fast']?.duration).toBe(10);
      expect(report.entries['slow']?.duration).toBe(40);
      expect(report.totalDuration).toBe(40);
    });
  });

  describe('timeouts', () => {
    it('reports a check that never settles as unhealthy at its timeout, without waiting for it', async () => {
      const { service, time, sink } = setup([{ name: 'stuck', check: never, timeout: 250 }]);
      const pending = service.checkHealth();
      await time.advance(249);
      expect(await settled(pending, time)).toBe('pending');
      await time.advance(1);
      const report = await pending;
      expect(report.status).toBe('unhealthy');
      expect(report.entries['stuck']).toMatchObject({ status: 'unhealthy', description: 'Timed out after 250 ms', duration: 250 });
      expect(report.entries['stuck']?.error).toMatchObject({ name: 'TimeoutError' });
      expect(sink.byEvent(HostLogEvents.HealthCheckTimedOut)).toHaveLength(1);
      expect(time.pendingTimerCount).toBe(0);
    });

    it('runs checks in parallel: two checks with 100 ms timeouts both time out after one advance of 100 ms', async () => {
      const { service, time } = setup([
        { name: 'one', check: never, timeout: 100 },
        { name: 'two', check: never, timeout: 100, failureStatus: 'degraded' },
      ]);
      const pending = service.checkHealth();
      await time.advance(100);
      const report = await pending;
      expect(report.entries['one']).toMatchObject({ status: 'unhealthy', duration: 100 });
      expect(report.entries['two']).toMatchObject({ status: 'degraded', duration: 100 });
      expect(report.status).toBe('unhealthy');
      expect(report.totalDuration).toBe(100);
    });

    it("aborts the check's signal at the timeout with a TimeoutError", async () => {
      let seen: AbortSignal | undefined;
      const { service, time } = setup([
        {
          name: 'cooperative',
          check: (signal) => {
            seen = signal;
            return never(signal);
          },
          timeout: 50,
        },
      ]);
      const pending = service.checkHealth();
      await time.advance(50);
      await pending;
      expect(seen?.aborted).toBe(true);
      expect(seen?.reason).toMatchObject({ name: 'TimeoutError' });
    });

    it('discards a late rejection of a timed-out check without an unhandled rejection', async () => {
      let rejectLate: (error: Error) => void = () => {};
      const { service, time } = setup([
        { name: 'late', check: () => new Promise((_resolve, reject) => (rejectLate = reject)), timeout: 10 },
      ]);
      const pending = service.checkHealth();
      await time.advance(10);
      const report = await pending;
      rejectLate(new Error('too late'));
      await time.flush();
      expect(report.entries['late']?.description).toBe('Timed out after 10 ms');
    });

    it('applies the default timeout of 30 s to checks that set none', async () => {
      const { service, time } = setup([{ name: 'stuck', check: never }]);
      const pending = service.checkHealth();
      await time.advance(30_000);
      expect((await pending).entries['stuck']?.description).toBe('Timed out after 30000 ms');
    });

    it('does not abort the signal of a check that finished in time, and releases its timer', async () => {
      let seen: AbortSignal | undefined;
      const { service, time } = setup([
        {
          name: 'quick',
          check: (signal) => {
            seen = signal;
            return { status: 'healthy' };
          },
          timeout: 100,
        },
      ]);
      await service.checkHealth();
      expect(time.pendingTimerCount).toBe(0);
      await time.advance(100);
      expect(seen?.aborted).toBe(false);
    });
  });

  describe('cancellation', () => {
    it("rejects with the caller's reason and aborts the running checks when the caller's signal aborts", async () => {
      let seen: AbortSignal | undefined;
      const { service, time } = setup([
        {
          name: 'slow',
          check: (signal) => {
            seen = signal;
            return never(signal);
          },
          timeout: 1_000,
        },
      ]);
      const caller = new AbortController();
      const pending = service.checkHealth({ signal: caller.signal });
      await time.advance(10);
      const reason = new Error('client went away');
      caller.abort(reason);
      await expect(pending).rejects.toBe(reason);
      expect(seen?.reason).toBe(reason);
      expect(time.pendingTimerCount).toBe(0);
      expect(getEventListeners(caller.signal, 'abort')).toHaveLength(0);
    });

    it('rejects without running any check when the signal is already aborted', async () => {
      let ran = false;
      const { service } = setup([
        {
          name: 'a',
          check: () => {
            ran = true;
            return { status: 'healthy' };
          },
        },
      ]);
      const reason = new Error('already gone');
      await expect(service.checkHealth({ signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
      expect(ran).toBe(false);
    });

    it("rejects when a check aborts the caller's signal while it is being started", async () => {
      const caller = new AbortController();
      const reason = new Error('aborted from inside');
      const { service } = setup([
        {
          name: 'meddling',
          check: () => {
            caller.abort(reason);
            return never(caller.signal);
          },
        },
      ]);
      await expect(service.checkHealth({ signal: caller.signal })).rejects.toBe(reason);
    });

    it("removes its listener from the caller's signal when the checks finish", async () => {
      const { service } = setup([{ name: 'a', check: healthy }]);
      const caller = new AbortController();
      await service.checkHealth({ signal: caller.signal });
      expect(getEventListeners(caller.signal, 'abort')).toHaveLength(0);
    });
  });

  describe('selection', () => {
    const registrations: HealthCheckRegistration[] = [
      { name: 'process', check: healthy, tags: [HealthCheckTags.live] },
      { name: 'database', check: () => ({ status: 'unhealthy' }), tags: [HealthCheckTags.ready] },
      { name: 'cache', check: () => ({ status: 'degraded' }), tags: [HealthCheckTags.ready, 'cache'] },
      { name: 'untagged', check: healthy },
    ];

    it('runs only the checks carrying one of the given tags', async () => {
      const { service } = setup(registrations);
      const live = await service.checkHealth({ tags: [HealthCheckTags.live] });
      expect(Object.keys(live.entries)).toEqual(['process']);
      expect(live.status).toBe('healthy');
      const ready = await service.checkHealth({ tags: [HealthCheckTags.ready] });
      expect(Object.keys(ready.entries)).toEqual(['database', 'cache']);
      expect(ready.entries['cache']?.tags).toEqual(['ready', 'cache']);
    });

    it('runs only the checks the predicate accepts, combined with tags', async () => {
      const { service } = setup(registrations);
      const report = await service.checkHealth({
        tags: [HealthCheckTags.ready],
        predicate: (registration) => registration.name !== 'database',
      });
      expect(Object.keys(report.entries)).toEqual(['cache']);
      expect(report.status).toBe('degraded');
    });

    it('runs nothing and reports healthy when no check matches', async () => {
      const { service } = setup(registrations);
      const report: HealthReport = await service.checkHealth({ tags: [] });
      expect(report).toEqual({ status: 'healthy', totalDuration: 0, entries: {} });
    });
  });

  describe('registrations', () => {
    it('rejects duplicate names at construction, naming each duplicate', () => {
      expect(
        () =>
          new HealthCheckService({
            registrations: [
              { name: 'db', check: healthy },
              { name: 'cache', check: healthy },
              { name: 'db', check: healthy },
            ],
            timeProvider: new ManualTimeProvider(),
          }),
      ).toThrow(new RangeError("Expected health check names to be unique, got duplicates: 'db' (2 times)"));
    });

    it('rejects a timeout that is not a finite number >= 0, naming the value', () => {
      const timeProvider = new ManualTimeProvider();
      expect(() => new HealthCheckService({ registrations: [{ name: 'db', check: healthy, timeout: -1 }], timeProvider })).toThrow(
        new RangeError("Expected timeout of health check 'db' to be a finite number >= 0, got -1 (number)"),
      );
      expect(
        () => new HealthCheckService({ registrations: [{ name: 'db', check: healthy, timeout: Infinity }], timeProvider }),
      ).toThrow(/got Infinity \(number\)/);
      expect(() => new HealthCheckService({ registrations: [{ name: 'db', check: healthy, timeout: Number.NaN }], timeProvider })).toThrow(
        RangeError,
      );
    });

    it('rejects a missing name, a check that is not a function and an unknown failure status', () => {
      const timeProvider = new ManualTimeProvider();
      expect(() => new HealthCheckService({ registrations: [{ name: '', check: healthy }], timeProvider })).toThrow(TypeError);
      expect(
        () => new HealthCheckService({ registrations: [{ name: 'x', check: 'no' as unknown as HealthCheck }], timeProvider }),
      ).toThrow(TypeError);
      expect(
        () => new HealthCheckService({ registrations: [{ name: 'x', check: healthy, failureStatus: 'dead' as never }], timeProvider }),
      ).toThrow(RangeError);
    });

    it('exposes the registrations with their defaults filled in', () => {
      const { service } = setup([{ name: 'db', check: healthy }]);
      expect(service.registrations).toEqual([{ name: 'db', check: healthy, timeout: 30_000, tags: [], failureStatus: 'unhealthy' }]);
    });
  });
});
