import type * as HonoModule from 'hono';
import { loadOptionalPeer } from './load-optional-peer.ts';

/** The `hono` package, loaded once with an install hint when it is missing; see {@link loadOptionalPeer}. */
const hono: typeof HonoModule = await loadOptionalPeer(() => import('hono'), {
  name: 'hono',
  range: '^4.13.19',
  entryPoint: '@hostkit/adapters/hono',
});

/** `hono`'s `Hono` application class. */
export const Hono: typeof HonoModule.Hono = hono.Hono;
