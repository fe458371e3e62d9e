import type { StateStore } from '@flowlane/core';
import type { Redis } from 'ioredis';
import { RedisStoreError } from './errors.js';
import type { RedisCodec } from './options.js';

/**
 * `ctx.storage` in Redis: one hash per execution (`<prefix>state:<executionId>`), values encoded with the codec.
 * Durable: `release` (the run settled) keeps the state and lets it expire after `retentionMs`, so a resumed run and
 * other processes see it.
 */
export function createRedisStateStore(
  client: Redis,
  options: { prefix: string; codec: RedisCodec; retentionMs: number },
): StateStore {
  const key = (id: string) => `${options.prefix}state:${id}`;
  return {
    name: 'redis',
    async get(id, k) {
      const text = await client.hget(key(id), k);
      return text === null ? undefined : options.codec.decode(text);
    },
    async set(id, k, value) {
      let text: string;
      try {
        text = options.codec.encode(value);
      } catch (e) {
        throw new RedisStoreError('FL_REDIS_UNSERIALIZABLE', {
          store: 'state',
          key: k,
          reason: e instanceof Error ? e.message : String(e),
        });
      }
      await client.hset(key(id), k, text);
    },
    async delete(id, k) {
      await client.hdel(key(id), k);
    },
    async release(id) {
      if (options.retentionMs > 0) await client.pexpire(key(id), options.retentionMs);
    },
  };
}
