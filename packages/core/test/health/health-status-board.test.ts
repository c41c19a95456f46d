import { describe, expect, it } from 'vitest';
import { ManualTimeProvider } from '../../src/testing/index.ts';
import {
  createReadinessCheck,
  HealthCheckService,
  HealthCheckTags,
  HealthStatusBoard,
  HostHealthCheckNames,
} from '../../src/health/index.ts';

function setup() {
  const board = new HealthStatusBoard();
  const service = new HealthCheckService({ registrations: board.createRegistrations(), timeProvider: new ManualTimeProvider() });
  return { board, service };
}

describe('HealthStatusBoard', () => {
  it('reports services healthy until one is reported faulted, then unhealthy with its error', async () => {
    const { board, service } = setup();
    board.markReady();
    expect((await service.checkHealth({ tags: [HealthCheckTags.live] })).status).toBe('healthy');
    const error = new Error('queue gone');
    board.reportFaulted('worker', error);
    const report = await service.checkHealth({ tags: [HealthCheckTags.live] });
    expect(report.status).toBe('unhealthy');
    expect(report.entries[HostHealthCheckNames.services]).toMatchObject({
      status: 'unhealthy',
      description: 'worker: Faulted: queue gone',
      error,
      data: { worker: { status: 'unhealthy', description: 'Faulted: queue gone' } },
    });
  });

  it('lets the worst service notice win and aggregates several errors', async () => {
    const { board, service } = setup();
    board.reportDegraded('indexer', 'Restarting (attempt 2)', new Error('first'));
    expect((await service.checkHealth({ tags: [HealthCheckTags.live] })).status).toBe('degraded');
    board.reportFaulted('worker', new Error('second'));
    const entry = (await service.checkHealth({ tags: [HealthCheckTags.live] })).entries[HostHealthCheckNames.services];
    expect(entry?.status).toBe('unhealthy');
    expect(entry?.error).toBeInstanceOf(AggregateError);
    board.clear('worker');
    board.clear('indexer');
    expect((await service.checkHealth({ tags: [HealthCheckTags.live] })).status).toBe('healthy');
  });

  it('reports not ready while starting, ready once marked, and not ready again for good once stopping', async () => {
    const { board, service } = setup();
    const readiness = async () => (await service.checkHealth({ tags: [HealthCheckTags.ready] })).entries[HostHealthCheckNames.readiness];
    expect(await readiness()).toMatchObject({ status: 'unhealthy', description: 'The host has not finished starting' });
    board.markReady();
    expect(board.isReady).toBe(true);
    expect(await readiness()).toMatchObject({ status: 'healthy' });
    board.markStopping();
    board.markReady();
    expect(board.readiness).toBe('stopping');
    expect(await readiness()).toMatchObject({ status: 'unhealthy', description: 'The host is stopping' });
  });

  it('tags the services check live and ready, and the readiness check ready only', () => {
    const tags = Object.fromEntries(new HealthStatusBoard().createRegistrations().map((registration) => [registration.name, registration.tags]));
    expect(tags).toEqual({ 'hostkit.services': ['live', 'ready'], 'hostkit.readiness': ['ready'] });
  });
});

describe('createReadinessCheck', () => {
  it('is healthy while isReady returns true and unhealthy otherwise', async () => {
    let ready = false;
    const check = createReadinessCheck(() => ready, { notReadyDescription: 'Cache warming' });
    const signal = new AbortController().signal;
    expect(await check(signal)).toEqual({ status: 'unhealthy', description: 'Cache warming' });
    ready = true;
    expect(await check(signal)).toEqual({ status: 'healthy', description: 'Ready' });
  });
});
