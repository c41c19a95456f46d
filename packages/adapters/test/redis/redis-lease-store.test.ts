import { describe, expect, it } from 'vitest';
import {
  describeDistributedLockContract,
  describeLeaseStoreContract,
} from '../../../core/test/coordination/lease-store-contract.ts';
import { RedisLeaseStore } from '../../src/redis/index.ts';
import { advanceBySleeping, connectTestRedis, deleteKeys, describeWithRedis, redisSuiteOptions, uniquePrefix } from './redis-test-server.ts';

async function setup(): Promise<{ store: RedisLeaseStore; advance: (ms: number) => Promise<void>; dispose: () => Promise<void> }> {
  const connection = await connectTestRedis();
  const keyPrefix = uniquePrefix();
  return {
    store: new RedisLeaseStore({ connection, keyPrefix }),
    advance: advanceBySleeping,
    dispose: async () => {
      await deleteKeys(connection, keyPrefix);
      await connection.close();
    },
  };
}

/** The token of an acquisition that must succeed. */
function tokenOf(result: Awaited<ReturnType<RedisLeaseStore['tryAcquire']>>): number {
  if (!result.acquired) throw new Error('Expected the lease to be acquired');
  return result.fencingToken;
}

describeWithRedis('RedisLeaseStore', redisSuiteOptions, () => {
  describeLeaseStoreContract('RedisLeaseStore', setup);
  describeDistributedLockContract('RedisLeaseStore', setup);

  describe('RedisLeaseStore fencing tokens', () => {
    it('gives a greater token than every earlier one when the counter was lost with the data', async () => {
      const connection = await connectTestRedis();
      const keyPrefix = uniquePrefix();
      try {
        const store = new RedisLeaseStore({ connection, keyPrefix });
        const before: number[] = [];
        for (let i = 0; i < 3; i++) {
          before.push(tokenOf(await store.tryAcquire('leader', `owner-${i}`, 5_000)));
          await store.release('leader', `owner-${i}`);
        }
        // What a restart without persistence, a FLUSHALL or a failover to a lagging replica leaves: no keys at all.
        await deleteKeys(connection, keyPrefix);
        const after = tokenOf(await store.tryAcquire('leader', 'owner-after-loss', 5_000));
        expect(after).toBeGreaterThan(Math.max(...before));
        expect(Number.isSafeInteger(after)).toBe(true);
        // Still strictly increasing afterwards, and kept by a re-acquisition of its owner.
        expect(tokenOf(await store.tryAcquire('leader', 'owner-after-loss', 5_000))).toBe(after);
        await store.release('leader', 'owner-after-loss');
        expect(tokenOf(await store.tryAcquire('leader', 'next', 5_000))).toBeGreaterThan(after);
      } finally {
        await deleteKeys(connection, keyPrefix);
        await connection.close();
      }
    });
  });
});
