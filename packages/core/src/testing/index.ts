/**
 * `@hostkit/core/testing`: helpers for testing code built on hostkit, starting with a clock that
 * tests move by hand.
 * @module
 */
export { ManualTimeProvider, type ManualTimeProviderOptions } from './manual-time-provider.ts';
