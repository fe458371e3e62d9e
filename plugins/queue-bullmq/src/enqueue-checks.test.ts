import { createEngine, workflow } from '@flowlane/core';
import { type RedisService, startRedis } from '@flowlane/testing';
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bullmqDispatch } from './dispatch.js';
import { BullmqError } from './errors.js';
import { ENQUEUED_RUNS_QUEUE, runJobId } from './run-jobs.js';

const quiet = { debug() {}, info() {}, warn() {}, error() {} };
const wf = workflow('enqueue-checks')
  .addNode('echo', (ctx) => ctx.input as unknown)
  .build();

describe('engine.enqueue checks and setup against a real Redis', () => {
  let redis: RedisService;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await redis?.stop();
  });

  it('a coordinator with serve and no groups (docs/distributed.md) serves enqueued runs', async () => {
    const coordinator = createEngine({
      plugins: [bullmqDispatch({ connection: redis.url, serve: { concurrency: 2 } })],
      workflows: [wf],
      logger: quiet,
    });
    const client = createEngine({ plugins: [bullmqDispatch({ connection: redis.url })], logger: quiet });
    try {
      await Promise.all([coordinator.ready(), client.ready()]);
      const queued = await client.enqueue(wf, { at: new Date(0), n: 7n });
      const result = await queued.result();
      expect(result.status).toBe('success');
      // Date and BigInt cross the queue as the codec promises.
      expect(result.outputs.echo).toEqual({ at: new Date(0), n: 7n });
    } finally {
      await Promise.all([client.close(), coordinator.close()]);
    }
  });

  it('an enqueue started just before a graceful close finishes (its job stored) instead of failing as its connection closes', async () => {
    const runs = new Queue(ENQUEUED_RUNS_QUEUE, { connection: { url: redis.url }, prefix: 'flowlane' });
    try {
      for (let k = 0; k < 5; k++) {
        const producer = createEngine({ plugins: [bullmqDispatch({ connection: redis.url })], logger: quiet });
        await producer.ready();
        const enqueuing = producer.enqueue(wf, { k }, { executionId: `closing-${k}` });
        await producer.close();
        await expect(enqueuing).resolves.toMatchObject({ executionId: `closing-${k}` });
        expect((await runs.getJob(runJobId(`closing-${k}`)))?.data).toBeDefined();
      }
    } finally {
      await runs.close();
    }
  });

  it('a priority BullMQ cannot hold rejects with FL_BULLMQ_INVALID_OPTION naming engine.enqueue; the ends of the range are taken', async () => {
    const client = createEngine({ plugins: [bullmqDispatch({ connection: redis.url })], logger: quiet });
    try {
      await client.ready();
      for (const priority of [1e9, -1e9, 1_048_576, -1_048_576]) {
        const e = await client.enqueue(wf, 1, { priority }).then(
          () => undefined,
          (err: unknown) => err as BullmqError,
        );
        expect(BullmqError.is(e, 'FL_BULLMQ_INVALID_OPTION'), String(priority)).toBe(true);
        expect(e?.details).toMatchObject({ where: 'engine.enqueue', option: 'priority' });
        expect(e?.message).toContain('-1048575 to 1048575');
      }
      // Nothing was stored under a refused run: the id is free.
      const id = `prio-refused-${Date.now()}`;
      await expect(client.enqueue(wf, 1, { executionId: id, priority: 1e9 })).rejects.toThrow(/priority/);
      await expect(client.enqueue(wf, 1, { executionId: id })).resolves.toMatchObject({ executionId: id });
      for (const priority of [-1, 0, 1_048_575, -1_048_575])
        await expect(client.enqueue(wf, 1, { priority })).resolves.toBeDefined();
    } finally {
      await client.close();
    }
  });

  it('an input the codec cannot carry rejects engine.enqueue with FL_BULLMQ_UNSERIALIZABLE', async () => {
    const client = createEngine({ plugins: [bullmqDispatch({ connection: redis.url })], logger: quiet });
    try {
      await client.ready();
      const cycle: Record<string, unknown> = {};
      cycle.self = cycle;
      for (const input of [{ f: () => 1 }, cycle, new (class Point {})()]) {
        const e = await client.enqueue(wf, input).then(
          () => undefined,
          (err: unknown) => err,
        );
        expect(BullmqError.is(e, 'FL_BULLMQ_UNSERIALIZABLE')).toBe(true);
      }
    } finally {
      await client.close();
    }
  });

  it('a Redis that was stopped fails setup with FL_BULLMQ_UNREACHABLE within connectTimeout (password redacted)', async () => {
    const gone = await startRedis();
    const url = gone.url.replace('redis://', 'redis://user:hunter2@');
    await gone.stop();
    const engine = createEngine({
      plugins: [bullmqDispatch({ connection: url, connectTimeout: 300 })],
      logger: quiet,
    });
    const started = performance.now();
    const err = await engine.ready().then(
      () => undefined,
      (e: unknown) => e as Error & { cause?: unknown },
    );
    const ms = performance.now() - started;
    expect(BullmqError.is(err?.cause, 'FL_BULLMQ_UNREACHABLE')).toBe(true);
    expect(String(err?.message)).not.toContain('hunter2');
    // Bounded: the timeout, not a hang (generous margin for a loaded machine).
    expect(ms).toBeLessThan(5000);
    await engine.close();
  });
});
