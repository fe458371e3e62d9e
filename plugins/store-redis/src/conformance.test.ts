import {
  cacheStoreConformance,
  executionStoreConformance,
  type RedisService,
  startRedis,
  stateStoreConformance,
} from '@flowlane/testing';
import { Redis } from 'ioredis';
import { afterAll } from 'vitest';
import { strictJsonCodec } from './options.js';
import { createRedisCacheStore } from './redis-cache-store.js';
import { createRedisExecutionStore } from './redis-execution-store.js';
import { createRedisStateStore } from './redis-state-store.js';

const redis: RedisService = await startRedis();
afterAll(() => redis.dispose());

/** A store on its own client, closed with the store (the suites dispose every store they make). */
function withClient<T extends object>(make: (client: Redis) => T): T & { dispose(): Promise<void> } {
  const client = new Redis(redis.url, { maxRetriesPerRequest: null });
  return Object.assign(make(client), {
    async dispose() {
      await client.quit();
    },
  });
}

executionStoreConformance('redis', () =>
  withClient((c) => createRedisExecutionStore(c, { prefix: 'conf:', retentionMs: 60_000 })),
);
cacheStoreConformance(
  'redis',
  () => withClient((c) => createRedisCacheStore(c, { prefix: `conf:${Math.random()}:`, codec: strictJsonCodec })),
  { clock: 'real' },
);
stateStoreConformance(
  'redis',
  () => withClient((c) => createRedisStateStore(c, { prefix: 'conf:', codec: strictJsonCodec, retentionMs: 60_000 })),
  { retention: 'durable' },
);
