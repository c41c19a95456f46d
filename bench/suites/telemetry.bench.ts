/**
 * Telemetry overhead: what core's OpenTelemetry instrumentation costs a channel and a work queue
 * when the application installs no SDK (the judged ratios, target >= 0.95), and, reported only,
 * when it installs one whose exporters drop everything.
 *
 * Both sides of a judged pair run in the same rounds of one process (interleaved, paired round
 * by round):
 * - channel: one producer (awaited writes), one consumer (for await), capacity 1,024; an unnamed
 *   channel (not measured: no registration, no write-wait timing) against a named one;
 * - work queue: a MemoryWorkQueue, `enqueue` of every item then `consumeWorkQueue` until all are
 *   acked, on a manual clock (no platform timer per delivery); core's telemetry switched off
 *   (every hook returns at once: the code as it was without instrumentation) against
 *   instrumented with no SDK (the `send`/`process` span set-up and the instruments are skipped
 *   once the API says no provider is installed).
 * The SDK cases, reported only, run in rounds of their own against their reference: they install
 * a TracerProvider (SimpleSpanProcessor, an exporter that drops) and a MeterProvider (a reader
 * that is never collected) before their sample and remove them after.
 */
import { context, metrics, propagation, trace } from '@opentelemetry/api';
import { ExportResultCode } from '@opentelemetry/core';
import { MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import { SimpleSpanProcessor, TracerProvider, type ReadableSpan, type SpanExporter } from '@opentelemetry/sdk-trace';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { consumeWorkQueue, createBoundedChannel, MemoryWorkQueue } from '../../packages/core/src/index.ts';
import { telemetrySwitch } from '../../packages/core/src/telemetry/instruments.ts';
import { ManualTimeProvider } from '../../packages/core/src/testing/index.ts';
import { atLeastPaired, formatCount, measureInterleaved, pairedRatio, runSuite } from '../lib/harness.ts';

const CAPACITY = 1024;

const CHANNEL_ABSENT = 'channel, unnamed (not measured)';
const CHANNEL_NO_SDK = 'channel, named, no SDK';
const CHANNEL_SDK = 'channel, named, SDK + no-op exporter';
const QUEUE_OFF = 'work queue, telemetry switched off';
const QUEUE_NO_SDK = 'work queue, instrumented, no SDK';
const QUEUE_SDK = 'work queue, instrumented, SDK + no-op exporter';
/** The references of the SDK cases, measured again in the SDK cases' own rounds. */
const CHANNEL_ABSENT_SDK_ROUNDS = 'channel, unnamed (not measured), in the SDK rounds';
const QUEUE_OFF_SDK_ROUNDS = 'work queue, telemetry switched off, in the SDK rounds';

function expectSum(name: string, n: number, sum: number): void {
  const expected = (n * (n - 1)) / 2;
  if (sum !== expected) throw new Error(`${name}: expected the sum of 0..${n - 1} to be ${expected}, got ${sum}`);
}

async function channelRun(name: string, channelName: string | undefined, n: number): Promise<void> {
  const ch = createBoundedChannel<number>({ capacity: CAPACITY, ...(channelName !== undefined && { name: channelName }) });
  const produce = async (): Promise<void> => {
    for (let i = 0; i < n; i++) await ch.writer.write(i);
    ch.writer.complete();
  };
  const consume = async (): Promise<number> => {
    let sum = 0;
    for await (const x of ch.reader) sum += x;
    return sum;
  };
  const [, sum] = await Promise.all([produce(), consume()]);
  expectSum(name, n, sum);
}

/**
 * The queue and the consumer run on a manual clock (never advanced: every item is acked long
 * before a timeout could matter), so that a platform timer per delivery (the visibility timeout)
 * does not add its own noise to a ratio meant to show a few per cent of instrumentation.
 */
async function queueRun(name: string, n: number): Promise<void> {
  const timeProvider = new ManualTimeProvider();
  const queue = new MemoryWorkQueue<number>('bench', { timeProvider });
  for (let i = 0; i < n; i++) await queue.enqueue(i);
  const controller = new AbortController();
  let sum = 0;
  let handled = 0;
  await consumeWorkQueue(
    queue,
    async (payload) => {
      sum += payload;
      handled += 1;
      if (handled === n) controller.abort();
    },
    { signal: controller.signal, timeProvider },
  );
  await queue.close();
  expectSum(name, n, sum);
}

/** Drops every span: the cost measured is the SDK's, not an exporter's. */
class DroppingExporter implements SpanExporter {
  export(_spans: ReadableSpan[], done: (result: { code: ExportResultCode }) => void): void {
    done({ code: ExportResultCode.SUCCESS });
  }
  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}

/** A reader nobody collects: instruments record into the SDK's aggregation and nothing more. */
class IdleReader extends MetricReader {
  protected override onForceFlush(): Promise<void> {
    return Promise.resolve();
  }
  protected override onShutdown(): Promise<void> {
    return Promise.resolve();
  }
}

let installed: { tracerProvider: TracerProvider; meterProvider: MeterProvider } | undefined;

function installSdk(): void {
  const tracerProvider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter: new DroppingExporter() })] });
  const meterProvider = new MeterProvider({ readers: [new IdleReader()] });
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  trace.setGlobalTracerProvider(tracerProvider);
  metrics.setGlobalMeterProvider(meterProvider);
  installed = { tracerProvider, meterProvider };
}

async function uninstallSdk(): Promise<void> {
  trace.disable();
  metrics.disable();
  propagation.disable();
  context.disable();
  await installed?.tracerProvider.shutdown();
  await installed?.meterProvider.shutdown();
  installed = undefined;
}

await runSuite(import.meta.url, async ({ quick }) => {
  const channelItems = quick ? 200_000 : 1_000_000;
  const queueItems = quick ? 20_000 : 100_000;
  const switchedOff = {
    before: (): void => {
      telemetrySwitch.enabled = false;
    },
    after: (): void => {
      telemetrySwitch.enabled = true;
    },
  };
  const withSdk = { before: installSdk, after: uninstallSdk };
  const rounds = quick ? 5 : 15;
  // The judged pairs run in rounds of their own: an SDK case leaves garbage (spans, metric
  // points) that the next case in its round would collect on its clock, which spread the judged
  // work-queue ratio from 0.4 to 1.7 when all three cases shared the rounds. And they start each
  // sample from a collected heap: without an SDK both sides of a pair run the same code (the
  // instrumented side adds two provider lookups, about 12 ns per item), so what one sample left
  // for the next to collect was the only difference, and it moved the median of 15 rounds
  // between 0.89 and 1.08 from one run to the next. A side that allocated more would still pay
  // for it: the collections its own sample needs stay on its clock.
  const options = (what: string, items: number, collectGarbage = false) => ({
    items,
    rounds,
    warmupRounds: 2,
    collectGarbage,
    label: `${what}, ${formatCount(items)} items`,
  });
  const channels = await measureInterleaved(
    [
      { name: CHANNEL_ABSENT, run: (n) => channelRun(CHANNEL_ABSENT, undefined, n) },
      { name: CHANNEL_NO_SDK, run: (n) => channelRun(CHANNEL_NO_SDK, 'bench', n) },
    ],
    options('channels', channelItems, true),
  );
  const queues = await measureInterleaved(
    [
      { name: QUEUE_OFF, run: (n) => queueRun(QUEUE_OFF, n), ...switchedOff },
      { name: QUEUE_NO_SDK, run: (n) => queueRun(QUEUE_NO_SDK, n) },
    ],
    options('work queue', queueItems, true),
  );
  const withSdkRounds = await measureInterleaved(
    [
      { name: CHANNEL_ABSENT_SDK_ROUNDS, run: (n) => channelRun(CHANNEL_ABSENT_SDK_ROUNDS, undefined, n) },
      { name: CHANNEL_SDK, run: (n) => channelRun(CHANNEL_SDK, 'bench', n), ...withSdk },
    ],
    options('channels with an SDK (reported)', channelItems),
  );
  const queueWithSdkRounds = await measureInterleaved(
    [
      { name: QUEUE_OFF_SDK_ROUNDS, run: (n) => queueRun(QUEUE_OFF_SDK_ROUNDS, n), ...switchedOff },
      { name: QUEUE_SDK, run: (n) => queueRun(QUEUE_SDK, n), ...withSdk },
    ],
    options('work queue with an SDK (reported)', queueItems),
  );
  const results = [...channels, ...queues, ...withSdkRounds, ...queueWithSdkRounds];
  const channelSdk = pairedRatio(results, CHANNEL_SDK, CHANNEL_ABSENT_SDK_ROUNDS);
  const queueSdk = pairedRatio(results, QUEUE_SDK, QUEUE_OFF_SDK_ROUNDS);
  return {
    cases: results,
    ratios: [
      atLeastPaired('channel throughput, instrumented without SDK vs not measured', pairedRatio(results, CHANNEL_NO_SDK, CHANNEL_ABSENT), 0.95),
      atLeastPaired('work-queue throughput, instrumented without SDK vs switched off', pairedRatio(results, QUEUE_NO_SDK, QUEUE_OFF), 0.95),
    ],
    notes: [
      `${formatCount(channelItems)} channel items and ${formatCount(queueItems)} work-queue entries per sample`,
      `not judged: channel with an SDK (no-op exporter) vs not measured = ${channelSdk.median.toFixed(2)} (min ${channelSdk.min.toFixed(2)}, max ${channelSdk.max.toFixed(2)})`,
      `not judged: work queue with an SDK (no-op exporter: spans made and dropped) vs switched off = ${queueSdk.median.toFixed(2)} (min ${queueSdk.min.toFixed(2)}, max ${queueSdk.max.toFixed(2)})`,
    ],
  };
});
