/**
 * A loopback OTLP/HTTP receiver for the telemetry end-to-end test: node:http on 127.0.0.1, taking
 * every POST to /v1/traces and /v1/metrics and answering 200 as a collector does. JSON bodies
 * (`http/json`) are parsed; protobuf bodies (`http/protobuf`) are kept as bytes.
 */
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One export request the receiver got. */
export interface OtlpRequest {
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
  /** The parsed body of a JSON export; undefined for protobuf. */
  readonly json: unknown;
}

/** An OTLP attribute or value, as OTLP/JSON writes it. */
interface OtlpAnyValue {
  readonly stringValue?: string;
  readonly intValue?: string | number;
  readonly doubleValue?: number;
  readonly boolValue?: boolean;
}

/** A span, as OTLP/JSON writes it, with its attributes flattened. */
export interface ReceivedSpan {
  readonly name: string;
  readonly kind: number;
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId: string;
  readonly links: readonly { readonly traceId: string; readonly spanId: string }[];
  readonly attributes: Readonly<Record<string, unknown>>;
  readonly events: readonly string[];
  readonly resource: Readonly<Record<string, unknown>>;
}

/** A data point of a metric, as OTLP/JSON writes it. */
export interface ReceivedPoint {
  readonly metric: string;
  readonly attributes: Readonly<Record<string, unknown>>;
  readonly value: number | undefined;
  readonly count: number | undefined;
}

/** The receiver. */
export interface OtlpReceiver extends AsyncDisposable {
  /** `http://127.0.0.1:<port>`: the OTEL_EXPORTER_OTLP_ENDPOINT to give. */
  readonly url: string;
  readonly requests: OtlpRequest[];
  spans(): ReceivedSpan[];
  points(): ReceivedPoint[];
}

function valueOf(value: OtlpAnyValue | undefined): unknown {
  if (value === undefined) return undefined;
  if (value.stringValue !== undefined) return value.stringValue;
  if (value.intValue !== undefined) return Number(value.intValue);
  if (value.doubleValue !== undefined) return value.doubleValue;
  return value.boolValue;
}

function attributesOf(raw: unknown): Record<string, unknown> {
  const list = (raw ?? []) as readonly { key: string; value: OtlpAnyValue }[];
  return Object.fromEntries(list.map((attribute) => [attribute.key, valueOf(attribute.value)]));
}

/** Starts a receiver on a free 127.0.0.1 port. */
export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const requests: OtlpRequest[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks);
      const isJson = (request.headers['content-type'] ?? '').includes('json');
      requests.push({ path: request.url ?? '', headers: request.headers, body, json: isJson ? JSON.parse(body.toString('utf8')) : undefined });
      response.writeHead(200, { 'content-type': isJson ? 'application/json' : 'application/x-protobuf' });
      response.end(isJson ? '{}' : '');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  type Json = Record<string, unknown>;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    spans: () =>
      requests
        .filter((r) => r.path === '/v1/traces' && r.json !== undefined)
        .flatMap((r) =>
          ((r.json as Json).resourceSpans as unknown as Json[]).flatMap((resourceSpans) => {
            const resource = attributesOf((resourceSpans.resource as Json | undefined)?.attributes);
            return (resourceSpans.scopeSpans as unknown as Json[]).flatMap((scope) =>
              (scope.spans as unknown as Json[]).map((span) => ({
                name: span.name as string,
                kind: span.kind as number,
                traceId: span.traceId as string,
                spanId: span.spanId as string,
                parentSpanId: (span.parentSpanId as string | undefined) ?? '',
                links: ((span.links as unknown as Json[] | undefined) ?? []).map((link) => ({ traceId: link.traceId as string, spanId: link.spanId as string })),
                attributes: attributesOf(span.attributes),
                events: ((span.events as unknown as Json[] | undefined) ?? []).map((event) => event.name as string),
                resource,
              })),
            );
          }),
        ),
    points: () =>
      requests
        .filter((r) => r.path === '/v1/metrics' && r.json !== undefined)
        .flatMap((r) =>
          ((r.json as Json).resourceMetrics as unknown as Json[]).flatMap((resourceMetrics) =>
            (resourceMetrics.scopeMetrics as unknown as Json[]).flatMap((scope) =>
              (scope.metrics as unknown as Json[]).flatMap((metric) => {
                const data = (metric.sum ?? metric.gauge ?? metric.histogram) as unknown as { dataPoints: Json[] } | undefined;
                return (data?.dataPoints ?? []).map((point) => ({
                  metric: metric.name as string,
                  attributes: attributesOf(point.attributes),
                  value: point.asInt !== undefined ? Number(point.asInt) : (point.asDouble as number | undefined),
                  count: point.count !== undefined ? Number(point.count) : undefined,
                }));
              }),
            ),
          ),
        ),
    [Symbol.asyncDispose]: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
