/**
 * The samples program on Deno 2.9: `npm run start:deno -w @hostkit/samples`, or
 * `deno run -A --conditions=@hostkit/source src/main.deno.ts [--port 8080 ...]` in packages/samples.
 * The same host as `main.ts`; only the runtime adapter differs (Deno's signals, clock and exit code).
 * @module
 */
import { createDenoHostBuilder, runMain } from '@hostkit/adapters/deno';
import { runSamples } from './run-samples.ts';

await runSamples({ name: 'deno', createHostBuilder: (options) => createDenoHostBuilder(options) }, runMain);
