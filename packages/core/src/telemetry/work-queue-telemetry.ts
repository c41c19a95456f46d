import {
  context as otelContext,
  propagation,
  ProxyTracerProvider,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
  type Context,
  type Span,
} from '@opentelemetry/api';
import { errorType, hostkitTracer, instruments, queueRegistry, secondsBetween, telemetrySwitch } from './instruments.ts';
import { TelemetryNames as N } from './telemetry-names.ts';

/** What the work-queue instrumentation reads of a queue (a subset of the `WorkQueue` port). */
export interface TracedWorkQueue {
  /** The queue's name: `messaging.destination.name`. */
  readonly name: string;
  /** The store, for `messaging.system`. @default 'hostkit' */
  readonly messagingSystem?: string | undefined;
  /** The consumer group, for `messaging.consumer.group.name`. @default the queue's name */
  readonly consumerGroup?: string | undefined;
  /** Deliveries after which a nack dead-letters the entry: a nack of such a delivery counts as dead-lettered. */
  readonly maxDeliveries?: number | undefined;
  /** Read by the `hostkit.work_queue.depth` gauge at each collection. */
  counts(signal?: AbortSignal): Promise<{ readonly waiting: number; readonly inFlight: number; readonly dead: number }>;
}

const noopTracerProvider = new ProxyTracerProvider().getDelegate();

/** False while no tracer provider is installed: spans would be no-ops, so their setup is skipped. */
export function tracingEnabled(): boolean {
  if (!telemetrySwitch.enabled) return false;
  const provider = trace.getTracerProvider();
  return !(provider instanceof ProxyTracerProvider) || provider.getDelegate() !== noopTracerProvider;
}

function systemOf(queue: TracedWorkQueue): string {
  return queue.messagingSystem ?? 'hostkit';
}

function register(queue: TracedWorkQueue): void {
  queueRegistry.add(`${systemOf(queue)}\u0000${queue.name}`, queue);
}

/**
 * Runs one `enqueue` (or `enqueueMany` of `count` entries) of `queue` under a `send {queue}`
 * producer span, for implementers of the `WorkQueue` port: `send` gets the headers to store with
 * every entry it adds (the span's context, injected by the global propagator; empty when nothing
 * is traced) and resolves with the entries' ids. Counts `messaging.client.sent.messages`.
 * Without an OpenTelemetry SDK installed, `send` is called with empty headers and nothing else
 * happens.
 * @returns what `send` resolved with.
 */
export async function traceWorkQueueSend(
  queue: TracedWorkQueue,
  count: number,
  send: (headers: Record<string, string>) => Promise<string[]>,
): Promise<string[]> {
  const meters = instruments();
  const tracing = tracingEnabled();
  if (!tracing && !meters.enabled) return send({});
  register(queue);
  const system = systemOf(queue);
  const attributes: Attributes = {
    [N.MessagingSystem]: system,
    [N.MessagingDestinationName]: queue.name,
    [N.MessagingOperationType]: 'send',
    [N.MessagingOperationName]: 'send',
  };
  if (count !== 1) attributes[N.MessagingBatchMessageCount] = count;
  const headers: Record<string, string> = {};
  let span: Span | undefined;
  if (tracing) {
    span = hostkitTracer().startSpan(`${N.SendSpan} ${queue.name}`, { kind: SpanKind.PRODUCER, attributes });
    propagation.inject(trace.setSpan(otelContext.active(), span), headers);
  }
  try {
    const ids = await send(headers);
    if (ids.length === 1) span?.setAttribute(N.MessagingMessageId, ids[0] as string);
    meters.sent.add(ids.length, { [N.MessagingSystem]: system, [N.MessagingDestinationName]: queue.name });
    return ids;
  } catch (error) {
    if (span !== undefined) failSpan(span, error);
    throw error;
  } finally {
    span?.end();
  }
}

/** Ends nothing: marks `span` failed with `error` (status, `exception` event, `error.type`). */
export function failSpan(span: Span, error: unknown): void {
  span.recordException(error instanceof Error ? error : String(error));
  span.setAttribute(N.ErrorType, errorType(error));
  span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
}

/** One delivery being processed by `consumeWorkQueue`: its span and metrics. */
export interface ProcessTelemetry {
  /** Runs `fn` with the process span as the active span (a no-op wrapper without tracing). */
  run<R>(fn: () => R): R;
  /** Records the handler's end: `error` when it failed. */
  handled(error?: { readonly error: unknown }): void;
  /** Runs a settlement (`ack`, `nack`, `release`) under its span. */
  settle(what: 'ack' | 'nack' | 'release', action: () => Promise<void>): Promise<void>;
  /** Ends the span. */
  end(): void;
}

const noProcessTelemetry: ProcessTelemetry = {
  run: (fn) => fn(),
  handled: () => {},
  settle: (_what, action) => action(),
  end: () => {},
};

/**
 * Starts the telemetry of one delivery of `queue` in `consumeWorkQueue`: the `process {queue}`
 * consumer span (parent: the sender's context from `headers`; linked to it too), and the consumed,
 * duration, processed, failed and dead-lettered metrics. `now` reads the consumer's clock.
 */
export function startProcessTelemetry(
  queue: TracedWorkQueue,
  item: { readonly id: string; readonly deliveryCount: number; readonly headers?: Readonly<Record<string, string>> | undefined },
  now: () => number,
): ProcessTelemetry {
  const meters = instruments();
  const tracing = tracingEnabled();
  if (!tracing && !meters.enabled) return noProcessTelemetry;
  register(queue);
  const system = systemOf(queue);
  const metricAttributes: Attributes = {
    [N.MessagingSystem]: system,
    [N.MessagingDestinationName]: queue.name,
    [N.MessagingConsumerGroupName]: queue.consumerGroup ?? queue.name,
  };
  meters.consumed.add(1, metricAttributes);
  let span: Span | undefined;
  let active: Context = ROOT_CONTEXT;
  if (tracing) {
    const sender = propagation.extract(ROOT_CONTEXT, item.headers ?? {});
    const senderSpan = trace.getSpanContext(sender);
    span = hostkitTracer().startSpan(
      `${N.ProcessSpan} ${queue.name}`,
      {
        kind: SpanKind.CONSUMER,
        attributes: {
          ...metricAttributes,
          [N.MessagingOperationType]: 'process',
          [N.MessagingOperationName]: 'process',
          [N.MessagingMessageId]: item.id,
          [N.WorkQueueDeliveryCount]: item.deliveryCount,
        },
        links: senderSpan === undefined ? [] : [{ context: senderSpan }],
      },
      sender,
    );
    active = trace.setSpan(sender, span);
  }
  const began = now();
  return {
    run: (fn) => (span === undefined ? fn() : otelContext.with(active, fn)),
    handled: (failure) => {
      const attributes = failure === undefined ? metricAttributes : { ...metricAttributes, [N.ErrorType]: errorType(failure.error) };
      meters.processDuration.record(secondsBetween(began, now()), attributes);
      if (failure === undefined) {
        meters.processed.add(1, metricAttributes);
        return;
      }
      meters.failed.add(1, metricAttributes);
      if (span !== undefined) failSpan(span, failure.error);
    },
    settle: async (what, action) => {
      const settleSpan =
        span === undefined
          ? undefined
          : hostkitTracer().startSpan(
              `${what} ${queue.name}`,
              {
                kind: SpanKind.CLIENT,
                attributes: {
                  [N.MessagingSystem]: system,
                  [N.MessagingDestinationName]: queue.name,
                  [N.MessagingOperationType]: 'settle',
                  [N.MessagingOperationName]: what,
                  [N.MessagingMessageId]: item.id,
                },
              },
              active,
            );
      try {
        await action();
        if (what === 'nack' && queue.maxDeliveries !== undefined && item.deliveryCount >= queue.maxDeliveries) {
          meters.deadLettered.add(1, metricAttributes);
        }
      } catch (error) {
        if (settleSpan !== undefined) failSpan(settleSpan, error);
        throw error;
      } finally {
        settleSpan?.end();
      }
    },
    end: () => span?.end(),
  };
}
