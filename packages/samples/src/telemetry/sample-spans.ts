/**
 * The samples' own spans, through `@opentelemetry/api` (no-ops without an SDK): the HTTP request
 * span, and the hand-over of a trace across the file channel, so that an upload's trace runs from
 * the request through the channel to the result file.
 * @module
 */
import { context, propagation, SpanKind, SpanStatusCode, trace, type Context, type Span } from '@opentelemetry/api';
import type { IncomingMessage, ServerResponse } from 'node:http';

const tracer = trace.getTracer('@hostkit/samples', '0.1.0');

/** Span attributes of the samples' own (not `hostkit.*`: those are core's, listed in its catalogue). */
export const SampleAttributes = {
  /** The file a span processes (base name). */
  file: 'samples.file.name',
  /** The result file a processing wrote (base name, in outbox/). */
  result: 'samples.file.result',
} as const;

/**
 * Runs an HTTP request's handler under a server span `{method} {route}` (parent: the caller's
 * `traceparent`, if any), ended when the response closes, with the status code.
 */
export function traceRequest<R>(request: IncomingMessage, response: ServerResponse, route: string, handle: () => R): R {
  const method = request.method ?? 'GET';
  const parent = propagation.extract(context.active(), request.headers);
  const span = tracer.startSpan(
    `${method} ${route}`,
    {
      kind: SpanKind.SERVER,
      attributes: {
        'http.request.method': method,
        'http.route': route,
        'url.path': new URL(request.url ?? '/', 'http://127.0.0.1').pathname,
        'url.scheme': 'http',
      },
    },
    parent,
  );
  response.once('close', () => {
    span.setAttribute('http.response.status_code', response.statusCode);
    if (response.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
    span.end();
  });
  return context.with(trace.setSpan(parent, span), handle);
}

/** The trace context each channel item was written in: held weakly, with the item. */
const itemContexts = new WeakMap<object, Context>();

/** Remembers the active trace context for `item`, about to be written to a channel. Returns `item`. */
export function withWriterContext<T extends object>(item: T): T {
  if (trace.getSpan(context.active()) !== undefined) itemContexts.set(item, context.active());
  return item;
}

/**
 * Runs `work` for a channel `item` under the span `process {channel}` (kind consumer), a child of
 * the context the item was written in (the upload's request), or a root span for an item written
 * outside any trace (the inbox watcher).
 */
export function traceChannelItem<R>(item: object, channel: string, file: string, work: (span: Span) => Promise<R>): Promise<R> {
  const parent = itemContexts.get(item) ?? context.active();
  return tracer.startActiveSpan(
    `process ${channel}`,
    { kind: SpanKind.CONSUMER, attributes: { [SampleAttributes.file]: file, 'hostkit.channel.name': channel } },
    parent,
    async (span) => {
      try {
        return await work(span);
      } catch (error) {
        span.recordException(error instanceof Error ? error : String(error));
        span.setStatus({ code: SpanStatusCode.ERROR });
        throw error;
      } finally {
        span.end();
      }
    },
  );
}

/** Notes the result file on the active span (the channel's or the work queue's `process` span). */
export function noteResultFile(result: string): void {
  trace.getActiveSpan()?.setAttribute(SampleAttributes.result, result);
}
