import { type RedisService, startRedis } from '@flowlane/testing';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runDistributedDemo } from './index.js';

describe('examples/distributed (real Redis, real worker processes)', () => {
  let redis: RedisService;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await redis?.dispose();
  });

  it('seed 004: tasks run by priority, the flaky one retried; seed 003: shards spread over 3 workers with health events, and subworkflows delegated to 2 child coordinator processes', async () => {
    const s = await runDistributedDemo(redis.url);
    // One worker with concurrency 1 takes the five waiting jobs highest priority first; the retry comes last.
    expect(s.order).toEqual([
      'charge-cards',
      'rebuild-search',
      'flaky-export',
      'send-newsletter',
      'cleanup-tmp',
      'flaky-export',
    ]);
    expect(s.attempts['flaky-export']).toBe(2);
    expect(s.attempts['charge-cards']).toBe(1);
    const counts = Object.values(s.shardsPerWorker);
    expect(counts.reduce((a, b) => a + b, 0)).toBe(12);
    for (const w of Object.keys(s.shardsPerWorker)) expect(['node-1', 'node-2', 'node-3']).toContain(w);
    expect(Object.keys(s.shardsPerWorker).length).toBeGreaterThanOrEqual(2);
    for (const id of ['node-1', 'node-2', 'node-3', 'tasks-1']) expect(s.health).toContain(`worker.up ${id}`);
    expect(s.health).toContain('worker.down node-3');
    // Seed 003 hierarchical: each region's subworkflow ran on its own child coordinator process.
    expect(s.hierarchy.reports).toEqual({
      'child-1': { region: 'eu', total: 30, coordinator: 'child-1' },
      'child-2': { region: 'us', total: 5, coordinator: 'child-2' },
    });
    expect(s.hierarchy.total).toBe(35);
    expect(s.hierarchy.childEvents.filter((t) => t === 'workflow.completed')).toHaveLength(2);
    expect(s.hierarchy.childEvents.filter((t) => t === 'node.completed')).toHaveLength(4);
    // Everything it opened is closed: a connection left open kept `pnpm start` alive after the demo, reconnecting
    // to the stopped Redis for ever.
    const checker = new Redis(redis.url);
    const others = async () =>
      String(await checker.call('CLIENT', 'LIST'))
        .split('\n')
        .filter((l: string) => l.includes('cmd=') && !l.includes('cmd=client')).length;
    const deadline = Date.now() + 5_000;
    while ((await others()) > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(await others()).toBe(0);
    checker.disconnect();
  });
});
