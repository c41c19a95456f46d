// The consumer host on Node: `node main.node.ts` (Node 24 strips the types of your own files).
import { Host } from '@hostkit/core';
import { runMain } from '@hostkit/adapters/node';
import { configure, Stats, summary } from './host.ts';

const stats = new Stats();
const exitCode = await runMain(configure(Host.createApplicationBuilder(), stats));
console.log(summary(stats, exitCode));
