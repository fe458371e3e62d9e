import { createEngine, workflow } from '@flowlane/core';
import { type Job, Queue, QueueEvents, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { decodePayload, encodePayload } from './codec.js';
import { bullmqDispatch } from './dispatch.js';
import { BullmqError } from './errors.js';
import { NODE_JOB_FORMAT, type NodeJobData } from './protocol.js';
import { useRedis } from './redis.test-helper.js';
import { createWorker } from './worker.js';

const wf = workflow('fmt', { version: '1' })
  .addNode('double', (ctx) => (ctx.input as { n: number }).n * 2, { runOn: 'g' })
  .build();

describe('node job format: mixed-version coordinators and workers fail with a typed error, never silently', () => {
  const svc = useRedis();

  /** Adds a job by hand to group `g` and returns the worker's decoded reply. */
  async function send(name: string, data: object, prefix: string): Promise<Record<string, unknown>> {
    const connection = new Redis(svc.redis.url, { maxRetriesPerRequest: null });
    const queue = new Queue('g', { connection, prefix });
    const events = new QueueEvents('g', { connection: connection.duplicate(), prefix });
    try {
      await events.waitUntilReady();
      const job = await queue.add(name, data);
      return decodePayload(String(await job.waitUntilFinished(events, 10_000))) as Record<string, unknown>;
    } finally {
      await events.close();
      await queue.close();
      connection.disconnect();
    }
  }

  it(`a worker runs format ${NODE_JOB_FORMAT} and format 1 (a coordinator not yet upgraded) jobs, and refuses any other with FL_BULLMQ_JOB_FORMAT`, async () => {
    const prefix = 'fmt1';
    const worker = await createWorker({ connection: svc.redis.url, group: 'g', queuePrefix: prefix, workflows: [wf] });
    try {
      const p = encodePayload({ input: { n: 4 } }, { nodeId: 'double', what: 'inputs' });
      const current: NodeJobData = { f: NODE_JOB_FORMAT, w: 'fmt', v: '1', e: 'run-1', a: 1, p };
      expect(await send('double', current, prefix)).toEqual({ ok: true, value: 8 });
      const legacy = { workflow: 'fmt', version: '1', nodeId: 'double', executionId: 'run-2', attempt: 1, payload: p };
      expect(await send('double', legacy, prefix)).toEqual({ ok: true, value: 8 });
      const future = await send('double', { f: NODE_JOB_FORMAT + 1, x: 1 }, prefix);
      expect(future.ok).toBe(false);
      expect(future.error).toMatchObject({ code: 'FL_BULLMQ_JOB_FORMAT', name: 'BullmqError' });
      expect((future.error as { message: string }).message).toContain(`job format ${NODE_JOB_FORMAT + 1}`);
    } finally {
      await worker.close();
    }
  });

  it('a coordinator whose job lands on a worker that reads format 1 only fails the node with FL_BULLMQ_JOB_FORMAT', async () => {
    const prefix = 'fmt2';
    // What a format-1 worker does with a format-2 job: it looks up the workflow under the format-1 keys, finds none,
    // and replies FL_BULLMQ_UNKNOWN_WORKFLOW for workflow "undefined".
    const connection = new Redis(svc.redis.url, { maxRetriesPerRequest: null });
    const old = new Worker(
      'g',
      async (job: Job<{ workflow?: string; version?: string }>) => {
        const e = new BullmqError('FL_BULLMQ_UNKNOWN_WORKFLOW', {
          workflow: `${job.data.workflow}`,
          version: `${job.data.version}`,
          worker: 'old-worker',
        });
        return encodePayload(
          { ok: false, error: { message: e.message, code: e.code, name: e.name } },
          {
            nodeId: job.name,
            what: 'error',
          },
        );
      },
      { connection, prefix },
    );
    const engine = createEngine({
      plugins: [bullmqDispatch({ connection: svc.redis.url, queuePrefix: prefix, groups: ['g'] })],
    });
    try {
      await old.waitUntilReady();
      const r = await engine.run(wf, { n: 1 }).result;
      expect(r.status).toBe('failed');
      const cause = r.error?.cause as { code?: string; message?: string; remote?: { code?: string } } | undefined;
      expect(cause?.code).toBe('FL_BULLMQ_JOB_FORMAT');
      expect(cause?.message).toContain('reads job format 1 only');
      expect(cause?.remote?.code).toBe('FL_BULLMQ_UNKNOWN_WORKFLOW');
    } finally {
      await engine.close();
      await old.close();
      connection.disconnect();
    }
  });
});
