import { createToken, type Token } from '../dependency-injection/token.ts';
import type { HealthCheckService } from '../health/health-check-service.ts';
import type { HealthStatusBoard } from '../health/health-status-board.ts';
import type { LoggerFactory } from '../logging/logger-factory.ts';
import type { TimeProvider } from '../time/time-provider.ts';
import type { ApplicationLifetime } from './application-lifetime.ts';
import type { ResolvedHostOptions } from './host-options.ts';

/**
 * The clock of the host (`builder.timeProvider`): depend on it, never on `Date.now()` or
 * `setTimeout`, so a test's `ManualTimeProvider` reaches every service.
 */
export const TimeProviderToken: Token<TimeProvider> = createToken<TimeProvider>('TimeProvider');

/** The host's logger factory, configured by `builder.logging`. */
export const LoggerFactoryToken: Token<LoggerFactory> = createToken<LoggerFactory>('LoggerFactory');

/** The application lifetime: `started`/`stopping`/`stopped`, and `stopApplication()`. */
export const ApplicationLifetimeToken: Token<ApplicationLifetime> = createToken<ApplicationLifetime>('ApplicationLifetime');

/** The host options in force (`builder.options` with defaults applied), read-only. */
export const HostOptionsToken: Token<ResolvedHostOptions> = createToken<ResolvedHostOptions>('HostOptions');

/** The health checks: the builder's `healthChecks` plus the host's own (`hostkit.services`, `hostkit.readiness`). */
export const HealthCheckServiceToken: Token<HealthCheckService> = createToken<HealthCheckService>('HealthCheckService');

/**
 * The board the host publishes faults and readiness on. Application code may report its own
 * services' problems on it too; they then show in the `hostkit.services` check.
 */
export const HealthStatusBoardToken: Token<HealthStatusBoard> = createToken<HealthStatusBoard>('HealthStatusBoard');
