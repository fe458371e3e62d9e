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

/**
 * A store on its own client, closed with the store. Disposed once: the suites dispose every store they make, and an
 * engine given the store disposes it too on `close()` (a second `quit()` of an ended client rejects).
 */
function withClient<T extends { dispose?(): unknown }>(make: (client: Redis) => T): T & { dispose(): Promise<void> } {
  const client = new Redis(redis.url, { maxRetriesPerRequest: null });
  const store = make(client);
  const own = store.dispose?.bind(store);
  let disposed: Promise<void> | undefined;
  return Object.assign(store, {
    dispose() {
      disposed ??= (async () => {
        await own?.();
        await client.quit();
      })();
      return disposed;
    },
  });
}

/** The prefix of each cache store made, so a peer (another process's view) opens the same keys. */
const cachePrefixes = new WeakMap<object, string>();
const cacheStore = (prefix: string) => {
  const store = withClient((c) => createRedisCacheStore(c, { prefix, codec: strictJsonCodec }));
  cachePrefixes.set(store, prefix);
  return store;
};

executionStoreConformance('redis', () =>
  withClient((c) => createRedisExecutionStore(c, { prefix: 'conf:', retentionMs: 60_000 })),
);
cacheStoreConformance('redis', () => cacheStore(`conf:${Math.random()}:`), {
  clock: 'real',
  // Another process's view: its own connection (and subscriber) on the same keys.
  peer: (store) => cacheStore(cachePrefixes.get(store)!),
});
stateStoreConformance(
  'redis',
  () => withClient((c) => createRedisStateStore(c, { prefix: 'conf:', codec: strictJsonCodec, retentionMs: 60_000 })),
  { retention: 'durable' },
);
