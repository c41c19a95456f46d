/*
 * Core's access to OpenTelemetry: the tracer, the instruments and the registries that the
 * observable instruments read. Internal: nothing here is exported from the package.
 *
 * The metrics API has no proxy provider (unlike tracing): a meter taken before the application
 * installs its SDK stays a no-op for good. So the instruments are created per meter provider, on
 * first use after the global provider changed, and the observable ones read registries of live
 * objects (held weakly) at each collection instead of being created per object.
 */
import {
  createNoopMeter,
  metrics,
  trace,
  ValueType,
  type Counter,
  type Gauge,
  type Histogram,
  type Meter,
  type MeterProvider,
  type ObservableResult,
  type Tracer,
  type TracerProvider,
  type UpDownCounter,
} from '@opentelemetry/api';
import { TelemetryNames as N, telemetryScopeName } from './telemetry-names.ts';

/** The version recorded with the instrumentation scope. */
const scopeVersion = '0.1.0';

/** Every synchronous instrument core records on. */
export interface Instruments {
  /** False while no SDK is installed: callers may skip work whose only use is a record. */
  readonly enabled: boolean;
  readonly sent: Counter;
  readonly consumed: Counter;
  readonly processDuration: Histogram;
  readonly processed: Counter;
  readonly failed: Counter;
  readonly deadLettered: Counter;
  readonly restarts: Counter;
  readonly channelWriteWait: Histogram;
  readonly leaseHeld: UpDownCounter;
  readonly leaseAcquired: Counter;
  readonly leaseLost: Counter;
  readonly hostStart: Histogram;
  readonly hostStop: Histogram;
  readonly hostExitCode: Gauge;
}

/** What a named channel shows to the observable channel instruments. */
export interface ObservedChannel {
  readonly channelName: string;
  readonly count: number;
  readonly writtenCount: number;
  readonly readCount: number;
  readonly droppedCount: number;
}

/** What a work queue shows to the depth gauge. */
export interface ObservedQueue {
  readonly name: string;
  counts(signal?: AbortSignal): Promise<{ readonly waiting: number; readonly inFlight: number; readonly dead: number }>;
}

/** A background service on the status gauge: its name, and the service, held weakly. */
export interface ObservedService {
  readonly telemetryName: string;
  readonly service: WeakRef<{ readonly status: string }>;
}

/** What a held lease shows to the fencing token gauge. */
export interface ObservedLease {
  readonly name: string;
  readonly fencingToken: number;
  readonly held: boolean;
}

/** Live objects, held weakly, keyed so that two handles on one thing count once. */
class Registry<T extends object> {
  readonly #refs = new Map<string, WeakRef<T>>();

  add(key: string, value: T): void {
    // Creates the observable instruments of the current meter provider, if not yet done. Without
    // an SDK nothing collects, and so nothing would ever prune the registry: nothing is kept.
    if (!instruments().enabled) return;
    if (this.#refs.get(key)?.deref() === value) return;
    this.#refs.set(key, new WeakRef(value));
  }

  delete(key: string, value: T): void {
    if (this.#refs.get(key)?.deref() === value) this.#refs.delete(key);
  }

  *live(): Generator<T> {
    for (const [key, ref] of this.#refs) {
      const value = ref.deref();
      if (value === undefined) this.#refs.delete(key);
      else yield value;
    }
  }
}

/** Values held strongly, each holding its subject weakly (see {@link ObservedService}). */
type StrongRegistry<T> = Map<string, T>;

let channelSequence = 0;
/** Named channels, for the channel gauges and counters. */
export const channelRegistry: Registry<ObservedChannel> = new Registry();
/** Work queues used in this process (enqueued to or consumed), keyed by system and name. */
export const queueRegistry: Registry<ObservedQueue> = new Registry();
/** Background services, for the status gauge. */
export const serviceRegistry: StrongRegistry<ObservedService> = new Map();
/** Leases held now, for the fencing token gauge. */
export const leaseRegistry: Registry<ObservedLease> = new Registry();

/** Registers a named channel (each channel has its own key: two channels may share a name). */
export function registerChannel(channel: ObservedChannel): void {
  if (!instruments().enabled) return;
  channelSequence += 1;
  channelRegistry.add(`${channelSequence}`, channel);
}

const NoopMeterClass = createNoopMeter().constructor;

/**
 * Off: every hook returns at once, as if core had no instrumentation; the telemetry benchmark's
 * baseline. Internal: not exported from the package.
 */
export const telemetrySwitch: { enabled: boolean } = { enabled: true };

let noopInstruments: Instruments | undefined;

let cachedTracer: { readonly provider: TracerProvider; readonly tracer: Tracer } | undefined;
/** Core's tracer, from the current global tracer provider (taken again when that changes: tests swap it). */
export function hostkitTracer(): Tracer {
  const provider = trace.getTracerProvider();
  if (cachedTracer === undefined || cachedTracer.provider !== provider) {
    cachedTracer = { provider, tracer: provider.getTracer(telemetryScopeName, scopeVersion) };
  }
  return cachedTracer.tracer;
}

let cached: { readonly provider: MeterProvider; readonly instruments: Instruments } | undefined;
/** The instruments of the current global meter provider (no-ops without an SDK). */
export function instruments(): Instruments {
  if (!telemetrySwitch.enabled) {
    noopInstruments ??= createInstruments({ getMeter: () => createNoopMeter() });
    return noopInstruments;
  }
  const provider = metrics.getMeterProvider();
  if (cached === undefined || cached.provider !== provider) cached = { provider, instruments: createInstruments(provider) };
  return cached.instruments;
}

function createInstruments(provider: MeterProvider): Instruments {
  const meter = provider.getMeter(telemetryScopeName, scopeVersion);
  const enabled = meter.constructor !== NoopMeterClass;
  if (enabled) observe(meter);
  const messages = { unit: '{message}', valueType: ValueType.INT };
  const seconds = { unit: 's', advice: { explicitBucketBoundaries: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60] } };
  return {
    enabled,
    sent: meter.createCounter(N.SentMessages, { ...messages, description: 'Entries enqueued to a work queue.' }),
    consumed: meter.createCounter(N.ConsumedMessages, { ...messages, description: 'Deliveries handed to a consumeWorkQueue handler.' }),
    processDuration: meter.createHistogram(N.ProcessDuration, { ...seconds, description: 'Handler run time per delivery.' }),
    processed: meter.createCounter(N.WorkQueueProcessed, { ...messages, description: 'Deliveries handled and acked.' }),
    failed: meter.createCounter(N.WorkQueueFailed, { ...messages, description: 'Deliveries whose handler failed (nacked).' }),
    deadLettered: meter.createCounter(N.WorkQueueDeadLettered, { ...messages, description: 'Entries a nack sent to the dead letters.' }),
    restarts: meter.createCounter(N.ServiceRestarts, { unit: '{restart}', valueType: ValueType.INT, description: 'Restarts of a background service.' }),
    channelWriteWait: meter.createHistogram(N.ChannelWriteWait, { ...seconds, description: 'Time writes waited for room in a channel.' }),
    leaseHeld: meter.createUpDownCounter(N.LeaseHeld, { unit: '{lease}', valueType: ValueType.INT, description: 'Leases held now.' }),
    leaseAcquired: meter.createCounter(N.LeaseAcquired, { unit: '{lease}', valueType: ValueType.INT, description: 'Leases acquired.' }),
    leaseLost: meter.createCounter(N.LeaseLost, { unit: '{lease}', valueType: ValueType.INT, description: 'Leases lost.' }),
    hostStart: meter.createHistogram(N.HostStartDuration, { ...seconds, description: 'Host start duration.' }),
    hostStop: meter.createHistogram(N.HostStopDuration, { ...seconds, description: 'Host stop duration.' }),
    hostExitCode: meter.createGauge(N.HostExitCode, { valueType: ValueType.INT, description: "The exit code of the host's last run." }),
  };
}

const serviceStatuses = ['idle', 'campaigning', 'running', 'restarting', 'completed', 'faulted'] as const;

/** Creates the observable instruments of `meter`, which read the registries at each collection. */
function observe(meter: Meter): void {
  const items = { unit: '{item}', valueType: ValueType.INT };
  const depth = meter.createObservableGauge(N.ChannelDepth, { ...items, description: 'Items buffered in a channel.' });
  const written = meter.createObservableCounter(N.ChannelWritten, { ...items, description: 'Items written to a channel.' });
  const read = meter.createObservableCounter(N.ChannelRead, { ...items, description: 'Items read from a channel.' });
  const dropped = meter.createObservableCounter(N.ChannelDropped, { ...items, description: 'Items dropped by a full channel.' });
  meter.addBatchObservableCallback(
    (result) => {
      for (const channel of channelRegistry.live()) {
        const attributes = { [N.ChannelName]: channel.channelName };
        result.observe(depth, channel.count, attributes);
        result.observe(written, channel.writtenCount, attributes);
        result.observe(read, channel.readCount, attributes);
        result.observe(dropped, channel.droppedCount, attributes);
      }
    },
    [depth, written, read, dropped],
  );
  meter
    .createObservableGauge(N.WorkQueueDepth, { unit: '{message}', valueType: ValueType.INT, description: 'Entries in a work queue, by state.' })
    .addCallback(observeQueues);
  meter
    .createObservableGauge(N.ServiceStatusMetric, { valueType: ValueType.INT, description: 'Background services by status (1 per service).' })
    .addCallback((result) => {
      // A state set: 1 for the current status, 0 for the others, so a dashboard sums by status
      // without stale series (a gauge keeps reporting the last value of an attribute set).
      for (const [key, entry] of serviceRegistry) {
        const service = entry.service.deref();
        if (service === undefined) {
          serviceRegistry.delete(key);
          continue;
        }
        for (const status of serviceStatuses) {
          result.observe(status === service.status ? 1 : 0, { [N.ServiceName]: entry.telemetryName, [N.ServiceStatus]: status });
        }
      }
    });
  meter
    .createObservableGauge(N.LeaseFencingTokenMetric, { valueType: ValueType.INT, description: 'The fencing token of each lease held.' })
    .addCallback((result) => {
      for (const lease of leaseRegistry.live()) {
        if (lease.held) result.observe(lease.fencingToken, { [N.LeaseName]: lease.name });
      }
    });
}

async function observeQueues(result: ObservableResult): Promise<void> {
  const queues = [...queueRegistry.live()];
  await Promise.all(
    queues.map(async (queue) => {
      let counts: { readonly waiting: number; readonly inFlight: number; readonly dead: number };
      try {
        counts = await queue.counts();
      } catch {
        // A store that is down has no depth to report this time; the next collection tries again.
        return;
      }
      const name = queue.name;
      result.observe(counts.waiting, { [N.MessagingDestinationName]: name, [N.WorkQueueState]: 'waiting' });
      result.observe(counts.inFlight, { [N.MessagingDestinationName]: name, [N.WorkQueueState]: 'in_flight' });
      result.observe(counts.dead, { [N.MessagingDestinationName]: name, [N.WorkQueueState]: 'dead' });
    }),
  );
}

/** Seconds between two `TimeProvider.timestamp()` values: OpenTelemetry durations are in seconds. */
export function secondsBetween(start: number, end: number): number {
  return Math.max(0, end - start) / 1000;
}

/** The class name of an error, for `error.type`. */
export function errorType(error: unknown): string {
  if (error instanceof Error) return error.name || error.constructor.name || 'Error';
  return typeof error === 'object' && error !== null ? (error.constructor?.name ?? 'object') : typeof error;
}
