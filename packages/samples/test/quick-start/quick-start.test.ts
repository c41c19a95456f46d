import { MemoryLogSink, type Host } from '@hostkit/core';
import { ManualTimeProvider } from '@hostkit/core/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { Database, LogStore, createQuickStartBuilder } from '../../src/quick-start/main.ts';

describe('quick start', () => {
  let host: Host | undefined;
  afterEach(async () => {
    await host?.dispose();
    host = undefined;
  });

  async function startQuickStart(
    configure?: (builder: ReturnType<typeof createQuickStartBuilder>) => void,
  ): Promise<{ time: ManualTimeProvider; logs: MemoryLogSink; host: Host }> {
    const time = new ManualTimeProvider({ now: Date.UTC(2026, 10, 21) });
    const logs = new MemoryLogSink();
    const builder = createQuickStartBuilder({ timeProvider: time });
    builder.logging.clearSinks().addSink(logs);
    configure?.(builder);
    host = builder.build();
    await host.start();
    return { time, logs, host };
  }

  it('deletes rows older than a minute once per period, each tick in its own scope', async () => {
    const { time, logs, host } = await startQuickStart();
    const database = host.services.get(Database);
    database.rows.push(time.now() - 120_000, time.now() - 90_000, time.now() + 5_000);

    await time.advance(999);
    expect(logs.filter({ messageIncludes: 'Cleanup tick' })).toHaveLength(0);
    await time.advance(1);
    const ticks = logs.filter({ messageIncludes: 'Cleanup tick' });
    expect(ticks.map((record) => record.fields?.['deleted'])).toEqual([2]);
    expect(database.rows).toHaveLength(1);
  });

  it('gives each tick its own store and disposes it when the tick ends', async () => {
    const created: LogStore[] = [];
    const { time } = await startQuickStart((builder) => {
      // A later registration of the same token wins: record every store the ticks are given.
      builder.services.addScoped(LogStore, [Database], (database) => {
        const store = new LogStore(database);
        created.push(store);
        return store;
      });
    });
    await time.advance(2_000);
    expect(created).toHaveLength(2);
    expect(created[0]).not.toBe(created[1]);
    for (const store of created) expect(() => store.deleteOlderThan(0)).toThrow('LogStore used after its scope ended');
  });

  it('stops promptly between ticks instead of waiting out the period', async () => {
    const { time, host } = await startQuickStart();
    await time.advance(1_500);
    const stopped = host.stop();
    await time.flush();
    await expect(stopped).resolves.toBeUndefined();
  });
});
