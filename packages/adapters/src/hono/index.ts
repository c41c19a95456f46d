/**
 * `@hostkit/adapters/hono`: HTTP in the host. A hosted service that serves a Hono app on the
 * runtime's own server (`Deno.serve` under Deno, `@hono/node-server` under Node), with one DI
 * scope per request, the health probes one call away, and a stop in the order Kubernetes needs
 * (readiness off while still serving for a drain delay, then no new connections, then what is in
 * flight, all within the shutdown budget; a request cut by the deadline gets a 503).
 *
 * `hono` (and, on Node, `@hono/node-server`) are optional peer dependencies: install them with
 * `npm install hono @hono/node-server`.
 *
 * ```ts
 * const app = addHonoServer(builder, { port: 8080, hostname: '0.0.0.0', drainDelayMs: 5_000 });
 * app.get('/hello', (c) => c.json({ hello: c.env.scope.get(Greeter).name }));
 * await runMain(builder);
 * ```
 * @module
 */
export { addHonoServer, type AddHonoServerOptions } from './add-hono-server.ts';
export { createHonoApp, type CreateHonoAppOptions } from './app.ts';
export { addHealthRoutes, type HealthRoutesOptions } from './health-routes.ts';
export { HonoServerService, type FetchApp, type HonoServerServiceOptions } from './hono-server-service.ts';
export type { HostkitBindings, HostkitEnv } from './request-scope.ts';
