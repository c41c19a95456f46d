import type * as Redis from 'redis';
import { loadOptionalPeer } from './load-optional-peer.ts';

/** The `redis` package, loaded once with an install hint when it is missing; see {@link loadOptionalPeer}. */
const redis: typeof Redis = await loadOptionalPeer(() => import('redis'), {
  name: 'redis',
  range: '^6.3.1',
  entryPoint: '@hostkit/adapters/redis',
});

/** `redis`'s `createClient`. */
export const createClient: typeof Redis.createClient = redis.createClient;
/** `redis`'s `RESP_TYPES`, the reply types a `TypeMapping` maps. */
export const RESP_TYPES: typeof Redis.RESP_TYPES = redis.RESP_TYPES;
