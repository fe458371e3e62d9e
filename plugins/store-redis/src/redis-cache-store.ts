import type { CacheStore } from '@flowlane/core';
import type { Redis } from 'ioredis';
import { RedisStoreError } from './errors.js';
import type { RedisCodec } from './options.js';

/**
 * Node outputs for `cache` in Redis: one string key per entry with a millisecond TTL (`SET … PX`), encoded with the
 * codec (strict JSON by default: a value JSON would change is refused with `FL_REDIS_UNSERIALIZABLE`, never stored
 * corrupted). Keys are `<prefix>cache:<engine cache key>`.
 */
export function createRedisCacheStore(client: Redis, options: { prefix: string; codec: RedisCodec }): CacheStore {
  const key = (k: string) => `${options.prefix}cache:${k}`;
  return {
    name: 'redis',
    async get(k) {
      const text = await client.get(key(k));
      return text === null ? undefined : { value: options.codec.decode(text) };
    },
    async set(k, value, ttlMs) {
      let text: string;
      try {
        text = options.codec.encode(value);
      } catch (e) {
        throw new RedisStoreError('FL_REDIS_UNSERIALIZABLE', {
          store: 'cache',
          key: k,
          reason: e instanceof Error ? e.message : String(e),
        });
      }
      await client.set(key(k), text, 'PX', Math.max(1, Math.round(ttlMs)));
    },
    async delete(k) {
      await client.del(key(k));
    },
  };
}
