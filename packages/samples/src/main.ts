/**
 * The samples program on Node 24: `npm start` at the repository root, or
 * `node --conditions=@hostkit/source src/main.ts [--port 8080 ...]` in packages/samples.
 * @module
 */
import { createNodeHostBuilder, runMain } from '@hostkit/adapters/node';
import { runSamples } from './run-samples.ts';

await runSamples({ name: 'node', createHostBuilder: (options) => createNodeHostBuilder(options) }, runMain);
