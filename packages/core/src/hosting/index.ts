/**
 * Hosting: the {@link Host} that starts, runs and stops hosted and background services, its
 * builder, the application lifetime, and the {@link HostLifetime} port that runtime adapters fill.
 * @module
 */
export { Host, type HostedServiceDescriptor, type HostParts, type HostPhase } from './host.ts';
export { HostApplicationBuilder, type HostApplicationBuilderOptions } from './host-application-builder.ts';
export { HostServiceCollection } from './host-service-collection.ts';
export { HostLoggingBuilder } from './host-logging-builder.ts';
export { HealthChecksBuilder } from './health-checks-builder.ts';
export type { BackgroundServiceExceptionBehavior, HostOptions, ResolvedHostOptions } from './host-options.ts';
export type { HostedLifecycleService, HostedService, LifecycleHook } from './hosted-service.ts';
export {
  BackgroundService,
  type BackgroundServiceOptions,
  type BackgroundServiceStatus,
  type ClusterSingletonOptions,
} from './background-service.ts';
export type { RestartPolicy } from './restart-policy.ts';
export {
  ScheduledBackgroundService,
  type ScheduledBackgroundServiceOptions,
  type ScheduledOccurrence,
  type ScheduledOverlapPolicy,
  type UnfinishedOccurrencePolicy,
} from './scheduled-background-service.ts';
export {
  MemoryScheduleRunLog,
  type ScheduleRunClaim,
  type ScheduleRunLog,
  type ScheduleRunRecord,
  type ScheduleRunState,
} from './schedule-run-log.ts';
export type { ApplicationLifetime, LifetimeCallback } from './application-lifetime.ts';
export { HostApplicationLifetime, type HostApplicationLifetimeOptions } from './host-application-lifetime.ts';
export type { HostLifetime, HostLifetimeContext, HostRunOutcome } from './host-lifetime.ts';
export { EmbeddedHostLifetime } from './embedded-host-lifetime.ts';
export { HostShutdownTimeoutError, type AbandonedStops } from './host-shutdown-timeout-error.ts';
export {
  ApplicationLifetimeToken,
  HealthCheckServiceToken,
  HealthStatusBoardToken,
  HostOptionsToken,
  LoggerFactoryToken,
  TimeProviderToken,
} from './host-tokens.ts';
export { HostLogEvents, type HostLogEventCatalogue } from './host-log-events.ts';
