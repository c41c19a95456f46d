/**
 * Telemetry: core records traces and metrics through `@opentelemetry/api` (no-ops until the
 * application installs an SDK). {@link TelemetryNames} lists every name it records, with its
 * meaning.
 * @module
 */
export { TelemetryNames, telemetryScopeName, type TelemetryNameCatalogue } from './telemetry-names.ts';
