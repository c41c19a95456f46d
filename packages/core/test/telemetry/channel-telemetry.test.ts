import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createBoundedChannel, createUnboundedChannel } from '../../src/channels/index.ts';
import { TelemetryNames as N } from '../../src/telemetry/index.ts';
import { installTestSdk, type TestSdk } from './otel-test-sdk.ts';

let sdk: TestSdk;
beforeEach(() => {
  sdk = installTestSdk();
});
afterEach(async () => {
  await sdk.uninstall();
});

describe('channel telemetry', () => {
  it('reports depth, written, read and dropped of a named channel', async () => {
    const channel = createBoundedChannel<number>({ capacity: 2, fullMode: 'dropOldest', name: 'uploads' });
    for (let i = 0; i < 5; i++) channel.writer.tryWrite(i);
    channel.reader.tryRead();
    const at = { [N.ChannelName]: 'uploads' };
    expect((await sdk.points(N.ChannelDepth, at))[0]?.value).toBe(1);
    expect((await sdk.points(N.ChannelWritten, at))[0]?.value).toBe(5);
    expect((await sdk.points(N.ChannelRead, at))[0]?.value).toBe(1);
    expect((await sdk.points(N.ChannelDropped, at))[0]?.value).toBe(3);
  });

  it('records how long a write waited for room, and only for writes that waited', async () => {
    const channel = createBoundedChannel<number>({ capacity: 1, name: 'waits' });
    await channel.writer.write(1);
    const waiting = channel.writer.write(2);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(channel.reader.tryRead()).toEqual({ ok: true, value: 1 });
    await waiting;
    const [point] = await sdk.points(N.ChannelWriteWait, { [N.ChannelName]: 'waits' });
    const histogram = point?.value as { count: number; sum: number };
    expect(histogram.count).toBe(1);
    expect(histogram.sum).toBeGreaterThanOrEqual(0.015);
  });

  it('measures no unnamed channel, and rejects an empty name', async () => {
    const channel = createUnboundedChannel<number>();
    channel.writer.tryWrite(1);
    const names = (await sdk.points(N.ChannelWritten)).map((point) => point.attributes[N.ChannelName]);
    expect(names).not.toContain('');
    expect(() => createUnboundedChannel({ name: '' })).toThrow(RangeError);
    expect(() => createBoundedChannel({ capacity: 1, name: 7 as unknown as string })).toThrow(TypeError);
  });
});
