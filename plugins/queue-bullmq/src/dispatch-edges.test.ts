import { createEngine, workflow } from '@flowlane/core';
import { Queue } from 'bullmq';
import { describe, expect, it } from 'vitest';
import { bullmqDispatch } from './dispatch.js';
import { useRedis } from './redis.test-helper.js';
import { createWorker, type FlowlaneWorker } from './worker.js';

describe('bullmqDispatch edges on a real Redis: rate-limited groups, job ids, completions nobody was listening for', () => {
  const svc = useRedis();

  it('a group with limiter { max: 2, duration: 1000 } starts at most 2 jobs per second over its workers; a group without limiter lifts it', async () => {
    await svc.client.flushall();
    const starts: number[] = [];
    // biome-ignore lint/suspicious/noExplicitAny: a generated graph
    let b: any = workflow('limited', { version: '1' });
    for (let i = 0; i < 6; i++)
      b = b.addNode(
        `n${i}`,
        () => {
          starts.push(Date.now());
          return i;
        },
        { runOn: 'slow' },
      );
    const wf = b.build();
    // Two workers with room for all six jobs at once: only the group's rate limit spaces them.
    const workers = await Promise.all([
      createWorker({ connection: svc.redis.url, group: 'slow', workflows: [wf], concurrency: 6 }),
      createWorker({ connection: svc.redis.url, group: 'slow', workflows: [wf], concurrency: 6 }),
    ]);
    const engine = createEngine({
      plugins: [
        bullmqDispatch({
          connection: svc.redis.url,
          groups: { slow: { limiter: { max: 2, duration: 1000 } }, other: {} },
        }),
      ],
    });
    try {
      const r = await engine.run(wf, {}).result;
      expect(r.status).toBe('success');
      expect(r.outputs).toEqual({ n0: 0, n1: 1, n2: 2, n3: 3, n4: 4, n5: 5 });
      starts.sort((x, y) => x - y);
      expect(starts).toHaveLength(6);
      // BullMQ's limiter counts jobs in fixed windows: the first job taken opens a window of `duration` ms in which
      // at most `max` jobs start (jobs 0-1, 2-3, 4-5 here). So the 3rd and 5th starts are ≥ 1 and ≥ 2 windows after
      // the 1st (which opened the first window), and a start 4 places later is in a window ≥ 2 windows on, so > 1 s
      // later. Slack of 300 ms for the time between a job's start in Redis and its body's first line under load.
      // (Starts k and k + 2 for odd k may legitimately be closer than 1 s: one at the end of a window, the other at
      // the start of the next.)
      expect(starts[2]! - starts[0]!).toBeGreaterThanOrEqual(700);
      expect(starts[4]! - starts[0]!).toBeGreaterThanOrEqual(1700);
      expect(starts[5]! - starts[1]!).toBeGreaterThanOrEqual(700);
      expect(await svc.client.hget('flowlane:slow:meta', 'max')).toBe('2');
      expect(await svc.client.hget('flowlane:slow:meta', 'duration')).toBe('1000');
    } finally {
      await engine.close();
    }
    // The object form is authoritative: a coordinator whose group has no limiter removes the queue's rate limit.
    const unlimited = createEngine({ plugins: [bullmqDispatch({ connection: svc.redis.url, groups: { slow: {} } })] });
    try {
      await unlimited.ready();
      expect(await svc.client.hget('flowlane:slow:meta', 'max')).toBeNull();
    } finally {
      await unlimited.close();
      await Promise.all(workers.map((w) => w.close()));
    }
  });

  it('priority: 20 node jobs of mixed priority wait for one worker of concurrency 1, which runs them highest priority first (FIFO within a priority)', async () => {
    await svc.client.flushall();
    const order: string[] = [];
    const priorities = Array.from({ length: 20 }, (_, i) => ((i * 7) % 5) - 1); // -1 … 3, interleaved
    // biome-ignore lint/suspicious/noExplicitAny: a generated graph
    let b: any = workflow('prioritised', { version: '1' });
    for (const [i, priority] of priorities.entries())
      b = b.addNode(
        `n${i}`,
        () => {
          order.push(`n${i}`);
          return i;
        },
        { runOn: 'one', priority },
      );
    const wf = b.build();
    const engine = createEngine({ plugins: [bullmqDispatch({ connection: svc.redis.url, groups: ['one'] })] });
    const queue = new Queue('one', { connection: svc.client, prefix: 'flowlane' });
    let worker: FlowlaneWorker | undefined;
    try {
      const run = engine.run(wf, {});
      // Every job is queued before any worker exists.
      await expect
        .poll(async () => (await queue.getJobCounts('prioritized')).prioritized, { timeout: 10_000 })
        .toBe(20);
      worker = await createWorker({ connection: svc.redis.url, group: 'one', workflows: [wf], concurrency: 1 });
      const r = await run.result;
      expect(r.status).toBe('success');
      const expected = priorities
        .map((priority, i) => ({ id: `n${i}`, priority, i }))
        .sort((x, y) => y.priority - x.priority || x.i - y.i)
        .map((x) => x.id);
      expect(order).toEqual(expected);
    } finally {
      await queue.close();
      await engine.close();
      await worker?.close();
    }
  });

  it('priority: 20 enqueued runs of mixed priority wait for one coordinator serving one run at a time, which takes them highest priority first', async () => {
    await svc.client.flushall();
    const wf = workflow('queued-run', { version: '1' })
      .input<{ i: number }>()
      .addNode('only', (ctx) => ctx.input.i)
      .build();
    const producer = createEngine({ plugins: [bullmqDispatch({ connection: svc.redis.url, groups: [] })] });
    const priorities = Array.from({ length: 20 }, (_, i) => ((i * 3) % 4) * 10); // 0, 10, 20, 30 interleaved
    let serving: ReturnType<typeof createEngine> | undefined;
    try {
      const queued = [];
      for (const [i, priority] of priorities.entries())
        queued.push(await producer.enqueue(wf, { i }, { executionId: `prio-${i}`, priority }));
      // The serving coordinator starts (and takes runs) only once all 20 are queued.
      serving = createEngine({
        plugins: [bullmqDispatch({ connection: svc.redis.url, groups: [], serve: { concurrency: 1 } })],
        workflows: [wf],
      });
      const started: string[] = [];
      serving.events$.subscribe((e) => {
        if (e.type === 'workflow.started') started.push(e.executionId);
      });
      await serving.ready();
      await Promise.all(queued.map((q) => q.result()));
      const expected = priorities
        .map((priority, i) => ({ id: `prio-${i}`, priority, i }))
        .sort((x, y) => y.priority - x.priority || x.i - y.i)
        .map((x) => x.id);
      expect(started).toEqual(expected);
    } finally {
      await producer.close();
      await serving?.close();
    }
  });

  it('a node that failed on a worker and is dispatched again for the same run, node and attempt really runs again (its own job id, not the old job)', async () => {
    await svc.client.flushall();
    let calls = 0;
    const wf = workflow('flaky', { version: '1' })
      .addNode(
        'f',
        () => {
          calls++;
          if (calls === 1) throw new Error('first dispatch fails');
          return 'ran again';
        },
        { runOn: 'cpu', retry: { maxAttempts: 1 } },
      )
      .build();
    const worker = await createWorker({ connection: svc.redis.url, group: 'cpu', workflows: [wf] });
    try {
      const first = createEngine({ plugins: [bullmqDispatch({ connection: svc.redis.url, groups: ['cpu'] })] });
      const r1 = await first.run(wf, {}, { executionId: 'exec-retry' }).result;
      await first.close();
      expect(r1.status).toBe('failed');
      expect(r1.error?.message).toContain('first dispatch fails');
      // The failed job is still in Redis (kept an hour). Attempt 1 of node f in run exec-retry is sent again: BullMQ
      // ignores an add under an existing job id, so the same id would hand back the old failure without running.
      const second = createEngine({ plugins: [bullmqDispatch({ connection: svc.redis.url, groups: ['cpu'] })] });
      const r2 = await second.run(wf, {}, { executionId: 'exec-retry' }).result;
      await second.close();
      expect(r2.error?.message).toBeUndefined();
      expect(r2.status).toBe('success');
      expect(r2.outputs.f).toBe('ran again');
      expect(r2.nodes.f?.attempts).toBe(1);
      expect(calls).toBe(2);
      const queue = new Queue('cpu', { connection: svc.client, prefix: 'flowlane' });
      const ids = (await queue.getJobs(['completed', 'failed'])).map((j) => j.id).sort();
      await queue.close();
      expect(ids).toHaveLength(2);
      expect(new Set(ids).size).toBe(2);
      for (const id of ids) expect(id).toMatch(/^exec-retry\.f\.1\.[0-9a-f]{8}[0-9a-z]+$/);
    } finally {
      await worker.close();
    }
  });

  it('a new run under an executionId used by an earlier run (its node → job map kept a day) runs its remote nodes again instead of getting the earlier results', async () => {
    await svc.client.flushall();
    let bodies = 0;
    const wf = workflow('once', { version: '1' })
      .addNode(
        'a',
        () => {
          bodies++;
          return { v: `value-${bodies}` };
        },
        { runOn: 'cpu' },
      )
      .build();
    const worker = await createWorker({ connection: svc.redis.url, group: 'cpu', workflows: [wf] });
    try {
      const first = createEngine({ plugins: [bullmqDispatch({ connection: svc.redis.url, groups: ['cpu'] })] });
      const r1 = await first.run(wf, {}, { executionId: 'exec-reused' }).result;
      await first.close();
      expect(r1.outputs.a).toEqual({ v: 'value-1' });
      expect(await svc.client.hget('flowlane:flowlane:inflight:exec-reused', 'a')).toMatch(/^exec-reused\.a\.1\./);
      // The same id again, on another coordinator and on the same one: a fresh run, not a resume — the finished
      // job in node a's slot is not adopted, the node runs again.
      const second = createEngine({ plugins: [bullmqDispatch({ connection: svc.redis.url, groups: ['cpu'] })] });
      const r2 = await second.run(wf, {}, { executionId: 'exec-reused' }).result;
      expect(r2.status).toBe('success');
      expect(r2.outputs.a).toEqual({ v: 'value-2' });
      const r3 = await second.run(wf, {}, { executionId: 'exec-reused' }).result;
      await second.close();
      expect(r3.outputs.a).toEqual({ v: 'value-3' });
      expect(bodies).toBe(3);
    } finally {
      await worker.close();
    }
  });

  it('a job that completes while the coordinator’s event reader is disconnected is still seen from the event stream (read from the id pinned at setup)', async () => {
    await svc.client.flushall();
    const wf = workflow('unseen', { version: '1' })
      .addNode('a', () => 'done while nobody listened', { runOn: 'cpu' })
      .build();
    const worker = await createWorker({ connection: svc.redis.url, group: 'cpu', workflows: [wf] });
    // heartbeatInterval 60 s: the direct check of long-waiting jobs cannot run within this test, so only the event
    // stream can deliver the completion.
    const engine = createEngine({
      plugins: [bullmqDispatch({ connection: svc.redis.url, groups: ['cpu'], heartbeatInterval: 60_000 })],
    });
    const queue = new Queue('cpu', { connection: svc.client, prefix: 'flowlane' });
    let reenabled = false;
    try {
      await engine.ready();
      // Cut the coordinator's QueueEvents connection and keep it from coming back (the default user is disabled for
      // new connections; connections already open — the worker's, the coordinator's queue, this client — go on).
      const clients = String(await svc.client.client('LIST')).split('\n');
      const reader = clients.find((l) => / name=\S+:qe( |$)/.test(l));
      expect(reader).toBeDefined();
      await svc.client.acl('SETUSER', 'default', 'off');
      await svc.client.client('KILL', 'ID', /id=(\d+)/.exec(reader!)![1]!);
      const run = engine.run(wf, {});
      await expect.poll(async () => (await queue.getJobs(['completed'])).length, { timeout: 15_000 }).toBe(1);
      await svc.client.acl('SETUSER', 'default', 'on');
      reenabled = true;
      const r = await run.result;
      expect(r.status).toBe('success');
      expect(r.outputs.a).toBe('done while nobody listened');
    } finally {
      if (!reenabled) await svc.client.acl('SETUSER', 'default', 'on');
      await queue.close();
      await engine.close();
      await worker.close();
    }
  });

  it('a job removed from its queue behind the coordinator’s back (no completion event ever) fails the node with FL_BULLMQ_WORKER_LOST instead of hanging', async () => {
    await svc.client.flushall();
    const wf = workflow('orphan', { version: '1' })
      .addNode('o', () => 'never runs: no worker serves this group', { runOn: 'nobody' })
      .build();
    const engine = createEngine({
      plugins: [bullmqDispatch({ connection: svc.redis.url, groups: ['nobody'], heartbeatInterval: 200 })],
    });
    const queue = new Queue('nobody', { connection: svc.client, prefix: 'flowlane' });
    let worker: FlowlaneWorker | undefined;
    try {
      const run = engine.run(wf, {});
      // Every node job has a priority: it waits in BullMQ's `prioritized` set.
      await expect
        .poll(async () => (await queue.getJobs(['prioritized', 'waiting'])).length, { timeout: 10_000 })
        .toBe(1);
      const [job] = await queue.getJobs(['prioritized', 'waiting']);
      await queue.remove(job!.id!);
      const r = await run.result;
      expect(r.status).toBe('failed');
      expect(r.nodes.o?.error?.code).toBe('FL_BULLMQ_WORKER_LOST');
      expect(r.nodes.o?.error?.message).toContain('the job is gone from the queue');
      // A worker that comes later finds nothing left to run.
      worker = await createWorker({ connection: svc.redis.url, group: 'nobody', workflows: [wf] });
      expect(await queue.getJobCounts('prioritized', 'waiting', 'active', 'completed')).toEqual({
        prioritized: 0,
        waiting: 0,
        active: 0,
        completed: 0,
      });
    } finally {
      await queue.close();
      await engine.close();
      await worker?.close();
    }
  });
});
