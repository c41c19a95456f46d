/**
 * OpenTelemetry from the real samples program: pointed at a loopback OTLP/HTTP receiver (written
 * here, node:http on 127.0.0.1) by the standard variables, it exports the spans of an upload (the
 * HTTP request, the channel or the work queue, the processing that wrote the result file) and
 * core's metrics, and flushes them when SIGTERM stops it. On Node with http/json (parsed and
 * checked in detail), on Deno with http/protobuf (the names checked in the bytes), and in cluster
 * mode, where the upload goes through the Redis work queue.
 */
import { describe, expect, it } from 'vitest';
import { dirs, list, upload } from '../file-processing/e2e-support.ts';
import { pollUntil, startApp, type AppRuntime } from './app-process.ts';
import { startOtlpReceiver, type OtlpReceiver, type ReceivedPoint, type ReceivedSpan } from './otlp-receiver.ts';
import { redisUnavailableReason, startRedisServer } from './redis-server.ts';

const TEST_TIMEOUT_MS = 180_000;
const SPAN_KIND = { SERVER: 2, PRODUCER: 4, CONSUMER: 5 } as const;

/** Runs the program against `receiver`, uploads one file, waits for its result, stops it with SIGTERM. */
async function uploadAndStop(
  receiver: OtlpReceiver,
  runtime: AppRuntime,
  protocol: string,
  extraEnv: Record<string, string> = {},
  beforeStop?: () => Promise<unknown>,
): Promise<void> {
  await using app = await startApp({
    runtime,
    startTimeoutMs: 90_000,
    env: {
      SERVICES: 'files',
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_EXPORTER_OTLP_PROTOCOL: protocol,
      OTEL_EXPORTER_OTLP_HEADERS: 'x-otlp-token=secret-1',
      OTEL_SERVICE_NAME: 'samples-e2e',
      ...extraEnv,
    },
  });
  const response = await upload(app, 'traced.txt', 'one line\nand another');
  expect({ status: response.status, body: response.body }).toMatchObject({ status: 202 });
  const { outbox } = dirs(app.dataDir);
  await pollUntil(async () => ((await list(outbox)).some((name) => name.endsWith('.result.json')) ? true : undefined), {
    timeoutMs: 60_000,
    description: 'the result file',
  });
  await beforeStop?.();
  app.kill('SIGTERM');
  const exit = await app.waitForExit(60_000);
  expect({ ...exit, output: exit.code === 0 ? '' : app.output() }).toEqual({ code: 0, signal: null, output: '' });
  expect(app.output()).toContain('OpenTelemetry: traces');
}

function one(spans: readonly ReceivedSpan[], name: string): ReceivedSpan {
  const found = spans.filter((span) => span.name === name);
  expect({ found: found.length, names: found.length === 1 ? [] : [...new Set(spans.map((span) => span.name))] }).toEqual({ found: 1, names: [] });
  return found[0] as ReceivedSpan;
}

function pointsOf(points: readonly ReceivedPoint[], metric: string, attributes: Record<string, unknown> = {}): ReceivedPoint[] {
  return points.filter((point) => point.metric === metric && Object.entries(attributes).every(([key, value]) => point.attributes[key] === value));
}

/** The last value exported for `metric` (cumulative sums and gauges: the latest is the total). */
function last(points: readonly ReceivedPoint[], metric: string, attributes: Record<string, unknown> = {}): ReceivedPoint | undefined {
  return pointsOf(points, metric, attributes).at(-1);
}

describe('telemetry of the samples program', () => {
  it(
    'exports the upload trace from the HTTP request through the channel to the result file, and core metrics, over http/json on Node',
    async () => {
      await using receiver = await startOtlpReceiver();
      await uploadAndStop(receiver, 'node', 'http/json');
      expect(receiver.requests.every((request) => request.headers['x-otlp-token'] === 'secret-1')).toBe(true);
      expect(receiver.requests.every((request) => request.headers['content-type'] === 'application/json')).toBe(true);
      const spans = receiver.spans();
      const request = one(spans, 'POST /upload');
      expect(request.kind).toBe(SPAN_KIND.SERVER);
      expect(request.attributes).toMatchObject({ 'http.request.method': 'POST', 'http.route': '/upload', 'http.response.status_code': 202 });
      expect(request.resource['service.name']).toBe('samples-e2e');
      const processed = one(spans, 'process files');
      expect(processed.kind).toBe(SPAN_KIND.CONSUMER);
      expect(processed.traceId).toBe(request.traceId);
      expect(processed.parentSpanId).toBe(request.spanId);
      expect(processed.attributes['samples.file.name']).toMatch(/--traced\.txt$/);
      expect(processed.attributes['samples.file.result']).toMatch(/\.result\.json$/);
      expect(spans.some((span) => span.name.startsWith('execute ') && span.attributes['hostkit.service.name'] !== undefined)).toBe(true);

      const points = receiver.points();
      const files = { 'hostkit.channel.name': 'files' };
      expect(last(points, 'hostkit.channel.written', files)?.value).toBe(1);
      expect(last(points, 'hostkit.channel.read', files)?.value).toBe(1);
      expect(last(points, 'hostkit.channel.depth', files)?.value).toBe(0);
      expect(last(points, 'hostkit.channel.dropped', files)?.value).toBe(0);
      expect(last(points, 'hostkit.host.start.duration')?.count).toBe(1);
      expect(last(points, 'hostkit.host.stop.duration')?.count).toBe(1);
      expect(last(points, 'hostkit.host.exit_code')?.value).toBe(0);
      // Exported at stop: the service has completed by then.
      const status = { 'hostkit.service.name': 'FileProcessingService' };
      expect(last(points, 'hostkit.background_service.status', { ...status, 'hostkit.service.status': 'completed' })?.value).toBe(1);
      expect(last(points, 'hostkit.background_service.status', { ...status, 'hostkit.service.status': 'running' })?.value).toBe(0);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'exports over http/protobuf on Deno',
    async () => {
      await using receiver = await startOtlpReceiver();
      await uploadAndStop(receiver, 'deno', 'http/protobuf');
      const traces = receiver.requests.filter((request) => request.path === '/v1/traces');
      const metrics = receiver.requests.filter((request) => request.path === '/v1/metrics');
      expect(traces.length).toBeGreaterThan(0);
      expect(metrics.length).toBeGreaterThan(0);
      expect(receiver.requests.every((request) => request.headers['content-type'] === 'application/x-protobuf')).toBe(true);
      const traceBytes = Buffer.concat(traces.map((request) => request.body)).toString('latin1');
      for (const name of ['POST /upload', 'process files', 'samples-e2e']) expect(traceBytes).toContain(name);
      const metricBytes = Buffer.concat(metrics.map((request) => request.body)).toString('latin1');
      for (const name of ['hostkit.channel.written', 'hostkit.host.stop.duration', 'hostkit.background_service.status']) expect(metricBytes).toContain(name);
    },
    TEST_TIMEOUT_MS,
  );

  const noRedis = redisUnavailableReason();
  it.skipIf(noRedis !== undefined)(
    'exports the send and process spans of the work queue, linked, and the queue metrics, in cluster mode',
    async () => {
      await using redis = await startRedisServer();
      await using receiver = await startOtlpReceiver();
      // The queue's depth is read from Redis at each collection: one periodic export while it runs.
      const env = { REDIS_URL: redis.url, REPLICA_ID: 'r1', WORK_VISIBILITY_TIMEOUT_MS: '4000', OTEL_METRIC_EXPORT_INTERVAL: '300' };
      await uploadAndStop(receiver, 'node', 'http/json', env, () =>
        pollUntil(() => (receiver.points().some((point) => point.metric === 'hostkit.work_queue.depth') ? true : undefined), {
          timeoutMs: 30_000,
          description: 'a periodic export with the queue depth',
        }),
      );
      const spans = receiver.spans();
      const request = one(spans, 'POST /upload');
      const sends = spans.filter((span) => span.name.startsWith('send ') && span.traceId === request.traceId);
      expect(sends).toHaveLength(1);
      const send = sends[0] as ReceivedSpan;
      const queue = send.attributes['messaging.destination.name'] as string;
      expect(send.kind).toBe(SPAN_KIND.PRODUCER);
      expect(send.parentSpanId).toBe(request.spanId);
      expect(send.attributes).toMatchObject({ 'messaging.system': 'redis', 'messaging.operation.type': 'send' });
      const process = spans.find((span) => span.name === `process ${queue}` && span.parentSpanId === send.spanId);
      expect(process?.kind).toBe(SPAN_KIND.CONSUMER);
      expect(process?.links).toEqual([{ traceId: send.traceId, spanId: send.spanId }]);
      expect(process?.attributes).toMatchObject({
        'messaging.system': 'redis',
        'messaging.message.id': send.attributes['messaging.message.id'],
        'messaging.consumer.group.name': expect.any(String),
        'hostkit.work_queue.delivery_count': 1,
      });
      expect(process?.attributes['samples.file.result']).toMatch(/\.result\.json$/);
      expect(spans.some((span) => span.name === `ack ${queue}` && span.parentSpanId === process?.spanId)).toBe(true);
      const points = receiver.points();
      const at = { 'messaging.destination.name': queue };
      expect(last(points, 'messaging.client.sent.messages', at)?.value).toBeGreaterThanOrEqual(1);
      expect(last(points, 'hostkit.work_queue.processed', at)?.value).toBeGreaterThanOrEqual(1);
      expect(last(points, 'messaging.process.duration', at)?.count).toBeGreaterThanOrEqual(1);
      expect(pointsOf(points, 'hostkit.work_queue.depth', at).map((point) => point.attributes['hostkit.work_queue.state'])).toContain('dead');
      expect(last(points, 'hostkit.lease.acquired')?.value).toBeGreaterThanOrEqual(1);
    },
    TEST_TIMEOUT_MS,
  );
});
