import { describe, expect, it } from 'vitest';
import { ChannelClosedError, createBoundedChannel } from '../../src/channels/index.ts';
import { flush, track } from './channel-test-helpers.ts';

describe('createBoundedChannel with capacity 0 (rendezvous)', () => {
  it('completes a write only when a reader takes the item', async () => {
    const { reader, writer } = createBoundedChannel<string>(0);
    const write = track(writer.write('hand-off'));
    await flush();
    expect(write.status).toBe('pending');
    expect(await reader.read()).toBe('hand-off');
    await flush();
    expect(write.status).toBe('fulfilled');
  });

  it('completes a write at once when a reader is already waiting', async () => {
    const { reader, writer } = createBoundedChannel<string>(0);
    const read = reader.read();
    await writer.write('hand-off');
    expect(await read).toBe('hand-off');
  });

  it('returns false from tryWrite when no reader is waiting and true when one is', async () => {
    const { reader, writer } = createBoundedChannel<number>(0);
    expect(writer.tryWrite(1)).toBe(false);
    const read = reader.read();
    expect(writer.tryWrite(2)).toBe(true);
    expect(await read).toBe(2);
    expect(writer.tryWrite(3)).toBe(false);
  });

  it('treats a waiting for-await step and a pending stream read as waiting readers', async () => {
    const { reader, writer } = createBoundedChannel<number>(0);
    const step = reader.readAll().next();
    expect(writer.tryWrite(1)).toBe(true);
    expect(await step).toEqual({ value: 1, done: false });
    const streamRead = reader.toReadableStream().getReader().read();
    await flush();
    expect(writer.tryWrite(2)).toBe(true);
    expect(await streamRead).toEqual({ value: 2, done: false });
  });

  it("exposes a waiting writer's item through waitToRead, tryPeek and count", async () => {
    const { reader, writer } = createBoundedChannel<string>(0);
    expect(reader.count).toBe(0);
    const wait = track(reader.waitToRead());
    const write = track(writer.write('offered'));
    await flush();
    expect(wait).toEqual({ status: 'fulfilled', value: true });
    expect(reader.count).toBe(1);
    expect(reader.tryPeek()).toEqual({ ok: true, value: 'offered' });
    expect(write.status).toBe('pending');
    expect(reader.tryRead()).toEqual({ ok: true, value: 'offered' });
    expect(reader.count).toBe(0);
    await flush();
    expect(write.status).toBe('fulfilled');
  });

  it('serves waiting writers in the order they started waiting', async () => {
    const { reader, writer } = createBoundedChannel<number>(0);
    const writes = [1, 2, 3].map((item) => track(writer.write(item)));
    expect(reader.count).toBe(3);
    expect(await reader.read()).toBe(1);
    await flush();
    expect(writes.map((write) => write.status)).toEqual(['fulfilled', 'pending', 'pending']);
    expect([await reader.read(), await reader.read()]).toEqual([2, 3]);
  });

  it('resolves waitToWrite only once a reader waits in read', async () => {
    const { reader, writer } = createBoundedChannel<number>(0);
    const wait = track(writer.waitToWrite());
    const waitToRead = track(reader.waitToRead());
    await flush();
    expect(wait.status).toBe('pending');
    const read = reader.read();
    await flush();
    expect(wait).toEqual({ status: 'fulfilled', value: true });
    expect(writer.tryWrite(9)).toBe(true);
    expect(await read).toBe(9);
    expect(waitToRead.status).toBe('pending');
    writer.complete();
    await flush();
    expect(waitToRead).toEqual({ status: 'fulfilled', value: false });
  });

  it('writes nothing for a cancelled pending write', async () => {
    const { reader, writer } = createBoundedChannel<string>(0);
    const controller = new AbortController();
    const write = track(writer.write('withdrawn', controller.signal));
    expect(reader.count).toBe(1);
    controller.abort('changed my mind');
    await flush();
    expect(write).toEqual({ status: 'rejected', reason: 'changed my mind' });
    expect(reader.count).toBe(0);
    expect(reader.tryRead()).toEqual({ ok: false });
  });

  it('rejects waiting writers when completed, so their items are never read', async () => {
    const { reader, writer } = createBoundedChannel<string>(0);
    const write = track(writer.write('never read'));
    const completion = track(reader.completion);
    writer.complete();
    await flush();
    expect(write.status).toBe('rejected');
    expect(write.reason).toBeInstanceOf(ChannelClosedError);
    expect(reader.tryRead()).toEqual({ ok: false });
    expect(completion.status).toBe('fulfilled');
  });

  it.each(['dropNewest', 'dropOldest', 'dropWrite'] as const)('throws a RangeError for capacity 0 with fullMode %s', (fullMode) => {
    expect(() => createBoundedChannel({ capacity: 0, fullMode })).toThrow(
      new RangeError(
        `Expected fullMode to be 'wait' when capacity is 0 (a rendezvous channel has no buffer to drop from), got "${fullMode}" (string)`,
      ),
    );
  });
});
