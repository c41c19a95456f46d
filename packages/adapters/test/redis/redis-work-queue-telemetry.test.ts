import { afterEach, beforeEach, expect, it } from 'vitest';
import { context, SpanKind, trace } from '@opentelemetry/api';
import { consumeWorkQueue, TelemetryNames as N } from '@hostkit/core';
import { installTestSdk, type TestSdk } from '../../../core/test/telemetry/otel-test-sdk.ts';
import { RedisWorkQueue } from '../../src/redis/index.ts';
import { connectTestRedis, deleteKeys, describeWithRedis, redisSuiteOptions, uniquePrefix, until } from './redis-test-server.ts';

describeWithRedis('RedisWorkQueue telemetry', redisSuiteOptions, () => {
  let sdk: TestSdk;
  beforeEach(() => {
    sdk = installTestSdk();
  });
  afterEach(async () => {
    await sdk.uninstall();
  });

  it('stores the send span context with the entry, and the consumer continues that trace with a linked process span', async () => {
    const connection = await connectTestRedis();
    const keyPrefix = uniquePrefix();
    const queue = new RedisWorkQueue<{ file: string }>({ connection, name: 'jobs', keyPrefix, group: 'converters', pollIntervalMs: 50, maxDeliveries: 1 });
    try {
      const request = trace.getTracer('test').startSpan('request');
      const ids = await context.with(trace.setSpan(context.active(), request), async () => [
        await queue.enqueue({ file: 'a.txt' }),
        await queue.enqueue({ file: 'b.txt' }, { delayMs: 50 }),
      ]);
      request.end();
      const controller = new AbortController();
      const handled: string[] = [];
      const consuming = consumeWorkQueue(
        queue,
        async (payload) => {
          handled.push(payload.file);
          if (payload.file === 'b.txt') throw new Error('poison');
        },
        { signal: controller.signal },
      );
      await until(() => sdk.spansNamed('ack jobs').length === 1 && sdk.spansNamed('nack jobs').length === 1, 10_000, 'both settled');
      controller.abort();
      await consuming;
      expect(handled.sort()).toEqual(['a.txt', 'b.txt']);
      const sends = sdk.spansNamed('send jobs');
      const processes = sdk.spansNamed('process jobs');
      expect(sends.map((span) => span.kind)).toEqual([SpanKind.PRODUCER, SpanKind.PRODUCER]);
      for (const [index, id] of ids.entries()) {
        const send = sends.find((span) => span.attributes[N.MessagingMessageId] === id);
        const process = processes.find((span) => span.attributes[N.MessagingMessageId] === id);
        expect(send?.attributes).toMatchObject({ [N.MessagingSystem]: 'redis', [N.MessagingDestinationName]: 'jobs' });
        expect(send?.spanContext().traceId, `entry ${index}`).toBe(request.spanContext().traceId);
        expect(process?.parentSpanContext?.spanId).toBe(send?.spanContext().spanId);
        expect(process?.links[0]?.context.spanId).toBe(send?.spanContext().spanId);
        expect(process?.attributes).toMatchObject({ [N.MessagingConsumerGroupName]: 'converters', [N.WorkQueueDeliveryCount]: 1 });
      }
      const [dead] = await queue.deadLetters();
      const nack = sdk.spansNamed('nack jobs')[0];
      expect({ dead: dead?.payload, nack: nack?.status, events: nack?.events.map((event) => event.attributes) }).toEqual({
        dead: { file: 'b.txt' },
        nack: { code: 0 },
        events: [],
      });
      expect((await sdk.points(N.WorkQueueDeadLettered, { [N.MessagingSystem]: 'redis' }))[0]?.value).toBe(1);
    } finally {
      await queue.close();
      await deleteKeys(connection, keyPrefix);
      await connection.close();
    }
  });
});
