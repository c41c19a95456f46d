// The consumer host on Deno: `deno run -A main.deno.ts`, the same imports as on Node (Deno reads
// this project's package.json and the node_modules that `npm install` filled).
import { Host } from '@hostkit/core';
import { runMain } from '@hostkit/adapters/deno';
import { configure, Stats, summary } from './host.ts';

const stats = new Stats();
const exitCode = await runMain(configure(Host.createApplicationBuilder(), stats));
console.log(summary(stats, exitCode));
