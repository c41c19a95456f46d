/**
 * @hostkit/core: the generic host for background work on web-standard APIs.
 *
 * Runs unchanged on Node, Deno and any runtime with AbortSignal and promises; what a platform
 * must supply (system time, signals, file watching) comes through ports that `@hostkit/adapters`
 * fills. Other entries: `@hostkit/core/testing` (a manual clock), `@hostkit/core/adapter-kit`
 * (for implementers of ports) and `@hostkit/core/weather` (the samples' weather port).
 * @module
 */
export * from './cancellation/index.ts';
export * from './time/index.ts';
export * from './channels/index.ts';
export * from './logging/index.ts';
export * from './health/index.ts';
export * from './dependency-injection/index.ts';
export * from './hosting/index.ts';
export * from './caching/index.ts';
export * from './coordination/index.ts';
export * from './work-queue/index.ts';
export * from './file-watching/index.ts';
export * from './telemetry/index.ts';
