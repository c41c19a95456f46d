import { describe, expect, it } from 'vitest';
import { createBoundedChannel } from '../../src/channels/index.ts';
import { serviceRegistry } from '../../src/telemetry/instruments.ts';
import { observeService } from '../../src/telemetry/service-telemetry.ts';
import { installTestSdk } from './otel-test-sdk.ts';

describe('telemetry without an SDK', () => {
  it('keeps nothing per service or channel: a process that builds many hosts does not grow', () => {
    const before = serviceRegistry.size;
    for (let i = 0; i < 1_000; i++) {
      observeService({ status: 'running' }, `service ${i}`);
      createBoundedChannel<number>({ capacity: 1, name: `channel ${i}` });
    }
    // Nothing collects without an SDK, so nothing would ever prune what was registered.
    expect(serviceRegistry.size).toBe(before);
  });

  it('observes a service once an SDK is installed', async () => {
    const sdk = installTestSdk();
    try {
      const before = serviceRegistry.size;
      const service = { status: 'running' };
      observeService(service, 'observed');
      expect(serviceRegistry.size).toBe(before + 1);
    } finally {
      await sdk.uninstall();
    }
  });
});
