import type { Container } from 'inversify';
import type { ServiceCollectionOptions } from '../dependency-injection/service-collection.ts';
import { tokenName, type Token } from '../dependency-injection/token.ts';
import { HealthCheckService } from '../health/health-check-service.ts';
import { HealthStatusBoard } from '../health/health-status-board.ts';
import { systemTimeProvider } from '../time/system-time-provider.ts';
import type { TimeProvider } from '../time/time-provider.ts';
import { describeValue } from '../internal/describe-value.ts';
import { EmbeddedHostLifetime } from './embedded-host-lifetime.ts';
import { HealthChecksBuilder } from './health-checks-builder.ts';
import { Host } from './host.ts';
import { HostApplicationLifetime } from './host-application-lifetime.ts';
import type { HostLifetime } from './host-lifetime.ts';
import { HostLoggingBuilder } from './host-logging-builder.ts';
import { resolveHostOptions, type HostOptions } from './host-options.ts';
import { HostServiceCollection } from './host-service-collection.ts';
import {
  ApplicationLifetimeToken,
  HealthCheckServiceToken,
  HealthStatusBoardToken,
  HostOptionsToken,
  LoggerFactoryToken,
  TimeProviderToken,
} from './host-tokens.ts';

/** Options of `Host.createApplicationBuilder()`: the starting values of the builder's settings. */
export interface HostApplicationBuilderOptions {
  /**
   * How the host meets the runtime: pass the Node or Deno adapter's console lifetime in a `main`.
   * @default new EmbeddedHostLifetime() (no signals, no handle on the event loop)
   */
  lifetime?: HostLifetime | undefined;
  /**
   * The clock of the host and its services; tests pass a `ManualTimeProvider`.
   * @default systemTimeProvider
   */
  timeProvider?: TimeProvider | undefined;
  /** The starting values of `builder.options`. */
  hostOptions?: HostOptions | undefined;
  /** Passed to the `ServiceCollection`. */
  services?: ServiceCollectionOptions | undefined;
  /**
   * An application's existing inversify container: the host's services are bound into it, and
   * the classes already bound in it get hostkit's lifetimes, scopes and checks (see
   * `ServiceCollection.container`). The same as `services: { container }`.
   * @default new Container()
   */
  container?: Container | undefined;
}

/**
 * Configures a {@link Host}, then {@link build}s it once; the port of .NET's
 * `HostApplicationBuilder`. Made by `Host.createApplicationBuilder()`.
 *
 * `build()` registers, as instances the services can depend on: `TimeProviderToken`,
 * `LoggerFactoryToken`, `ApplicationLifetimeToken`, `HostOptionsToken`, `HealthCheckServiceToken`
 * and `HealthStatusBoardToken`. Set them through the builder, not by registering those tokens.
 */
export class HostApplicationBuilder {
  /** Registrations; `addHostedService` adds a hosted service. */
  readonly services: HostServiceCollection;
  /** How the host starts and stops (checked by {@link build}). */
  readonly options: HostOptions;
  /** Sinks and minimum levels. */
  readonly logging: HostLoggingBuilder = new HostLoggingBuilder();
  /** The application's health checks. */
  readonly healthChecks: HealthChecksBuilder = new HealthChecksBuilder();
  /** The clock of the host and its services, registered as `TimeProviderToken`. */
  timeProvider: TimeProvider;
  /** The host lifetime of the run (one per host). */
  lifetime: HostLifetime;
  #built = false;

  /**
   * Use `Host.createApplicationBuilder()`.
   * @throws TypeError when `container` and `services.container` are both given and differ.
   */
  constructor(options: HostApplicationBuilderOptions = {}) {
    const { container } = options;
    const fromServices = options.services?.container;
    if (container !== undefined && fromServices !== undefined && container !== fromServices) {
      throw new TypeError(
        'Expected one inversify container, got two different ones in container and services.container: pass it once.',
      );
    }
    this.services = new HostServiceCollection({ ...options.services, container: container ?? fromServices });
    this.options = { ...options.hostOptions };
    this.timeProvider = options.timeProvider ?? systemTimeProvider;
    this.lifetime = options.lifetime ?? new EmbeddedHostLifetime();
  }

  /**
   * Checks the configuration and builds the host. Call it once.
   * @throws RangeError or TypeError when an option is invalid (naming it and its value), when two
   * health checks share a name, or when the time provider or lifetime is not one.
   * @throws Error when a well-known host token was registered by hand, or on a second call.
   * @throws whatever `ServiceCollection.build()` reports (missing, captive, circular dependencies).
   */
  build(): Host {
    if (this.#built) throw new Error('HostApplicationBuilder.build() was already called: a builder builds one host.');
    const options = resolveHostOptions(this.options);
    const timeProvider = this.timeProvider;
    if (typeof (timeProvider as Partial<TimeProvider> | null)?.createTimer !== 'function') {
      throw new TypeError(`Expected timeProvider to be a TimeProvider, got ${describeValue(timeProvider)}`);
    }
    const lifetime = this.lifetime;
    const candidate = lifetime as Partial<HostLifetime> | null;
    if (typeof candidate?.waitForStart !== 'function' || typeof candidate.stop !== 'function') {
      throw new TypeError(`Expected lifetime to be a HostLifetime with waitForStart and stop methods, got ${describeValue(lifetime)}`);
    }
    const loggerFactory = this.logging.createFactory(timeProvider);
    const health = new HealthStatusBoard();
    const healthCheckService = new HealthCheckService({
      registrations: [...health.createRegistrations(), ...this.healthChecks.registrations],
      timeProvider,
      logger: loggerFactory.createLogger('hostkit.HealthChecks'),
    });
    const applicationLifetime = new HostApplicationLifetime({ logger: loggerFactory.createLogger('hostkit.ApplicationLifetime') });
    const wellKnown: [Token<unknown>, unknown, string][] = [
      [TimeProviderToken, timeProvider, 'builder.timeProvider'],
      [LoggerFactoryToken, loggerFactory, 'builder.logging'],
      [ApplicationLifetimeToken, applicationLifetime, 'nothing: the host owns it'],
      [HostOptionsToken, options, 'builder.options'],
      [HealthCheckServiceToken, healthCheckService, 'builder.healthChecks'],
      [HealthStatusBoardToken, health, 'nothing: the host owns it'],
    ];
    for (const [token] of wellKnown) {
      if (this.services.has(token)) {
        const [, , instead] = wellKnown.find(([known]) => known === token) ?? [];
        throw new Error(`'${tokenName(token)}' is registered by the host builder; do not register it yourself (set ${instead} instead).`);
      }
    }
    for (const [token, instance] of wellKnown) this.services.addInstance(token, instance);
    const services = this.services.build();
    this.#built = true;
    return new Host({
      services,
      hostedServices: [...this.services.hostedServices],
      lifetime,
      applicationLifetime,
      options,
      timeProvider,
      loggerFactory,
      health,
    });
  }
}
