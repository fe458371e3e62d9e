import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ServiceStartError } from './errors.js';
import { runningServiceProcesses } from './process.js';
import { type RedisService, startRedis } from './start-redis.js';

describe('startRedis', () => {
  let redis: RedisService;
  let client: Redis;

  beforeAll(async () => {
    redis = await startRedis();
    client = new Redis(redis.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
    await client.connect();
  }, 30_000);

  afterAll(async () => {
    client?.disconnect();
    await redis?.dispose();
  });

  it('serves PING, SET and GET to ioredis', async () => {
    expect(redis.host).toBe('127.0.0.1');
    expect(redis.url).toBe(`redis://127.0.0.1:${redis.port}`);
    expect(await client.ping()).toBe('PONG');
    expect(await client.set('flowlane:key', 'value')).toBe('OK');
    expect(await client.get('flowlane:key')).toBe('value');
  });

  it('runs without persistence in its private directory, bound to 127.0.0.1', async () => {
    expect(await client.config('GET', 'save')).toEqual(['save', '']);
    expect(await client.config('GET', 'appendonly')).toEqual(['appendonly', 'no']);
    expect(await client.config('GET', 'bind')).toEqual(['bind', '127.0.0.1']);
    expect(await client.config('GET', 'dir')).toEqual(['dir', redis.dir]);
  });

  it('fails with the server output when redis-server refuses to start, leaving nothing behind', async () => {
    const before = runningServiceProcesses().map((p) => p.pid);
    const attempt = startRedis({ extraArgs: ['--flowlane-no-such-directive', 'x'] });
    await expect(attempt).rejects.toBeInstanceOf(ServiceStartError);
    await expect(attempt).rejects.toThrow(
      /redis failed to start: .*redis-server exited with code 1[\s\S]*Bad directive/,
    );
    expect(runningServiceProcesses().map((p) => p.pid)).toEqual(before);
  });
});
