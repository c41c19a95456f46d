/**
 * The fetch client as a real process on Node and on Deno: what watches its timeouts must not keep
 * a finished program alive.
 */
import { describe, expect, it } from 'vitest';
import { FixtureProcess, type FixtureRuntime } from '../fixtures/fixture-process.ts';

describe.each<FixtureRuntime>(['node', 'deno'])('FetchWeatherClient in a %s process', (runtime) => {
  it('lets the program end at once when its last request is done', { timeout: 60_000 }, async () => {
    const program = new FixtureProcess(runtime, 'fetch-weather-once');
    try {
      // The runtime's start-up included, far below the 15 s before the timeout interval's first tick.
      expect(await program.exit(10_000)).toEqual({ code: 0, signal: null });
      expect(program.output).toContain('got the forecast: weather code 61');
    } finally {
      await program.dispose();
    }
  });
});
