/**
 * Time: the {@link TimeProvider} port, its system implementation and {@link PeriodicTimer}.
 * The manual provider for tests is in `@hostkit/core/testing`.
 * @module
 */
export { TimeProvider, type Timer } from './time-provider.ts';
export { SystemTimeProvider, systemTimeProvider } from './system-time-provider.ts';
export { PeriodicTimer, type PeriodicTimerOptions } from './periodic-timer.ts';
