/**
 * The samples program on Deno 2.9: `npm run start:deno -w @hostkit/samples`, or
 * `deno run -A --conditions=@hostkit/source src/main.deno.ts [--port 8080 ...]` in packages/samples.
 * The same host as `main.ts`; only the runtime adapters differ (Deno's signals, clock and exit code,
 * and the weather client's transport: Deno's native `fetch` instead of undici).
 * @module
 */
import { createDenoHostBuilder, runMain } from '@hostkit/adapters/deno';
import { createFetchWeatherClient } from '@hostkit/adapters/fetch';
import { runSamples } from './run-samples.ts';

await runSamples(
  {
    name: 'deno',
    createHostBuilder: (options) => createDenoHostBuilder(options),
    // Deno's native fetch, not undici over its node:net emulation: the same client, faster there.
    weatherClients: { transport: 'fetch', create: createFetchWeatherClient },
  },
  runMain,
);
