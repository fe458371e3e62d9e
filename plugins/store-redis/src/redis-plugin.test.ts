import { createServer, type Socket } from 'node:net';
import { createEngine, type ExecutionRecord, isFlowlaneError, type Workflow, workflow } from '@flowlane/core';
import { closeDuringSetup, type RedisService, startRedis } from '@flowlane/testing';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisStoreError } from './errors.js';
import { redactRedisUrl, strictJsonCodec } from './options.js';
import { createRedisCacheStore } from './redis-cache-store.js';
import { redisStore } from './redis-plugin.js';

const quiet = { debug() {}, info() {}, warn() {}, error() {} };

/** A port nobody listens on (bound once, then released). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  await new Promise((r) => server.close(r));
  return port;
}

describe('redisStore options and connection', () => {
  it('refuses unknown options with a suggestion, and a missing url', () => {
    expect(() => redisStore({ url: 'redis://127.0.0.1:1', prefx: 'a:' } as never)).toThrow(
      /unknown option; did you mean "prefix"\?/,
    );
    try {
      redisStore({} as never);
      expect.unreachable();
    } catch (e) {
      expect(RedisStoreError.is(e, 'FL_REDIS_INVALID_OPTION')).toBe(true);
    }
    expect(() => redisStore({ url: 'http://x' })).toThrow(/redis:\/\/ or rediss:\/\//);
    expect(() => redisStore({ url: 'redis://h', stores: ['cahce'] as never })).toThrow(/did you mean "cache"/);
  });

  it('refuses durations Redis or a timer cannot honour', () => {
    const url = 'redis://127.0.0.1:1';
    // 1e20 reached Redis as "1e+20": PEXPIRE refused it and every run failed as it finished (FL_STORE_WRITE_FAILED).
    expect(() => redisStore({ url, retentionMs: 1e20 })).toThrow(
      /retentionMs.*at most 2\^53 − 1.*got 100000000000000000000/,
    );
    // Timers longer than 2^31−1 ms fire after 1 ms: connect gave up at once, renewals and polls ran every ms.
    expect(() => redisStore({ url, connectTimeoutMs: 1e12 })).toThrow(/connectTimeoutMs.*≤ 2147483647/);
    expect(() => redisStore({ url, flowControl: { leaseMs: 1e15 } })).toThrow(/flowControl\.leaseMs.*≤ 2147483647/);
    expect(() => redisStore({ url, flowControl: { pollIntervalMs: 1e12 } })).toThrow(
      /flowControl\.pollIntervalMs.*≤ 2147483647/,
    );
    expect(() => redisStore({ url, retentionMs: 2 ** 53 - 1, connectTimeoutMs: 2_147_483_647 })).not.toThrow();
  });

  it('redacts passwords in URLs', () => {
    expect(redactRedisUrl('redis://app:hunter2@cache:6379/0')).toBe('redis://app:***@cache:6379/0');
    expect(redactRedisUrl('rediss://:hunter2@cache:6380')).toBe('rediss://:***@cache:6380');
    expect(redactRedisUrl('redis://cache:6379')).toBe('redis://cache:6379');
  });

  it('fails setup with FL_REDIS_UNREACHABLE naming the URL without its password', async () => {
    const port = await closedPort();
    const engine = createEngine({
      logger: quiet,
      plugins: [redisStore({ url: `redis://app:hunter2@127.0.0.1:${port}`, connectTimeoutMs: 3_000 })],
    });
    const err = await engine.ready().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isFlowlaneError(err, 'FL_PLUGIN_SETUP_FAILED')).toBe(true);
    const cause = (err as Error).cause;
    expect(RedisStoreError.is(cause, 'FL_REDIS_UNREACHABLE')).toBe(true);
    expect((cause as Error).message).toContain(`redis://app:***@127.0.0.1:${port}`);
    expect(JSON.stringify({ m: (err as Error).message, c: (cause as Error).message })).not.toContain('hunter2');
    await engine.close();
  });

  it('engine.close() during the first connection stops trying at once (api.signal): no wait for connectTimeoutMs or the 5 s grace', async () => {
    // A server that accepts the connection and never answers: the client waits for Redis' reply.
    const sockets = new Set<Socket>();
    const silent = createServer((s) => {
      s.resume(); // reads and drops the client's commands
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
    });
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const { port } = silent.address() as { port: number };
    try {
      const engine = createEngine({
        logger: quiet,
        plugins: [redisStore({ url: `redis://127.0.0.1:${port}`, connectTimeoutMs: 60_000 })],
      });
      await expect.poll(() => sockets.size).toBe(1);
      const { closeMs, readyError } = await closeDuringSetup(engine);
      expect(closeMs).toBeLessThan(2_000);
      expect(isFlowlaneError(readyError, 'FL_ENGINE_CLOSED')).toBe(true);
      await expect.poll(() => sockets.size).toBe(0); // the client's connection is gone
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise((r) => silent.close(r));
    }
  });
});

describe('redisStore on a real Redis', () => {
  let redis: RedisService;
  beforeAll(async () => {
    redis = await startRedis({ extraArgs: ['--appendonly', 'yes', '--appendfsync', 'always'] });
  });
  afterAll(() => redis?.dispose());

  it('runs a workflow durably: runs.get/list from another engine, storage in Redis, result only once durable', async () => {
    const wf = workflow('redis-basic', { version: '1' })
      .addNode('a', async (ctx) => {
        await ctx.storage.set('seen', { by: ctx.nodeId });
        return 1;
      })
      .chain('b', (ctx) => ctx.results.a + 1)
      .build();
    const engine = createEngine({ logger: quiet, plugins: [redisStore({ url: redis.url, prefix: 'basic:' })] });
    const r = await engine.run(wf, {}, { executionId: 'basic-1' }).result;
    expect(r.outputs).toEqual({ a: 1, b: 2 });
    const reader = createEngine({ logger: quiet, plugins: [redisStore({ url: redis.url, prefix: 'basic:' })] });
    // A run reports success only once its last record is stored: another engine sees it finished at once.
    expect(await reader.runs.get('basic-1')).toMatchObject({
      status: 'success',
      workflow: 'redis-basic',
      version: '1',
    });
    expect((await reader.runs.list({ workflow: 'redis-basic' })).runs.map((x) => x.executionId)).toEqual(['basic-1']);
    // A cursor that is not one of this store's is a typed error (it was a raw "ERR min or max is not a float").
    await expect(reader.runs.list({ cursor: 'junk' })).rejects.toMatchObject({
      code: 'FL_INVALID_OPTION',
      message: expect.stringMatching(/engine\.runs\.list: invalid cursor: not a cursor of this store/),
    });
    const client = new Redis(redis.url);
    expect(JSON.parse((await client.hget('basic:state:basic-1', 'seen'))!)).toEqual({ by: 'a' });
    await client.quit();
    await engine.close();
    await reader.close();
  });

  it('removes a finished run after retentionMs (log, summary, state, index), never a running one', async () => {
    const engine = createEngine({
      logger: quiet,
      plugins: [redisStore({ url: redis.url, prefix: 'retention:', retentionMs: 300 })],
    });
    const done = workflow('kept')
      .addNode('a', async (ctx) => {
        await ctx.storage.set('k', 1);
        return 1;
      })
      .build();
    await engine.run(done, {}, { executionId: 'ret-done' }).result;
    engine.run(
      workflow('held')
        .addNode('a', () => new Promise(() => undefined))
        .build(),
      {},
      { executionId: 'ret-running' },
    );
    while ((await engine.runs.get('ret-running')) === undefined) await new Promise((r) => setTimeout(r, 5));
    expect((await engine.runs.get('ret-done'))?.status).toBe('success');
    const client = new Redis(redis.url);
    const deadline = Date.now() + 10_000;
    while ((await client.exists('retention:run:ret-done')) === 1 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 50));
    expect(
      await client.exists('retention:run:ret-done', 'retention:run:ret-done:log', 'retention:state:ret-done'),
    ).toBe(0);
    expect(await engine.runs.get('ret-done')).toBeUndefined();
    expect((await engine.runs.list()).runs.map((r) => r.executionId)).toEqual(['ret-running']);
    expect(await client.zscore('retention:runs', 'ret-done')).toBeNull(); // dropped from the index by list()
    expect((await engine.runs.get('ret-running'))?.status).toBe('running');
    await client.quit();
    await engine.close();
  });

  it('cache: one computation across engines on separate connections (lock + wake-up), keys namespaced by version', async () => {
    let computed = 0;
    const build = () =>
      workflow('cached', { version: '7' })
        .addNode(
          'report',
          async () => {
            computed++;
            await new Promise((r) => setTimeout(r, 300));
            return { rows: 42 };
          },
          { cache: { ttl: 60_000, keyFn: () => 'daily' } },
        )
        .build();
    const engines = [0, 1, 2].map(() =>
      createEngine({ logger: quiet, plugins: [redisStore({ url: redis.url, prefix: 'sf:', stores: ['cache'] })] }),
    );
    await Promise.all(engines.map((e) => e.ready()));
    const results = await Promise.all(engines.map((e) => e.run(build(), {}).result));
    expect(computed).toBe(1);
    expect(results.map((r) => r.outputs.report)).toEqual([{ rows: 42 }, { rows: 42 }, { rows: 42 }]);
    expect(results.filter((r) => r.nodes.report?.cacheHit === true)).toHaveLength(2);
    const client = new Redis(redis.url);
    expect(await client.keys('sf:cache:*')).toEqual(['sf:cache:cached@7:report:daily']);
    expect(await client.keys('sf:cache-lock:*')).toEqual([]);
    await client.quit();
    for (const e of engines) await e.close();
  });

  it('cache: when the process holding the lock fails, the lock is released and a waiting process computes', async () => {
    let attempts = 0;
    const build = () =>
      workflow('cached-fail', { version: '1' })
        .addNode(
          'report',
          async () => {
            attempts++;
            await new Promise((r) => setTimeout(r, 100));
            if (attempts === 1) throw new Error('first computation fails');
            return 'second computes';
          },
          { cache: { ttl: 60_000, keyFn: () => 'k' }, timeout: 20_000 },
        )
        .build();
    const [a, b] = [0, 1].map(() =>
      createEngine({ logger: quiet, plugins: [redisStore({ url: redis.url, prefix: 'sff:', stores: ['cache'] })] }),
    );
    await Promise.all([a!.ready(), b!.ready()]);
    const started = Date.now();
    const [ra, rb] = await Promise.all([a!.run(build(), {}).result, b!.run(build(), {}).result]);
    expect(attempts).toBe(2);
    expect([ra.status, rb.status].sort()).toEqual(['failed', 'success']);
    // The waiter woke on the release, long before the 20 s lock would have expired.
    expect(Date.now() - started).toBeLessThan(10_000);
    const client = new Redis(redis.url);
    expect(await client.keys('sff:cache-lock:*')).toEqual([]);
    await client.quit();
    await a!.close();
    await b!.close();
  });

  it('refuses values JSON would corrupt (typed error), in the cache and in ctx.storage', async () => {
    const client = new Redis(redis.url);
    const cache = createRedisCacheStore(client, { prefix: 'codec:', codec: strictJsonCodec });
    for (const bad of [new Date(0), new Map(), { f: () => 1 }, { u: undefined }, Number.NaN, 10n])
      await expect(Promise.resolve().then(() => cache.set('k', bad, 1_000))).rejects.toMatchObject({
        code: 'FL_REDIS_UNSERIALIZABLE',
      });
    expect(await client.exists('codec:cache:k')).toBe(0);
    await client.quit();
    const engine = createEngine({ logger: quiet, plugins: [redisStore({ url: redis.url, prefix: 'codec:' })] });
    const wf = workflow('codec')
      .addNode('a', async (ctx) => {
        await ctx.storage.set('when', new Date(0));
        return 1;
      })
      .build();
    const r = await engine.run(wf, {}).result;
    expect(r.status).toBe('failed');
    expect(r.nodes.a?.error?.message).toMatch(/cannot keep the value of "when".*\$ is a Date/);
    await engine.close();
  });

  it('pauses runs while Redis is down and continues when it is back: no record lost or duplicated', async () => {
    type Loose = { addNode(id: string, fn: () => unknown, options?: object): Loose; build(): unknown };
    let b = workflow('restart', { version: 'chain' }) as unknown as Loose;
    for (let i = 0; i < 30; i++)
      b = b.addNode(
        `n${i}`,
        async () => {
          await new Promise((r) => setTimeout(r, 15));
          return i;
        },
        i === 0 ? {} : { dependsOn: [`n${i - 1}`] },
      );
    const chain = b.build() as Workflow<unknown, Record<string, unknown>>;
    const engine = createEngine({ logger: quiet, plugins: [redisStore({ url: redis.url, prefix: 'restart:' })] });
    const run = engine.run(chain, {}, { executionId: 'restart-1' });
    const completed: number[] = [];
    run.events$.subscribe((e) => {
      if (e.type === 'node.completed') completed.push(e.timestamp);
    });
    while (completed.length < 8) await new Promise((r) => setTimeout(r, 5));
    await redis.stop();
    const stoppedAt = Date.now();
    const before = completed.length;
    await new Promise((r) => setTimeout(r, 500));
    // While Redis is away, a node's dependents do not start: at most the node in flight completes.
    expect(completed.length - before).toBeLessThanOrEqual(1);
    await redis.start();
    const r = await run.result;
    expect(r.status).toBe('success');
    expect(Date.now() - stoppedAt).toBeGreaterThanOrEqual(500);
    const client = new Redis(redis.url);
    // One list element per written batch, its records as JSON lines (a batch held back while Redis was down holds
    // several): read the raw list so a duplicated batch would show.
    const records = (await client.lrange('restart:run:restart-1:log', 0, -1)).flatMap((batch) =>
      batch.split('\n').map((line) => JSON.parse(line) as ExecutionRecord),
    );
    await client.quit();
    expect(records.map((x) => x.seq)).toEqual(records.map((_, i) => i + 1));
    const done = records.filter((x) => x.type === 'node.completed').map((x) => (x as { nodeId: string }).nodeId);
    expect(done).toEqual(Array.from({ length: 30 }, (_, i) => `n${i}`));
    expect(records.at(-1)?.type).toBe('workflow.completed');
    await engine.close();
  });

  it("two engines with resume: 'auto' on Redis resume each unfinished run exactly once", async () => {
    const count: Record<string, number> = {};
    const build = (hold: boolean) =>
      workflow('auto-redis')
        .addNode('a', (ctx) => {
          count[ctx.executionId] = (count[ctx.executionId] ?? 0) + 1;
          return hold ? new Promise(() => undefined) : 'ok';
        })
        .build();
    const options = { logger: quiet, leaseMs: 300 } as const;
    const dead = createEngine({ ...options, plugins: [redisStore({ url: redis.url, prefix: 'auto:' })] });
    for (let k = 0; k < 5; k++) dead.run(build(true), {}, { executionId: `auto-${k}` });
    await dead.runs.get('auto-4');
    while ((await dead.runs.list({ status: 'running' })).runs.length < 5) await new Promise((r) => setTimeout(r, 5));
    await dead.close();
    const engines = [0, 1].map(() =>
      createEngine({
        ...options,
        resume: 'auto',
        workflows: [build(false)],
        plugins: [redisStore({ url: redis.url, prefix: 'auto:' })],
      }),
    );
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline && (await engines[0]!.runs.list({ status: 'success' })).runs.length < 5)
      await new Promise((r) => setTimeout(r, 20));
    expect((await engines[0]!.runs.list({ status: 'success' })).runs).toHaveLength(5);
    expect(Object.values(count)).toEqual([2, 2, 2, 2, 2]);
    for (let k = 0; k < 5; k++) expect(await engines[1]!.runs.get(`auto-${k}`)).toMatchObject({ epoch: 2 });
    for (const e of engines) await e.close();
  });
});
