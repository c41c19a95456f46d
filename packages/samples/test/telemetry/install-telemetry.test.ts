import { describe, expect, it } from 'vitest';
import { installTelemetry, otlpProtocol, telemetryRequested } from '../../src/telemetry/install-telemetry.ts';

describe('installTelemetry', () => {
  it('is asked for by an OTLP endpoint, general or per signal, unless the SDK is disabled', () => {
    expect(telemetryRequested({})).toBe(false);
    expect(telemetryRequested({ OTEL_EXPORTER_OTLP_ENDPOINT: ' ' })).toBe(false);
    expect(telemetryRequested({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318' })).toBe(true);
    expect(telemetryRequested({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://127.0.0.1:4318/v1/traces' })).toBe(true);
    expect(telemetryRequested({ OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: 'http://127.0.0.1:4318/v1/metrics' })).toBe(true);
    expect(telemetryRequested({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318', OTEL_SDK_DISABLED: 'TRUE' })).toBe(false);
  });

  it('installs nothing without an endpoint', async () => {
    expect(await installTelemetry({ OTEL_SERVICE_NAME: 'x' }, 'samples')).toBeUndefined();
  });

  it('takes the per-signal protocol over the general one, http/protobuf by default, and refuses grpc naming the variable', () => {
    expect(otlpProtocol({}, 'TRACES')).toBe('http/protobuf');
    expect(otlpProtocol({ OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' }, 'METRICS')).toBe('http/json');
    expect(otlpProtocol({ OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/protobuf' }, 'TRACES')).toBe('http/protobuf');
    expect(() => otlpProtocol({ OTEL_EXPORTER_OTLP_METRICS_PROTOCOL: 'grpc' }, 'METRICS')).toThrow(
      'Expected OTEL_EXPORTER_OTLP_METRICS_PROTOCOL to be http/protobuf or http/json, got "grpc"',
    );
  });
});
