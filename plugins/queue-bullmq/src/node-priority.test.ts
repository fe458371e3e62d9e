import { createEngine, workflow } from '@flowlane/core';
import { Queue } from 'bullmq';
import { describe, expect, it } from 'vitest';
import { bullmqDispatch } from './index.js';
import { useRedis } from './redis.test-helper.js';

const quiet = { debug() {}, info() {}, warn() {}, error() {} };

describe('node priority on worker-group queues', () => {
  const fx = useRedis();

  it('a node sent to a group with a priority BullMQ cannot hold fails with FL_BULLMQ_INVALID_OPTION before anything is queued (runOn and defaultGroup); local nodes keep theirs', async () => {
    const wf = workflow('prio-range')
      .addNode('named', () => 1, { runOn: 'gpu', priority: 5_000_000, timeout: 3000, onError: 'continue' })
      .addNode('defaulted', () => 2, { priority: -1_048_576, timeout: 3000, onError: 'continue' })
      .addNode('local', () => 3, { runOn: 'local', priority: 1e12 })
      .build();
    const engine = createEngine({
      plugins: [
        bullmqDispatch({ connection: fx.redis.url, queuePrefix: 'prio', groups: ['gpu'], defaultGroup: 'gpu' }),
      ],
      logger: quiet,
    });
    const queue = new Queue('gpu', { connection: fx.client, prefix: 'prio' });
    try {
      const result = await engine.run(wf, undefined).result;
      expect(result.nodes.local?.status).toBe('success');
      for (const [id, group, p] of [
        ['named', 'gpu', 5_000_000],
        ['defaulted', 'gpu', -1_048_576],
      ] as const) {
        const e = result.nodes[id]?.error;
        expect(e?.code, `${id}: ${e?.message}`).toBe('FL_BULLMQ_INVALID_OPTION');
        expect(e?.message).toContain(`workflow "prio-range" node "${id}" option "priority"`);
        // The message says what to fix.
        expect(e?.message).toContain(`from -1048575 to 1048575 for a node sent to worker group "${group}"`);
        expect(e?.message).toContain(`got ${p}`);
        expect(e?.message).toContain("runOn: 'local'");
      }
      // Nothing reached the group's queue.
      const counts = await queue.getJobCounts();
      expect(Object.values(counts).reduce((a, b) => a + b, 0)).toBe(0);
    } finally {
      await queue.close();
      await engine.close();
    }
  });

  it('the ends of the range are sent (no worker needed to see the job waiting with its BullMQ priority)', async () => {
    const wf = workflow('prio-ends')
      .addNode('top', () => 1, { runOn: 'gpu', priority: 1_048_575 })
      .addNode('bottom', () => 2, { runOn: 'gpu', priority: -1_048_575 })
      .build();
    const engine = createEngine({
      plugins: [bullmqDispatch({ connection: fx.redis.url, queuePrefix: 'ends', groups: ['gpu'] })],
      logger: quiet,
    });
    const queue = new Queue('gpu', { connection: fx.client, prefix: 'ends' });
    try {
      const run = engine.run(wf, undefined);
      let jobs: { name: string; opts: { priority?: number } }[] = [];
      for (let t = Date.now(); jobs.length < 2 && Date.now() - t < 5000; ) {
        jobs = await queue.getJobs(['prioritized', 'waiting']);
        if (jobs.length < 2) await new Promise((r) => setTimeout(r, 20));
      }
      expect(jobs.map((j) => j.opts.priority).sort((a, b) => (a ?? 0) - (b ?? 0))).toEqual([1, 2_097_151]);
      run.cancel('test over');
      await run.result;
    } finally {
      await queue.close();
      await engine.close();
    }
  });
});
