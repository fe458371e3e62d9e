import { createEngine, isFlowlaneError, workflow } from '@flowlane/core';
import { type RedisService, startRedis } from '@flowlane/testing';
import { Redis, ReplyError } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisStoreError } from './errors.js';
import { redisStore } from './redis-plugin.js';
import { isTransientRedisError } from './transient-errors.js';

/** What the engine logged, to check the failure is reported once and no password leaks. */
function recordingLogger() {
  const lines: string[] = [];
  const at = (level: string) => (message: string, fields?: unknown) =>
    lines.push(`${level} ${message} ${JSON.stringify(fields ?? {})}`);
  return { logger: { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') }, lines };
}

describe('permanent store write failures on a real Redis fail the run (FL_STORE_WRITE_FAILED)', () => {
  let redis: RedisService;
  let admin: Redis;
  beforeAll(async () => {
    redis = await startRedis();
    admin = new Redis(redis.url);
  });
  afterAll(async () => {
    await admin?.quit();
    await redis?.dispose();
  });

  it('a log key of the wrong type (the append script fails with WRONGTYPE) fails the run at once', async () => {
    const { logger, lines } = recordingLogger();
    const wf = workflow('wrong-type')
      .addNode('sabotage', async (ctx) => {
        // Someone overwrote the run's log with a string: every append's RPUSH now fails inside the script.
        await admin.set(`wt:run:${ctx.executionId}:log`, 'not a list');
        return 1;
      })
      .chain('after', (ctx) => ctx.results.sabotage + 1)
      .build();
    const engine = createEngine({ logger, plugins: [redisStore({ url: redis.url, prefix: 'wt:' })] });
    try {
      const r = await engine.run(wf, {}, { executionId: 'wt-1' }).result;
      expect(r.status).toBe('failed');
      expect(isFlowlaneError(r.error, 'FL_STORE_WRITE_FAILED')).toBe(true);
      expect(r.error).toMatchObject({ details: { store: 'redis', attempts: 1, executionId: 'wt-1' } });
      expect((r.error as Error).message).toContain('WRONGTYPE');
      // The failed write was not retried: one error line, no retry warnings.
      expect(lines.filter((l) => l.startsWith('warn execution store append failed'))).toEqual([]);
      expect(lines.filter((l) => l.startsWith('error execution store write failed permanently'))).toHaveLength(1);
    } finally {
      await engine.close();
    }
  });

  it('a user without permission to run the store scripts (NOPERM) fails the run, the password not in the error', async () => {
    const password = 'pa55-not-in-errors';
    await admin.call('ACL', 'SETUSER', 'noscripts', 'on', `>${password}`, '~*', '&*', '+@all', '-evalsha', '-eval');
    const url = redis.url.replace('redis://', `redis://noscripts:${password}@`);
    const { logger, lines } = recordingLogger();
    const engine = createEngine({ logger, plugins: [redisStore({ url, prefix: 'acl:' })] });
    try {
      const wf = workflow('no-perm')
        .addNode('a', () => 1)
        .build();
      const r = await engine.run(wf, {}, { executionId: 'acl-1' }).result;
      expect(r.status).toBe('failed');
      expect(r.error).toMatchObject({ code: 'FL_STORE_WRITE_FAILED', details: { attempts: 1 } });
      expect((r.error as Error).message).toMatch(/NOPERM/);
      expect(JSON.stringify(r)).not.toContain(password);
      expect(lines.join('\n')).not.toContain(password);
    } finally {
      await engine.close();
      await admin.call('ACL', 'DELUSER', 'noscripts');
    }
  });

  it('classifies Redis errors: connection failures and passing server states are transient, other replies not', async () => {
    const reply = async (...args: string[]) =>
      admin.call(args[0]!, ...args.slice(1)).then(
        () => expect.unreachable('the command should fail'),
        (e: unknown) => e,
      );
    const wrongType = await reply('HGET', 'wt:run:wt-1:log', 'x');
    expect(wrongType).toBeInstanceOf(ReplyError);
    expect(isTransientRedisError(wrongType)).toBe(false);
    expect(isTransientRedisError(await reply('EVALSHA', 'ffffffffffffffffffffffffffffffffffffffff', '0'))).toBe(false);
    // A client whose server went away: ioredis's own connection error.
    const gone = new Redis(redis.url, { maxRetriesPerRequest: 0, enableOfflineQueue: false, lazyConnect: true });
    const offline = await gone.get('k').then(
      () => expect.unreachable('not connected'),
      (e: unknown) => e,
    );
    gone.disconnect();
    expect(isTransientRedisError(offline)).toBe(true);
    expect(isTransientRedisError(new ReplyError('LOADING Redis is loading the dataset in memory'))).toBe(true);
    expect(isTransientRedisError(new ReplyError('BUSY Redis is busy running a script'))).toBe(true);
    expect(
      isTransientRedisError(new RedisStoreError('FL_REDIS_UNSERIALIZABLE', { store: 'cache', key: 'k', reason: 'x' })),
    ).toBe(false);
    expect(isTransientRedisError(new RedisStoreError('FL_REDIS_UNREACHABLE', { url: 'redis://h', reason: 'x' }))).toBe(
      true,
    );
  });
});
