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

describeWithRedis('RedisLeaseStore', redisSuiteOptions, () => {
  describeLeaseStoreContract('RedisLeaseStore', setup);
  describeDistributedLockContract('RedisLeaseStore', setup);
});
