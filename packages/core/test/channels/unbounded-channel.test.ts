import { describe, expect, it } from 'vitest';
import { createUnboundedChannel } from '../../src/channels/index.ts';
import { flush, track } from './channel-test-helpers.ts';

describe('createUnboundedChannel', () => {
  it('accepts every write at once, however many', async () => {
    const { reader, writer } = createUnboundedChannel<number>();
    for (let i = 0; i < 10_000; i++) expect(writer.tryWrite(i)).toBe(true);
    const write = track(writer.write(10_000));
    await flush();
    expect(write.status).toBe('fulfilled');
    expect(reader.count).toBe(10_001);
    for (let i = 0; i <= 10_000; i++) expect(reader.tryRead()).toEqual({ ok: true, value: i });
    expect(reader.count).toBe(0);
  });

  it('resolves waitToWrite with true until completed', async () => {
    const { writer } = createUnboundedChannel<number>();
    for (let i = 0; i < 100; i++) writer.tryWrite(i);
    await expect(writer.waitToWrite()).resolves.toBe(true);
    writer.complete();
    await expect(writer.waitToWrite()).resolves.toBe(false);
  });

  it('keeps every item readable after completion and settles completion once drained', async () => {
    const { reader, writer } = createUnboundedChannel<string>();
    for (const item of ['a', 'b', 'c']) writer.tryWrite(item);
    writer.complete();
    const completion = track(reader.completion);
    const received: string[] = [];
    for await (const item of reader) {
      await flush();
      // Settled exactly when the item just taken was the last one.
      expect(completion.status).toBe(item === 'c' ? 'fulfilled' : 'pending');
      received.push(item);
    }
    await flush();
    expect(received).toEqual(['a', 'b', 'c']);
    expect(completion.status).toBe('fulfilled');
  });

  it('never drops: droppedCount stays zero', () => {
    const channel = createUnboundedChannel<number>({});
    for (let i = 0; i < 1000; i++) channel.writer.tryWrite(i);
    expect(channel.droppedCount).toBe(0);
  });

  it('throws a TypeError naming the value when options is not an object', () => {
    expect(() => createUnboundedChannel(5 as never)).toThrow(new TypeError('Expected options to be an object, got 5 (number)'));
    expect(() => createUnboundedChannel(null as never)).toThrow(new TypeError('Expected options to be an object, got null (null)'));
  });
});
