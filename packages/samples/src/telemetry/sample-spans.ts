/**
 * The samples' own spans, through `@opentelemetry/api` (no-ops without an SDK): the HTTP request
 * span, and the hand-over of a trace across the file channel, so that an upload's trace runs from
 * the request through the channel to the result file.
 * @module
 */
import { context, propagation, SpanKind, SpanStatusCode, trace, type Context, type Span, type TextMapGetter } from '@opentelemetry/api';
import { routePath } from 'hono/route';
import type { SamplesApp } from '../http/feature-routes.ts';

const tracer = trace.getTracer('@hostkit/samples', '0.1.0');

/** Span attributes of the samples' own (not `hostkit.*`: those are core's, listed in its catalogue). */
export const SampleAttributes = {
  /** The file a span processes (base name). */
  file: 'samples.file.name',
  /** The result file a processing wrote (base name, in outbox/). */
  result: 'samples.file.result',
} as const;

/** Reads a trace context (`traceparent`, `tracestate`) from a request's `Headers`. */
const headersGetter: TextMapGetter<Headers> = {
  get: (headers, key) => headers.get(key) ?? undefined,
  keys: (headers) => [...headers.keys()],
};

/**
 * Runs every request of `app` under a server span `{method} {route}` (parent: the caller's
 * `traceparent`, if any; `route` is the matched route's pattern, so 404s do not make one span
 * name per path), ended once the handler has returned its response, with the status code.
 * Register it before the routes.
 */
export function traceRequests(app: SamplesApp): void {
  app.use('*', async (c, next) => {
    const method = c.req.method;
    const parent = propagation.extract(context.active(), c.req.raw.headers, headersGetter);
    const span = tracer.startSpan(
      `${method} ${c.req.path}`,
      { kind: SpanKind.SERVER, attributes: { 'http.request.method': method, 'url.path': c.req.path, 'url.scheme': 'http' } },
      parent,
    );
    try {
      await context.with(trace.setSpan(parent, span), next);
    } finally {
      const route = routePath(c, -1);
      if (route !== '*') {
        span.updateName(`${method} ${route}`);
        span.setAttribute('http.route', route);
      } else {
        span.updateName(method);
      }
      const status = c.res.status;
      span.setAttribute('http.response.status_code', status);
      if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
    }
  });
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
