import { describe, expect, it } from 'vitest';
import { HealthCheckTags, HostHealthCheckNames, type HealthStatus } from '../../src/health/index.ts';
import { HealthCheckServiceToken, type Host } from '../../src/hosting/index.ts';
import { addBackground, addRecording, buildHost, createHarness } from './hosting-test-helpers.ts';

async function readiness(host: Host): Promise<HealthStatus> {
  const report = await host.services.get(HealthCheckServiceToken).checkHealth({ tags: [HealthCheckTags.ready] });
  return report.entries[HostHealthCheckNames.readiness]?.status ?? 'healthy';
}

async function services(host: Host): Promise<{ status: HealthStatus; description: string | undefined }> {
  const report = await host.services.get(HealthCheckServiceToken).checkHealth({ tags: [HealthCheckTags.live] });
  const entry = report.entries[HostHealthCheckNames.services];
  return { status: entry?.status ?? 'healthy', description: entry?.description };
}

describe('Host health', () => {
  it('is not ready before it has started, and ready once started', async () => {
    const harness = createHarness();
    const host = buildHost(harness);

    expect(await readiness(host)).toBe('unhealthy');
    await host.start();
    expect(await readiness(host)).toBe('healthy');
    await host.stop();
  });

  it('turns readiness false as soon as the application is asked to stop, before any service stops (unlike .NET)', async () => {
    const harness = createHarness();
    const host = buildHost(harness);
    await host.start();

    host.applicationLifetime.stopApplication();

    expect(await readiness(host)).toBe('unhealthy');
    expect(host.phase).toBe('started');
  });

  it('is already not ready when the stopping hooks run in a direct stop()', async () => {
    const harness = createHarness();
    let readyInHook: HealthStatus | undefined;
    let host: Host | undefined;
    addRecording(harness, 'A', {
      stopping: async () => {
        readyInHook = await readiness(host as Host);
      },
    });
    host = buildHost(harness);
    await host.start();

    await host.stop();

    expect(readyInHook).toBe('unhealthy');
  });

  it('reports a faulted background service unhealthy by itself, naming it', async () => {
    const harness = createHarness({ backgroundServiceExceptionBehavior: 'ignore' });
    addBackground(harness, 'Worker', () => Promise.reject(new Error('queue unreachable')));
    const host = buildHost(harness);
    await host.start();
    await harness.time.flush();

    const result = await services(host);

    expect(result.status).toBe('unhealthy');
    expect(result.description).toContain('Worker');
    expect(result.description).toContain('queue unreachable');
    await host.stop();
  });

  it('reports a background service degraded while its restart policy retries, and healthy once it runs again', async () => {
    const harness = createHarness();
    addBackground(
      harness,
      'Worker',
      (stopping, self) => (self.executions === 1 ? Promise.reject(new Error('flaky')) : harness.time.delay(60_000, stopping)),
      { restartPolicy: { maxAttempts: 3, initialDelay: 1_000, random: () => 0.5 } },
    );
    const host = buildHost(harness);
    await host.start();
    await harness.time.flush();

    expect((await services(host)).status).toBe('degraded');
    await harness.time.advance(1_000);
    expect((await services(host)).status).toBe('healthy');
    await host.stop();
  });

  it('runs the application\'s own checks beside the host\'s', async () => {
    const harness = createHarness();
    harness.builder.healthChecks.add({ name: 'db', check: () => ({ status: 'degraded', description: 'slow' }), tags: [HealthCheckTags.ready] });
    const host = buildHost(harness);
    await host.start();

    const report = await host.services.get(HealthCheckServiceToken).checkHealth();

    expect(Object.keys(report.entries)).toEqual([HostHealthCheckNames.services, HostHealthCheckNames.readiness, 'db']);
    expect(report.status).toBe('degraded');
    await host.stop();
  });

  it('measures health check timeouts on the host clock', async () => {
    const harness = createHarness();
    harness.builder.healthChecks.add({ name: 'hung', check: () => new Promise(() => {}), timeout: 500 });
    const host = buildHost(harness);

    const checking = host.services.get(HealthCheckServiceToken).checkHealth();
    await harness.time.advance(500);

    expect((await checking).entries['hung']?.status).toBe('unhealthy');
  });
});
