/**
 * OpenTelemetry for the samples: with `OTEL_EXPORTER_OTLP_ENDPOINT` (or a signal's own
 * `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` / `..._METRICS_ENDPOINT`) set, the SDK is loaded and
 * installed, and traces and metrics go over OTLP/HTTP, configured by the standard variables:
 * `OTEL_SERVICE_NAME` and `OTEL_RESOURCE_ATTRIBUTES`; `OTEL_EXPORTER_OTLP_PROTOCOL` (and its
 * per-signal forms), `http/protobuf` (the default) or `http/json`; `OTEL_EXPORTER_OTLP_HEADERS`,
 * `..._TIMEOUT`, `..._COMPRESSION` and the per-signal endpoints (read by the exporters);
 * `OTEL_METRIC_EXPORT_INTERVAL`, `OTEL_BSP_SCHEDULE_DELAY`; `OTEL_SDK_DISABLED=true` turns it off.
 * Without an endpoint nothing of the SDK is even loaded: core's instrumentation stays a no-op.
 * @module
 */
import type { ContextManager } from '@opentelemetry/api';

/** Environment variables, as `process.env`. */
export type Environment = Readonly<Record<string, string | undefined>>;

/** The installed SDK, for the host to flush at stop and shut down at exit. */
export interface InstalledTelemetry {
  /** One line for the start banner: where traces and metrics go, and how. */
  readonly description: string;
  /** Exports every span ended and every metric so far; gives up when `signal` aborts. Never rejects. */
  flush(signal?: AbortSignal): Promise<void>;
  /** Flushes what is left and stops the SDK, within `timeoutMs`. Never rejects. */
  shutdown(timeoutMs: number): Promise<void>;
}

/** The OTLP protocols the samples export with. */
export type OtlpHttpProtocol = 'http/protobuf' | 'http/json';

/** Whether the environment asks for telemetry: an OTLP endpoint is set and the SDK is not disabled. */
export function telemetryRequested(env: Environment): boolean {
  if (env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true') return false;
  return [env.OTEL_EXPORTER_OTLP_ENDPOINT, env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, env.OTEL_EXPORTER_OTLP_METRICS_ENDPOINT].some(
    (value) => value !== undefined && value.trim() !== '',
  );
}

/**
 * The protocol of `signal`: its own variable, else `OTEL_EXPORTER_OTLP_PROTOCOL`, else
 * `http/protobuf` (the specification's default).
 * @throws Error naming the variable when it holds another protocol (`grpc` is not offered).
 */
export function otlpProtocol(env: Environment, signal: 'TRACES' | 'METRICS'): OtlpHttpProtocol {
  const specific = `OTEL_EXPORTER_OTLP_${signal}_PROTOCOL`;
  const variable = env[specific] !== undefined && env[specific].trim() !== '' ? specific : 'OTEL_EXPORTER_OTLP_PROTOCOL';
  const value = (env[variable] ?? '').trim() || 'http/protobuf';
  if (value === 'http/protobuf' || value === 'http/json') return value;
  throw new Error(`Expected ${variable} to be http/protobuf or http/json, got ${JSON.stringify(value)} (the samples export over OTLP/HTTP only)`);
}

function positiveMs(env: Environment, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`Expected ${name} to be a number of ms > 0, got ${JSON.stringify(raw)}`);
  return value;
}

/**
 * Loads and installs the SDK when {@link telemetryRequested}; resolves with undefined otherwise
 * (nothing loaded). Installs globally: the tracer and meter providers, the W3C trace-context and
 * baggage propagators, and an AsyncLocalStorage context manager (an HTTP request's span is then
 * the parent of what its handler does, such as enqueuing).
 * @throws Error for a bad protocol or interval variable.
 */
export async function installTelemetry(env: Environment, defaultServiceName: string): Promise<InstalledTelemetry | undefined> {
  if (!telemetryRequested(env)) return undefined;
  const tracesProtocol = otlpProtocol(env, 'TRACES');
  const metricsProtocol = otlpProtocol(env, 'METRICS');
  const exportIntervalMillis = positiveMs(env, 'OTEL_METRIC_EXPORT_INTERVAL', 60_000);
  const scheduledDelayMillis = positiveMs(env, 'OTEL_BSP_SCHEDULE_DELAY', 5_000);
  const [api, asyncHooks, otelCore, resources, sdkTrace, sdkMetrics, traceExporters, metricExporters] = await Promise.all([
    import('@opentelemetry/api'),
    import('@opentelemetry/context-async-hooks'),
    import('@opentelemetry/core'),
    import('@opentelemetry/resources'),
    import('@opentelemetry/sdk-trace'),
    import('@opentelemetry/sdk-metrics'),
    tracesProtocol === 'http/json' ? import('@opentelemetry/exporter-trace-otlp-http') : import('@opentelemetry/exporter-trace-otlp-proto'),
    metricsProtocol === 'http/json' ? import('@opentelemetry/exporter-metrics-otlp-http') : import('@opentelemetry/exporter-metrics-otlp-proto'),
  ]);
  // The exporters read the endpoints, headers, timeout and compression from the environment.
  const spanExporter = new traceExporters.OTLPTraceExporter();
  const metricExporter = new metricExporters.OTLPMetricExporter();
  const resource = resources
    .defaultResource()
    .merge(resources.resourceFromAttributes({ 'service.name': defaultServiceName }))
    .merge(resources.detectResources({ detectors: [resources.envDetector] }));
  const tracerProvider = new sdkTrace.TracerProvider({
    resource,
    spanProcessors: [new sdkTrace.BatchSpanProcessor({ exporter: spanExporter, scheduledDelayMillis })],
  });
  const reader = new sdkMetrics.PeriodicExportingMetricReader({ exporter: metricExporter, exportIntervalMillis });
  const meterProvider = new sdkMetrics.MeterProvider({ resource, readers: [reader] });
  const contextManager: ContextManager = new asyncHooks.AsyncLocalStorageContextManager().enable();
  api.context.setGlobalContextManager(contextManager);
  api.propagation.setGlobalPropagator(
    new otelCore.CompositePropagator({ propagators: [new otelCore.W3CTraceContextPropagator(), new otelCore.W3CBaggagePropagator()] }),
  );
  api.trace.setGlobalTracerProvider(tracerProvider);
  api.metrics.setGlobalMeterProvider(meterProvider);
  const within = async (work: Promise<unknown>, signal: AbortSignal | undefined): Promise<void> => {
    const outcome = work.then(
      () => undefined,
      () => undefined,
    );
    if (signal === undefined) return outcome;
    if (signal.aborted) return;
    await new Promise<void>((resolve) => {
      const onAbort = (): void => resolve();
      signal.addEventListener('abort', onAbort, { once: true });
      void outcome.then(() => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      });
    });
  };
  const endpoint = env.OTEL_EXPORTER_OTLP_ENDPOINT ?? env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? env.OTEL_EXPORTER_OTLP_METRICS_ENDPOINT;
  return {
    description: `OpenTelemetry: traces (${tracesProtocol}) and metrics (${metricsProtocol}) to ${endpoint}`,
    flush: (signal) => within(Promise.all([tracerProvider.forceFlush(), meterProvider.forceFlush()]), signal),
    shutdown: async (timeoutMs) => {
      const timeout = new AbortController();
      // A plain timer: the host and its clock are gone by now.
      const timer = setTimeout(() => timeout.abort(), timeoutMs);
      try {
        await within(Promise.all([tracerProvider.shutdown(), meterProvider.shutdown({ timeoutMillis: timeoutMs })]), timeout.signal);
      } finally {
        clearTimeout(timer);
        contextManager.disable();
      }
    },
  };
}
