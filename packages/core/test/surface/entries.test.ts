/**
 * What each entry of the package exports, by name: the main entry is the host API, and what
 * exists for those who implement ports lives in `@hostkit/core/adapter-kit`.
 */
import { describe, expect, it } from 'vitest';

/** Adapter authors' tools: argument checks, shared defaults, formatters. */
const adapterKit = [
  'checkCacheEntryOptions',
  'checkCacheKey',
  'checkCacheValue',
  'checkDeadLetterIds',
  'checkDeadLetterQuery',
  'checkDelayMs',
  'checkLeaseArguments',
  'checkLeaseKey',
  'checkPositiveMs',
  'checkWorkQueueOptions',
  'createSafeReplacer',
  'describeNackReason',
  'describeValue',
  'formatLogRecordAsJson',
  'formatLogRecordAsText',
  'isErrorLike',
  'logLevelSeverity',
  'maxCauseDepth',
  'safeJsonStringify',
  'serializeError',
  'serializeWorkPayload',
  'serializeWorkPayloads',
  'traceWorkQueueSend',
  'workQueueBackoff',
  'workQueueDefaults',
];

/** The host's own machinery: no entry exports it. */
const internal = [
  'defaultShutdownTimeout',
  'isHostedLifecycleService',
  'isHostedService',
  'resolveHostOptions',
  'resolveRestartPolicy',
  'restartDelay',
];

describe('package entries', () => {
  it('exports the adapter kit, and nothing else, from @hostkit/core/adapter-kit', async () => {
    const kit = await import('@hostkit/core/adapter-kit');

    expect(Object.keys(kit).sort()).toEqual(adapterKit);
  });

  it('keeps the adapter kit and the host internals off the main entry', async () => {
    const main = Object.keys(await import('@hostkit/core'));

    expect(main.filter((name) => adapterKit.includes(name) || internal.includes(name))).toEqual([]);
    expect(main.filter((name) => /^(check|resolve)[A-Z]/.test(name))).toEqual([]);
  });

  it('exports the weather domain from @hostkit/core/weather, and not from the main entry', async () => {
    const weather = await import('@hostkit/core/weather');
    const main = Object.keys(await import('@hostkit/core'));

    expect(Object.keys(weather).sort()).toEqual([
      'WeatherApiError',
      'WeatherRequestError',
      'WeatherResponseError',
      'checkCoordinates',
      'checkForecastDays',
      'maxForecastDays',
    ]);
    expect(main.filter((name) => /weather|forecast/i.test(name))).toEqual([]);
  });

  it('exports the host API from the main entry', async () => {
    const main = await import('@hostkit/core');

    for (const name of ['Host', 'HostApplicationBuilder', 'BackgroundService', 'ServiceCollection', 'CancellationSource']) {
      expect(main).toHaveProperty(name);
    }
    for (const name of ['TimeProvider', 'PeriodicTimer', 'CronSchedule', 'CronTimer', 'createBoundedChannel', 'HealthCheckService', 'createLoggerFactory']) {
      expect(main).toHaveProperty(name);
    }
    for (const name of ['MemoryDistributedCache', 'MemoryLeaseStore', 'DistributedLock', 'MemoryWorkQueue', 'createFileChannelFeeder']) {
      expect(main).toHaveProperty(name);
    }
  });
});
