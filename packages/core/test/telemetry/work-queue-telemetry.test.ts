import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SpanKind, SpanStatusCode, context, trace } from '@opentelemetry/api';
import { ManualTimeProvider } from '@hostkit/core/testing';
import { consumeWorkQueue, MemoryWorkQueue } from '../../src/work-queue/index.ts';
import { TelemetryNames as N } from '../../src/telemetry/index.ts';
import { installTestSdk, type TestSdk } from './otel-test-sdk.ts';

let sdk: TestSdk;
beforeEach(() => {
  sdk = installTestSdk();
});
afterEach(async () => {
  await sdk.uninstall();
});

/** Consumes `queue` until `count` deliveries were settled, then stops. */
async function consume(queue: MemoryWorkQueue<{ n: number }>, handler: (payload: { n: number }) => Promise<void>, settled: () => boolean, time?: ManualTimeProvider): Promise<void> {
  const controller = new AbortController();
  const done = consumeWorkQueue(queue, (payload) => handler(payload), { signal: controller.signal, timeProvider: time });
  for (let i = 0; i < 1000 && !settled(); i++) await new Promise((resolve) => setImmediate(resolve));
  controller.abort();
  await done;
}

describe('work-queue telemetry', () => {
  it('records send and process spans linked through the entry headers, and the settlement, when an SDK is installed', async () => {
    const queue = new MemoryWorkQueue<{ n: number }>('jobs');
    const parent = trace.getTracer('test').startSpan('request');
    const id = await context.with(trace.setSpan(context.active(), parent), () => queue.enqueue({ n: 1 }));
    parent.end();
    let inHandler: string | undefined;
    await consume(
      queue,
      async () => {
        inHandler = trace.getActiveSpan()?.spanContext().spanId;
      },
      () => sdk.spansNamed('ack jobs').length === 1,
    );
    const [send] = sdk.spansNamed('send jobs');
    const [process] = sdk.spansNamed('process jobs');
    const [ack] = sdk.spansNamed('ack jobs');
    expect(send?.kind).toBe(SpanKind.PRODUCER);
    expect(send?.parentSpanContext?.spanId).toBe(parent.spanContext().spanId);
    expect(send?.attributes).toMatchObject({
      [N.MessagingSystem]: 'hostkit.memory',
      [N.MessagingDestinationName]: 'jobs',
      [N.MessagingMessageId]: id,
      [N.MessagingOperationType]: 'send',
    });
    expect(process?.kind).toBe(SpanKind.CONSUMER);
    expect(process?.spanContext().traceId).toBe(parent.spanContext().traceId);
    expect(process?.parentSpanContext?.spanId).toBe(send?.spanContext().spanId);
    expect(process?.links.map((link) => link.context.spanId)).toEqual([send?.spanContext().spanId]);
    expect(process?.attributes).toMatchObject({
      [N.MessagingSystem]: 'hostkit.memory',
      [N.MessagingDestinationName]: 'jobs',
      [N.MessagingMessageId]: id,
      [N.MessagingConsumerGroupName]: 'jobs',
      [N.WorkQueueDeliveryCount]: 1,
      [N.MessagingOperationType]: 'process',
    });
    expect(inHandler).toBe(process?.spanContext().spanId);
    expect(ack?.parentSpanContext?.spanId).toBe(process?.spanContext().spanId);
    expect(ack?.attributes).toMatchObject({ [N.MessagingOperationType]: 'settle', [N.MessagingOperationName]: 'ack' });
  });

  it('marks a failed handler and counts sent, consumed, processed, failed and dead-lettered', async () => {
    const time = new ManualTimeProvider();
    const queue = new MemoryWorkQueue<{ n: number }>('jobs', { timeProvider: time, maxDeliveries: 1 });
    await queue.enqueueMany([{ n: 1 }, { n: 2 }]);
    await consume(
      queue,
      async ({ n }) => {
        await time.advance(250);
        if (n === 2) throw new TypeError('bad job');
      },
      () => sdk.spansNamed('ack jobs').length + sdk.spansNamed('nack jobs').length === 2,
      time,
    );
    const [send] = sdk.spansNamed('send jobs');
    expect(send?.attributes[N.MessagingBatchMessageCount]).toBe(2);
    const failed = sdk.spansNamed('process jobs').find((span) => span.status.code === SpanStatusCode.ERROR);
    expect(failed?.attributes[N.ErrorType]).toBe('TypeError');
    expect(failed?.events.map((event) => event.name)).toContain('exception');
    const base = { [N.MessagingDestinationName]: 'jobs', [N.MessagingSystem]: 'hostkit.memory' };
    expect((await sdk.points(N.SentMessages, base))[0]?.value).toBe(2);
    expect((await sdk.points(N.ConsumedMessages, base))[0]?.value).toBe(2);
    expect((await sdk.points(N.WorkQueueProcessed, base))[0]?.value).toBe(1);
    expect((await sdk.points(N.WorkQueueFailed, base))[0]?.value).toBe(1);
    expect((await sdk.points(N.WorkQueueDeadLettered, base))[0]?.value).toBe(1);
    const durations = await sdk.points(N.ProcessDuration, base);
    const failedDuration = durations.find((point) => point.attributes[N.ErrorType] === 'TypeError')?.value as { sum: number; count: number };
    expect(failedDuration).toMatchObject({ count: 1, sum: 0.25 });
    const depth = await sdk.points(N.WorkQueueDepth, { [N.MessagingDestinationName]: 'jobs' });
    expect(Object.fromEntries(depth.map((point) => [point.attributes[N.WorkQueueState], point.value]))).toEqual({ waiting: 0, in_flight: 0, dead: 1 });
  });

  it('stores no headers and records nothing when no SDK is installed', async () => {
    await sdk.uninstall();
    const queue = new MemoryWorkQueue<{ n: number }>('bare');
    await queue.enqueue({ n: 1 });
    const item = await queue.receive(new AbortController().signal);
    expect(item.headers).toEqual({});
    sdk = installTestSdk();
    expect(sdk.spans.getFinishedSpans()).toEqual([]);
  });
});
