import {
  CronSchedule,
  HealthCheckTags,
  LoggerFactoryToken,
  ServiceScopeFactory,
  TimeProviderToken,
  type HostApplicationBuilder,
  type Token,
} from '@hostkit/core';
import type { ClusterWiring } from '../cluster/cluster-tokens.ts';
import type { AppConfig } from '../config/app-config.ts';
import type { ActivityLog } from '../database/activity-log.ts';
import type { FeatureRoutes } from '../http/feature-routes.ts';
import { CleanupService, type CleanupServiceOptions } from './cleanup-service.ts';
import { LogCleanupUnitOfWork, LogCleanupUnitOfWorkToken } from './log-cleanup-unit-of-work.ts';

/** What {@link addCleanup} needs from the rest of the application. */
export interface CleanupDependencies {
  readonly activity: Token<ActivityLog>;
  /** Batch size and pause overrides, for tests. */
  readonly options?: Partial<Pick<CleanupServiceOptions, 'batchSize' | 'batchPauseMs'>>;
  /** Cluster mode: the cleanup runs as a cluster singleton, once per interval across the cluster. */
  readonly cluster?: ClusterWiring | undefined;
}

/**
 * Registers the cleanup sample: the scoped {@link LogCleanupUnitOfWork}, the {@link CleanupService}
 * hosted service and its `cleanup` health check. It serves no route of its own; its counters show
 * in GET /status.
 */
export function addCleanup(builder: HostApplicationBuilder, config: AppConfig, deps: CleanupDependencies): FeatureRoutes {
  let service: CleanupService | undefined;
  // Parsed here, at registration: loadConfig checked it, but a config built in code was not.
  const schedule =
    config.cleanupSchedule === undefined ? undefined : new CronSchedule(config.cleanupSchedule, { timeZone: config.cleanupTimeZone });
  builder.services.addScoped(LogCleanupUnitOfWorkToken, () => new LogCleanupUnitOfWork(config.dataDir));
  const cluster = deps.cluster;
  if (cluster === undefined) {
    builder.services.addHostedService(
      CleanupService,
      [ServiceScopeFactory, TimeProviderToken, LoggerFactoryToken, deps.activity],
      (scopes, time, loggers, activity) => {
        service = new CleanupService(scopes, time, loggers.createLogger('samples.Cleanup'), activity, {
          intervalMs: config.cleanupIntervalMs,
          schedule,
          retentionDays: config.logRetentionDays,
          ...deps.options,
        });
        return service;
      },
    );
  } else {
    builder.services.addHostedService(
      CleanupService,
      [ServiceScopeFactory, TimeProviderToken, LoggerFactoryToken, deps.activity, cluster.lock, cluster.runs],
      (scopes, time, loggers, activity, lock, runs) => {
        service = new CleanupService(scopes, time, loggers.createLogger('samples.Cleanup'), activity, {
          intervalMs: config.cleanupIntervalMs,
          schedule,
          retentionDays: config.logRetentionDays,
          ...deps.options,
          cluster: { lock, runs, leaseTtlMs: cluster.leaseTtlMs, replicaId: cluster.replicaId },
        });
        return service;
      },
    );
  }
  builder.healthChecks.add({
    name: 'cleanup',
    // Degraded at worst: a failed cleanup is worth seeing, not worth a restart or losing traffic.
    check: () => service?.health() ?? { status: 'healthy', description: 'Not started yet' },
    tags: [HealthCheckTags.live, HealthCheckTags.ready],
  });
  return { status: () => service?.snapshot() ?? { state: 'idle' } };
}
