/**
 * Time: the {@link TimeProvider} port, its system implementation, {@link PeriodicTimer}, and cron
 * schedules ({@link CronSchedule}, {@link CronTimer}) on the same port.
 * The manual provider for tests is in `@hostkit/core/testing`.
 * @module
 */
export { TimeProvider, type Timer } from './time-provider.ts';
export { SystemTimeProvider, systemTimeProvider } from './system-time-provider.ts';
export { PeriodicTimer, type PeriodicTimerOptions } from './periodic-timer.ts';
export { CronSchedule, type CronScheduleOptions } from './cron-schedule.ts';
export {
  CronTimer,
  type CronCatchUpPolicy,
  type CronOverlapPolicy,
  type CronTimerOptions,
} from './cron-timer.ts';
