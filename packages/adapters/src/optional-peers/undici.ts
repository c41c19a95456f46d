import type * as Undici from 'undici';
import { loadOptionalPeer } from './load-optional-peer.ts';

/** The `undici` package, loaded once with an install hint when it is missing; see {@link loadOptionalPeer}. */
const undici: typeof Undici = await loadOptionalPeer(() => import('undici'), {
  name: 'undici',
  range: '^8.12.4',
  entryPoint: '@hostkit/adapters/undici',
});

/** `undici`'s `Agent`. */
export const Agent: typeof Undici.Agent = undici.Agent;
