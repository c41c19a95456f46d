/**
 * `@hostkit/core/adapter-kit`: for those who implement core's ports (a cache, a lease store, a
 * work queue, a log sink) outside core, as `@hostkit/adapters` does. Host code does not need it.
 *
 * Each port's argument checks and defaults are here so that every implementation rejects the same
 * arguments with the same messages, and behaves alike where the port leaves a choice (work-queue
 * backoff, nack reasons): the contract suites in core's tests hold every implementation to that.
 * @module
 */
/** Formats a bad argument for an error message the way core's own errors do: `1.5 (number)`. */
export { describeValue } from '../internal/describe-value.ts';
export {
  checkCacheEntryOptions,
  checkCacheKey,
  checkCacheValue,
  type CacheEntryExpiration,
} from '../caching/cache-arguments.ts';
export { checkLeaseArguments, checkLeaseKey, checkPositiveMs } from '../coordination/lease-arguments.ts';
export {
  checkDeadLetterIds,
  checkDeadLetterQuery,
  checkDelayMs,
  checkWorkQueueOptions,
  describeNackReason,
  serializeWorkPayload,
  serializeWorkPayloads,
  workQueueBackoff,
  workQueueDefaults,
  type ResolvedWorkQueueOptions,
} from '../work-queue/work-queue-options.ts';
export { logLevelSeverity } from '../logging/log-level.ts';
export { formatLogRecordAsJson, formatLogRecordAsText } from '../logging/log-formats.ts';
export { isErrorLike, maxCauseDepth, serializeError, type SerializedError } from '../logging/serialize-error.ts';
export { createSafeReplacer, safeJsonStringify } from '../logging/safe-json.ts';
export { traceWorkQueueSend, type TracedWorkQueue } from '../telemetry/work-queue-telemetry.ts';
