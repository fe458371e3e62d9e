/* A real Redis (and a plain client on it) for one test file: started before its tests, stopped after them. */
import { type RedisService, startRedis } from '@flowlane/testing';
import { Redis } from 'ioredis';
import { afterAll, beforeAll } from 'vitest';

/** What `useRedis` gives a test file; read its fields inside tests (they are set by `beforeAll`). */
export interface RedisFixture {
  readonly redis: RedisService;
  readonly client: Redis;
}

/** Call inside a `describe`: starts Redis with a client before the tests, disconnects and stops it after them. */
export function useRedis(): RedisFixture {
  const fixture = {} as { redis: RedisService; client: Redis };
  beforeAll(async () => {
    fixture.redis = await startRedis();
    fixture.client = new Redis(fixture.redis.url);
  });
  afterAll(async () => {
    fixture.client?.disconnect();
    await fixture.redis?.dispose();
  });
  return fixture;
}
