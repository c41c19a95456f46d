/**
 * Health checks: checks run in parallel under timeouts, a report for `/healthz` and `/readyz`,
 * and the board through which the host makes faults and shutdown visible to probes.
 * @module
 */
export type { HealthStatus } from './health-status.ts';
export { healthStatuses, healthStatusToHttpStatus, isHealthStatus, worstHealthStatus } from './health-status.ts';
export type { HealthCheck, HealthCheckResult } from './health-check.ts';
export type { HealthCheckRegistration, NormalizedHealthCheckRegistration } from './health-check-registration.ts';
export type { HealthCheckTagNames } from './health-check-tags.ts';
export { HealthCheckTags } from './health-check-tags.ts';
export type { HealthReport, HealthReportEntry, HealthReportJsonOptions } from './health-report.ts';
export { formatHealthReportJson } from './health-report.ts';
export type { CheckHealthOptions, HealthCheckServiceOptions } from './health-check-service.ts';
export { HealthCheckService } from './health-check-service.ts';
export type { ReadinessCheckOptions } from './readiness-check.ts';
export { createReadinessCheck } from './readiness-check.ts';
export type { HostHealthCheckNameCatalogue, HostReadiness, ServiceHealthNotice } from './health-status-board.ts';
export { HealthStatusBoard, HostHealthCheckNames } from './health-status-board.ts';
