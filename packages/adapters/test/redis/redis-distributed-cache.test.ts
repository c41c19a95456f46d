import { describe, expect, it } from 'vitest';
import { describeDistributedCacheContract } from '../../../core/test/caching/distributed-cache-contract.ts';
import { RedisDistributedCache } from '../../src/redis/index.ts';
import { advanceBySleeping, connectTestRedis, deleteKeys, describeWithRedis, redisSuiteOptions, uniquePrefix } from './redis-test-server.ts';

describeWithRedis('RedisDistributedCache', redisSuiteOptions, () => {
  describeDistributedCacheContract('RedisDistributedCache', async () => {
    const connection = await connectTestRedis();
    const keyPrefix = uniquePrefix();
    return {
      cache: new RedisDistributedCache({ connection, keyPrefix }),
      now: () => Date.now(),
      advance: advanceBySleeping,
      dispose: async () => {
        await deleteKeys(connection, keyPrefix);
        await connection.close();
      },
    };
  });

  describe('RedisDistributedCache', () => {
    it('round-trips every byte value, including invalid UTF-8 and NULs', async () => {
      const connection = await connectTestRedis();
      const keyPrefix = uniquePrefix();
      try {
        const cache = new RedisDistributedCache({ connection, keyPrefix });
        const all = new Uint8Array(256).map((_, i) => i);
        await cache.set('bytes', all);
        const back = await cache.get('bytes');
        expect(back).toBeInstanceOf(Uint8Array);
        expect(back).toEqual(all);
        await cache.set('invalid-utf8', new Uint8Array([0xff, 0xfe, 0x00, 0xc3]));
        expect(await cache.get('invalid-utf8')).toEqual(new Uint8Array([0xff, 0xfe, 0x00, 0xc3]));
      } finally {
        await deleteKeys(connection, keyPrefix);
        await connection.close();
      }
    });

    it('rejects a key prefix with braces, which would break hash tags', async () => {
      const connection = await connectTestRedis();
      try {
        expect(() => new RedisDistributedCache({ connection, keyPrefix: 'a{b}' })).toThrow(TypeError);
      } finally {
        await connection.close();
      }
    });
  });
});
