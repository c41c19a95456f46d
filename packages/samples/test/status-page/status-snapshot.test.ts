import { systemTimeProvider, type Host } from '@hostkit/core';
import { describe, expect, it } from 'vitest';
import { createApp, type AppRuntime } from '../../src/app.ts';
import { createMemoryClusterBackend } from '../../src/cluster/memory-cluster-backend.ts';
import { HonoServerService } from '@hostkit/adapters/hono';
import type { StatusSnapshot } from '../../src/status-page/status-snapshot.ts';
import { tempDir, testAppRuntime, testConfig } from '../helpers.ts';

const runtime: AppRuntime = testAppRuntime(systemTimeProvider);

async function until<T>(probe: () => Promise<T | undefined>, what: string): Promise<T> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe('GET /status/snapshot', () => {
  it('shows the leader with its fencing token, the follower campaigning, and the shared queue, in cluster mode', async () => {
    await using dir = await tempDir();
    const backend = createMemoryClusterBackend(systemTimeProvider);
    const start = async (replicaId: string): Promise<{ host: Host; url: string }> => {
      const config = testConfig(dir.path, { replicaId, leaseTtlMs: 1_000, services: new Set(['cleanup', 'files']) });
      const host = createApp(config, runtime, { clusterBackend: () => backend, httpDrainTimeoutMs: 0 }).build();
      await host.start();
      return { host, url: host.services.get(HonoServerService).url ?? '' };
    };
    const a = await start('a');
    const b = await start('b');
    try {
      const read = async (url: string): Promise<StatusSnapshot> => (await (await fetch(`${url}/status/snapshot`)).json()) as StatusSnapshot;
      const leader = await until(async () => {
        const snapshot = await read(a.url);
        return snapshot.services.find((service) => service.name === 'CleanupService' && service.leader === true) === undefined ? undefined : snapshot;
      }, 'a to lead the cleanup');
      const cleanup = leader.services.find((service) => service.name === 'CleanupService');
      expect(cleanup).toMatchObject({ state: 'running', leader: true, fencingToken: expect.any(Number) });
      expect(leader.replica).toBe('a');
      expect(leader.queues).toEqual([{ name: expect.any(String), waiting: 0, inFlight: 0, dead: 0 }]);
      expect(leader.channels).toEqual([]);
      const follower = await read(b.url);
      expect(follower.services.find((service) => service.name === 'CleanupService')).toMatchObject({ state: 'campaigning', leader: false, fencingToken: null });
      expect(follower.health.checks.map((check) => check.name)).toContain('hostkit.readiness');
      // curl (no Accept: text/html) still gets the JSON list at /.
      expect((await fetch(`${a.url}/`)).headers.get('content-type')).toContain('application/json');
    } finally {
      await a.host.stop();
      await b.host.stop();
      await a.host.dispose();
      await b.host.dispose();
    }
  }, 60_000);
});
