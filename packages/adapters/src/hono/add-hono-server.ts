import {
  HealthCheckServiceToken,
  LoggerFactoryToken,
  ServiceScopeFactory,
  TimeProviderToken,
  type HealthCheckService,
  type HostApplicationBuilder,
  type Logger,
} from '@hostkit/core';
import type { Hono } from 'hono';
import { createHonoApp } from './app.ts';
import { addHealthRoutes, type HealthRoutesOptions } from './health-routes.ts';
import { HonoServerService, type HonoServerServiceOptions } from './hono-server-service.ts';
import type { HostkitEnv } from './request-scope.ts';

/** Options of {@link addHonoServer}: the server's, less what the container supplies. */
export interface AddHonoServerOptions
  extends Omit<HonoServerServiceOptions, 'app' | 'scopes' | 'time' | 'logger'> {
  /**
   * The probes: GET /healthz and /readyz (and /status when `status` is given), or `false` for none.
   * @default true
   */
  readonly health?: boolean | HealthRoutesOptions | undefined;
  /** The logger category. @default 'hostkit.Http' */
  readonly loggerCategory?: string | undefined;
}

/**
 * Registers a {@link HonoServerService} and returns its app, to add routes to until the host
 * starts. Call it after registering the services the routes use: it starts after them and stops
 * before them. The app has `c.env.scope` (one DI scope per request) and `c.env.signal`, and the
 * health probes unless `health: false`.
 *
 * ```ts
 * const app = addHonoServer(builder, { port: 8080, hostname: '0.0.0.0', drainDelayMs: 5_000 });
 * app.get('/orders/:id', (c) => c.json(c.env.scope.get(OrderStore).find(c.req.param('id'))));
 * await runMain(builder);
 * ```
 *
 * The service is resolved as `provider.get(HonoServerService)` (its `url`, its `snapshot()`).
 */
export function addHonoServer(builder: HostApplicationBuilder, options: AddHonoServerOptions): Hono<HostkitEnv> {
  let healthChecks: HealthCheckService | undefined;
  const loggerCategory = options.loggerCategory ?? 'hostkit.Http';
  let logger: Logger | undefined;
  const app = createHonoApp({
    // The app exists before the container: its error log is looked up when an error comes.
    get logger(): Logger | undefined {
      return logger;
    },
  });
  if (options.health !== false) {
    addHealthRoutes(
      app,
      () => {
        if (healthChecks === undefined) throw new Error('The health checks are not available before the host is built');
        return healthChecks;
      },
      options.health === true || options.health === undefined ? {} : options.health,
    );
  }
  builder.services.addHostedService(
    HonoServerService,
    [ServiceScopeFactory, TimeProviderToken, LoggerFactoryToken, HealthCheckServiceToken],
    (scopes, time, loggers, checks) => {
      healthChecks = checks;
      const httpLogger = loggers.createLogger(loggerCategory);
      logger = httpLogger;
      const { health: _health, loggerCategory: _category, ...serverOptions } = options;
      return new HonoServerService({ ...serverOptions, app, scopes, time, logger: httpLogger });
    },
  );
  return app;
}
