import type * as NodeServer from '@hono/node-server';
import { loadOptionalPeer } from './load-optional-peer.ts';

/**
 * `@hono/node-server`'s `serve`, loaded on first use (only Node needs it: Deno serves with
 * `Deno.serve`), with an install hint when it is missing; see {@link loadOptionalPeer}.
 */
export async function loadNodeServe(): Promise<typeof NodeServer.serve> {
  const module = await loadOptionalPeer(() => import('@hono/node-server'), {
    name: '@hono/node-server',
    range: '^2.1.8',
    entryPoint: '@hostkit/adapters/hono',
  });
  return module.serve;
}
