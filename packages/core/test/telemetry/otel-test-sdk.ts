/*
 * An OpenTelemetry SDK for tests: installed globally with in-memory exporters, removed again after
 * each test (the API's globals are process-wide).
 */
import { context, metrics, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
  type DataPoint,
  type MetricData,
} from '@opentelemetry/sdk-metrics';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider, type ReadableSpan } from '@opentelemetry/sdk-trace';

/** The installed SDK and what it recorded. */
export interface TestSdk {
  readonly spans: InMemorySpanExporter;
  /** Finished spans named `name`. */
  spansNamed(name: string): ReadableSpan[];
  /** Collects now and returns the metric `name`'s data, or undefined when nothing was recorded. */
  metric(name: string): Promise<MetricData | undefined>;
  /** The data points of `name` whose attributes include `attributes`. */
  points(name: string, attributes?: Record<string, unknown>): Promise<DataPoint<unknown>[]>;
  /** Removes the SDK from the API's globals. */
  uninstall(): Promise<void>;
}

/** Installs a tracer provider, a meter provider, the W3C propagator and an AsyncLocalStorage context manager. */
export function installTestSdk(): TestSdk {
  const spans = new InMemorySpanExporter();
  const tracerProvider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter: spans })] });
  const metricExporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  const reader = new PeriodicExportingMetricReader({ exporter: metricExporter, exportIntervalMillis: 3_600_000 });
  const meterProvider = new MeterProvider({ readers: [reader] });
  const contextManager = new AsyncLocalStorageContextManager();
  contextManager.enable();
  context.setGlobalContextManager(contextManager);
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  trace.setGlobalTracerProvider(tracerProvider);
  metrics.setGlobalMeterProvider(meterProvider);
  const metric = async (name: string): Promise<MetricData | undefined> => {
    metricExporter.reset();
    await reader.forceFlush();
    const exported = metricExporter.getMetrics();
    const latest = exported[exported.length - 1];
    for (const scope of latest?.scopeMetrics ?? []) {
      for (const data of scope.metrics) if (data.descriptor.name === name) return data;
    }
    return undefined;
  };
  return {
    spans,
    spansNamed: (name) => spans.getFinishedSpans().filter((span) => span.name === name),
    metric,
    points: async (name, attributes = {}) => {
      const data = await metric(name);
      const points = (data?.dataPoints ?? []) as DataPoint<unknown>[];
      return points.filter((point) => Object.entries(attributes).every(([key, value]) => point.attributes[key] === value));
    },
    uninstall: async () => {
      await meterProvider.shutdown();
      await tracerProvider.shutdown();
      trace.disable();
      metrics.disable();
      propagation.disable();
      context.disable();
    },
  };
}
