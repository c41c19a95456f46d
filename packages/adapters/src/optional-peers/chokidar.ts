import type * as Chokidar from 'chokidar';
import { loadOptionalPeer } from './load-optional-peer.ts';

/** The `chokidar` package, loaded once with an install hint when it is missing; see {@link loadOptionalPeer}. */
const chokidar: typeof Chokidar = await loadOptionalPeer(() => import('chokidar'), {
  name: 'chokidar',
  range: '^6.0.0',
  entryPoint: '@hostkit/adapters/chokidar',
});

/** `chokidar`'s `watch`. */
export const watch: typeof Chokidar.watch = chokidar.watch;
