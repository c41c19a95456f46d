import process from 'node:process';
import { PeriodicTimer } from '@hostkit/core';
import { describe, expect, it } from 'vitest';
import { nodeTimeProvider } from '@hostkit/adapters/node';

/** The timers holding the event loop open; unref'd ones are not listed. */
function refTimerCount(): number {
  return process.getActiveResourcesInfo().filter((resource) => resource === 'Timeout').length;
}

// Real timers, on purpose: what is tested is how they hold Node's event loop. The waits are a few ms.
describe('NodeTimeProvider', () => {
  it('fires its timers when something else holds the process open', async () => {
    const began = nodeTimeProvider.timestamp();

    await nodeTimeProvider.delay(5);

    expect(nodeTimeProvider.elapsedSince(began)).toBeGreaterThanOrEqual(4);
  });

  it('does not hold the event loop open with a pending timer', () => {
    const before = refTimerCount();

    using timer = nodeTimeProvider.createTimer(() => undefined, 600_000);

    expect(refTimerCount()).toBe(before);
    void timer;
  });

  it('does not hold the event loop open with a periodic timer once it has re-armed', async () => {
    const before = refTimerCount();
    using timer = new PeriodicTimer(2, { timeProvider: nodeTimeProvider });

    expect(await timer.waitForNextTick()).toBe(true);

    expect(refTimerCount()).toBe(before);
  });
});
