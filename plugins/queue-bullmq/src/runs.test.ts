import { type ChildProcess, spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { createEngine, type FlowEvent, isFlowlaneError } from '@flowlane/core';
import { redisStore } from '@flowlane/store-redis';
import { Queue } from 'bullmq';
import { describe, expect, it } from 'vitest';
import { bullmqDispatch } from './dispatch.js';
import { BullmqError } from './errors.js';
import { useRedis } from './redis.test-helper.js';
import { closeCounter, countedRun, euChild, hierParent, hierRetry } from './runs-workflow.test-helper.js';

const helper = fileURLToPath(new URL('./run-coordinator-child.test-helper.ts', import.meta.url));
const tsx = createRequire(import.meta.url).resolve('tsx');
const quiet = { debug() {}, info() {}, warn() {}, error() {} };

interface Coordinator {
  readonly proc: ChildProcess;
  readonly ready: Promise<void>;
  readonly exited: Promise<void>;
}

function startCoordinator(url: string, enqueued: boolean, groups: string, concurrency: number): Coordinator {
  const proc = spawn(
    process.execPath,
    ['--import', tsx, helper, url, enqueued ? '1' : '0', groups, String(concurrency)],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', FL_TEST_REDIS: url },
    },
  );
  let stderr = '';
  proc.stderr!.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  let onReady!: () => void;
  const ready = new Promise<void>((r) => {
    onReady = r;
  });
  createInterface({ input: proc.stdout! }).on('line', (line) => {
    if (line === 'READY') onReady();
  });
  const exited = new Promise<void>((resolve) =>
    proc.on('exit', (code, signal) => {
      if (signal === null && code !== 0) console.error(`coordinator exited ${code}:\n${stderr}`);
      onReady();
      resolve();
    }),
  );
  return { proc, ready, exited };
}

async function stopAll(cs: readonly Coordinator[]): Promise<void> {
  for (const c of cs) if (c.proc.exitCode === null && c.proc.signalCode === null) c.proc.kill('SIGTERM');
  await Promise.all(cs.map((c) => c.exited));
}

async function until(what: string, check: () => Promise<boolean> | boolean, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('run queue: hierarchical subworkflows and whole-run dispatch, real coordinator processes and a real Redis', () => {
  const svc = useRedis();

  it('a subworkflow with runOn runs its child on the eu coordinator process: output, events back, typed failure, cancel reaches it, durable there', async () => {
    await svc.client.flushall();
    const eu = startCoordinator(svc.redis.url, false, 'eu', 4);
    const engine = createEngine({
      plugins: [
        redisStore({ url: svc.redis.url, prefix: 'log:' }),
        bullmqDispatch({ connection: svc.redis.url, groups: ['eu'] }),
      ],
      logger: quiet,
    });
    try {
      await eu.ready;
      // Output and events.
      const run = engine.run(hierParent, { n: 4 });
      const events: FlowEvent[] = [];
      run.events$.subscribe((e) => events.push(e));
      const r = await run.result;
      expect(r.error?.message).toBeUndefined();
      expect(r.status).toBe('success');
      const childId = `${run.executionId}/remote`;
      expect(r.outputs.remote).toEqual({ a: { pid: eu.proc.pid, doubled: 10 }, b: 11 });
      expect(r.outputs.after).toEqual({ fromChild: 11, pid: eu.proc.pid });
      expect(eu.proc.pid).not.toBe(process.pid);
      const fromChild = events.filter((e) => e.executionId === childId);
      expect(fromChild.map((e) => e.type)).toEqual(
        expect.arrayContaining(['workflow.started', 'node.completed', 'custom', 'workflow.completed']),
      );
      expect(fromChild.every((e) => e.parentExecutionId === run.executionId)).toBe(true);
      const custom = fromChild.find((e) => e.type === 'custom') as { name: string; payload: unknown } | undefined;
      expect(custom).toMatchObject({ name: 'eu.progress', payload: { n: 5 } });
      // The parent's own events come after the child's completion: the child's stream was forwarded in order.
      const childDone = events.findIndex((e) => e.executionId === childId && e.type === 'workflow.completed');
      const nodeDone = events.findIndex(
        (e) => e.executionId === run.executionId && e.type === 'node.completed' && e.nodeId === 'remote',
      );
      expect(childDone).toBeGreaterThanOrEqual(0);
      expect(childDone).toBeLessThan(nodeDone);
      // Durable on the eu side: its run is in the shared execution log, finished.
      expect((await engine.runs.get(childId))?.status).toBe('success');

      // Failure: the node fails with a typed error carrying the remote one.
      const failed = await engine.run(hierParent, { n: 1, fail: true }).result;
      expect(failed.status).toBe('failed');
      expect(failed.nodes.remote?.status).toBe('failed');
      expect(failed.nodes.remote?.error?.code).toBe('FL_BULLMQ_CHILD_FAILED');
      expect(failed.nodes.remote?.error?.message).toContain('boom in eu for 2');

      // A retry of the node is a new child run (`~<attempt>`), the failed one stays failed in its log.
      const retried = engine.run(hierRetry, { n: 3, failOnce: 'test:fail-once' });
      const rr = await retried.result;
      expect(rr.status).toBe('success');
      expect(rr.outputs.remote).toEqual({ a: { pid: eu.proc.pid, doubled: 6 }, b: 7 });
      expect(rr.nodes.remote?.attempts).toBe(2);
      expect((await engine.runs.get(`${retried.executionId}/remote`))?.status).toBe('failed');
      expect((await engine.runs.get(`${retried.executionId}/remote~2`))?.status).toBe('success');

      // Cancel: cancelling the parent cancels the remote child run (its log says so).
      const hanging = engine.run(hierParent, { n: 7, hang: true });
      const hangId = `${hanging.executionId}/remote`;
      await until(
        'the remote child to start node b',
        () =>
          new Promise<boolean>((resolve) => {
            const sub = hanging.events$.subscribe((e) => {
              if (e.executionId === hangId && e.type === 'node.started' && e.nodeId === 'b') resolve(true);
            });
            setTimeout(() => {
              sub.unsubscribe();
              resolve(false);
            }, 200);
          }),
      );
      hanging.cancel('test cancels');
      expect((await hanging.result).status).toBe('cancelled');
      await until(
        'the remote child run to be cancelled',
        async () => (await engine.runs.get(hangId))?.status === 'cancelled',
        10_000,
      );

      // The parent's coordinator closes mid-child: the child keeps running on eu; the parent resumed by another
      // coordinator adopts it (same child run id, one BullMQ job) instead of starting a second one.
      const slow = engine.run(hierParent, { n: 2, slowMs: 1500 });
      const slowId = `${slow.executionId}/remote`;
      await until('the remote child to start node b', async () => {
        const records = (await engine.runs.records(slowId)) ?? [];
        return records.some((x) => x.type === 'node.started' && x.nodeId === 'b');
      });
      await engine.close();
      const euQueue = new Queue('flowlane-runs-eu', { connection: svc.client.duplicate(), prefix: 'flowlane' });
      const slowJob = `run.${encodeURIComponent(slowId)}`;
      expect(await euQueue.getJobState(slowJob)).toBe('active');
      // The child finishes while no parent listens: its last events reach no one now.
      await until('the remote child to finish', async () => (await euQueue.getJobState(slowJob)) === 'completed');
      await euQueue.close();
      const successor = createEngine({
        plugins: [
          redisStore({ url: svc.redis.url, prefix: 'log:' }),
          bullmqDispatch({ connection: svc.redis.url, groups: ['eu'] }),
        ],
        workflows: [hierParent],
        logger: quiet,
      });
      try {
        const resumedRun = await successor.resume(slow.executionId);
        const replayed: FlowEvent[] = [];
        resumedRun.events$.subscribe((e) => {
          if (e.executionId === slowId) replayed.push(e);
        });
        const resumed = await resumedRun.result;
        expect(resumed.error?.message).toBeUndefined();
        // The resumed parent re-attached to the child and got its events from the child's kept list, each once, in
        // order — those emitted while no parent listened (b's completion, the run's) included.
        const kinds = replayed.map((e) => `${e.type}${'nodeId' in e ? `:${e.nodeId}` : ''}`);
        expect(kinds.filter((x) => x === 'node.completed:a')).toHaveLength(1);
        expect(kinds.filter((x) => x === 'node.completed:b')).toHaveLength(1);
        expect(kinds.filter((x) => x === 'workflow.completed')).toHaveLength(1);
        expect(kinds.indexOf('node.completed:a')).toBeLessThan(kinds.indexOf('node.completed:b'));
        expect(kinds.at(-1)).toBe('workflow.completed');
        expect(replayed.every((e) => e.parentExecutionId === slow.executionId)).toBe(true);
        expect(resumed.status).toBe('success');
        expect(resumed.outputs.after).toEqual({ fromChild: 7, pid: eu.proc.pid });
        expect((await successor.runs.get(slowId))?.status).toBe('success');
        // The child ran once: its first node's body once, no second child run for another attempt.
        expect(await svc.client.hget('test:bodies', `${slowId}:a`)).toBe('1');
        expect(await svc.client.keys(`*${encodeURIComponent(slowId)}~*`)).toEqual([]);
      } finally {
        await successor.close();
      }
    } finally {
      await engine.close();
      await stopAll([eu]);
    }
  });

  it('kill -9 the eu coordinator running a remote child: the other eu coordinator takes the child over and resumes it from its log; the parent gets its result once, no child node completes twice, its events arrive once each', async () => {
    await svc.client.flushall();
    const eu1 = startCoordinator(svc.redis.url, false, 'eu', 4);
    const eu2 = startCoordinator(svc.redis.url, false, 'eu', 4);
    const engine = createEngine({
      plugins: [
        redisStore({ url: svc.redis.url, prefix: 'log:' }),
        bullmqDispatch({ connection: svc.redis.url, groups: ['eu'] }),
      ],
      logger: quiet,
    });
    try {
      await Promise.all([eu1.ready, eu2.ready]);
      const run = engine.run(hierParent, { n: 2, slowMs: 2500 });
      const childId = `${run.executionId}/remote`;
      const fromChild: FlowEvent[] = [];
      run.events$.subscribe((e) => {
        if (e.executionId === childId) fromChild.push(e);
      });
      // Wait until the child is in node b (a completed in its log), on whichever eu coordinator took it, and a's
      // completion event has left that coordinator (kept in the child's event list). An event still inside a process
      // killed by -9 dies with it (README: the child's log, not its event stream, is what survives a crash).
      let owner: number | undefined;
      const eventList = `flowlane:flowlane:child-events:${childId}`;
      await until('the child to start node b', async () => {
        const records = (await engine.runs.records(childId)) ?? [];
        const a = records.find((x) => x.type === 'node.completed' && x.nodeId === 'a');
        if (a?.type === 'node.completed') owner = (a.output as { pid: number }).pid;
        if (owner === undefined || !records.some((x) => x.type === 'node.started' && x.nodeId === 'b')) return false;
        const kept = await svc.client.lrange(eventList, 0, -1);
        return kept.some((t) => t.includes('"node.completed"') && t.includes('"nodeId":"a"'));
      });
      const [victim, survivor] = owner === eu1.proc.pid ? [eu1, eu2] : [eu2, eu1];
      expect(victim.proc.pid).toBe(owner);
      victim.proc.kill('SIGKILL');
      await victim.exited;

      const r = await run.result;
      expect(r.error?.message).toBeUndefined();
      expect(r.status).toBe('success');
      // a's output comes from the log of the killed coordinator; b ran again on the survivor.
      expect(r.outputs.remote).toEqual({ a: { pid: victim.proc.pid, doubled: 6 }, b: 7 });
      expect(r.outputs.after).toEqual({ fromChild: 7, pid: victim.proc.pid });
      expect(r.nodes.remote?.attempts).toBe(1);
      // The parent got the child's result once: one completion of its node in its log.
      const parentLog = (await engine.runs.records(run.executionId)) ?? [];
      expect(parentLog.filter((x) => x.type === 'node.completed' && x.nodeId === 'remote')).toHaveLength(1);
      // The child's log: started once, resumed by the survivor, each node completed once, completed once.
      const childLog = (await engine.runs.records(childId)) ?? [];
      expect(childLog.filter((x) => x.type === 'workflow.started')).toHaveLength(1);
      expect(childLog.filter((x) => x.type === 'workflow.resumed').length).toBeGreaterThanOrEqual(1);
      expect(childLog.filter((x) => x.type === 'node.completed' && x.nodeId === 'a')).toHaveLength(1);
      expect(childLog.filter((x) => x.type === 'node.completed' && x.nodeId === 'b')).toHaveLength(1);
      expect(childLog.filter((x) => x.type === 'workflow.completed')).toHaveLength(1);
      expect(await svc.client.hget('test:bodies', `${childId}:a`)).toBe('1');
      // One child run, one job: no second child id for the node.
      expect(await svc.client.keys(`*${encodeURIComponent(childId)}~*`)).toEqual([]);
      // The child's events reached the parent run once each, the survivor's included.
      const kinds = fromChild.map((e) => `${e.type}${'nodeId' in e ? `:${e.nodeId}` : ''}`);
      expect(kinds.filter((x) => x === 'node.completed:a')).toHaveLength(1);
      expect(kinds.filter((x) => x === 'node.completed:b')).toHaveLength(1);
      expect(kinds.filter((x) => x === 'workflow.completed')).toHaveLength(1);
      expect(kinds.at(-1)).toBe('workflow.completed');
      // The survivor ran b: the child's run job completed there (its pid is the one still alive).
      expect(survivor.proc.exitCode).toBeNull();
    } finally {
      await engine.close();
      await stopAll([eu1, eu2]);
    }
  });

  it('engine.enqueue: 200 runs shared by 2 coordinator processes; kill -9 one mid-way, the other resumes its runs from the log; each completes exactly once', async () => {
    await svc.client.flushall();
    const a = startCoordinator(svc.redis.url, true, '', 5);
    const b = startCoordinator(svc.redis.url, true, '', 5);
    const engine = createEngine({
      plugins: [
        redisStore({ url: svc.redis.url, prefix: 'log:' }),
        bullmqDispatch({ connection: svc.redis.url, groups: [] }),
      ],
      logger: quiet,
    });
    try {
      await Promise.all([a.ready, b.ready]);
      const queued = await Promise.all(
        Array.from({ length: 200 }, (_, k) => engine.enqueue(countedRun, { k }, { executionId: `run-${k}` })),
      );
      expect(queued.map((q) => q.executionId)).toEqual(Array.from({ length: 200 }, (_, k) => `run-${k}`));
      // Kill A once some runs have finished (at a seeded-random point between 40 and 90) and A is mid-way through a
      // run: its first node is in the log (with A's pid), its second is not done. Killing at a bare count could land
      // when none of A's runs was in its log as running (under load A may hold only a run or two), and then nothing
      // is left to resume.
      const seed = 40 + ((Date.now() >> 4) % 50);
      await until(`${seed} runs to finish and A to be mid-run`, async () => {
        const bodies = await svc.client.hgetall('test:bodies');
        if (Object.keys(bodies).length < 2 * seed) return false;
        for (const key of Object.keys(bodies)) {
          if (!key.endsWith(':first') || `${key.slice(0, -6)}:second` in bodies) continue;
          const records = (await engine.runs.records(key.slice(0, -6))) ?? [];
          const first = records.find((x) => x.type === 'node.completed' && x.nodeId === 'first');
          if (first?.type === 'node.completed' && (first.output as { pid: number }).pid === a.proc.pid) return true;
        }
        return false;
      });
      a.proc.kill('SIGKILL');
      await a.exited;
      const results = await Promise.all(queued.map((q) => q.result()));
      for (const [k, res] of results.entries()) {
        expect(res.error?.message).toBeUndefined();
        expect(res.status).toBe('success');
        expect(res.outputs.second).toBe(k * 3 + 1);
      }
      // Both coordinators ran runs, and B finished runs A had started (resumed from the log).
      const pids = new Set(results.map((res) => (res.outputs.first as { pid: number }).pid));
      expect(pids).toEqual(new Set([a.proc.pid, b.proc.pid]));
      let resumed = 0;
      for (let k = 0; k < 200; k++) {
        const records = (await engine.runs.records(`run-${k}`)) ?? [];
        // Exactly one completion in each run's log, and no run failed or ran to completion twice.
        expect(records.filter((x) => x.type === 'workflow.completed')).toHaveLength(1);
        expect(records.filter((x) => x.type === 'workflow.started')).toHaveLength(1);
        if (records.some((x) => x.type === 'workflow.resumed')) resumed++;
      }
      expect(resumed).toBeGreaterThan(0);
      // At most A's concurrency runs were in flight on it.
      expect(resumed).toBeLessThanOrEqual(5);
      // Node bodies: each ran at least once; a second time only for nodes in flight on A (at most A's concurrency).
      const bodies = await svc.client.hgetall('test:bodies');
      expect(Object.keys(bodies)).toHaveLength(400);
      const twice = Object.values(bodies).filter((v) => Number(v) > 1);
      expect(twice.length).toBeLessThanOrEqual(5);
      expect(Object.values(bodies).every((v) => Number(v) <= 2)).toBe(true);
      // Exactly 200 completed jobs, none failed; waitForResult from another engine sees the same result.
      const reader = createEngine({
        plugins: [bullmqDispatch({ connection: svc.redis.url, groups: [] })],
        logger: quiet,
      });
      try {
        const again = await reader.waitForResult('run-7');
        expect(again.outputs.second).toBe(22);
        await expect(reader.waitForResult('no-such-run')).rejects.toSatisfy((e) =>
          BullmqError.is(e, 'FL_BULLMQ_RUN_NOT_FOUND'),
        );
      } finally {
        await reader.close();
      }
    } finally {
      await engine.close();
      await stopAll([a, b]);
    }
  });

  it('engine.close() on a serving coordinator puts its runs back on the queue; another coordinator finishes them (none cancelled)', async () => {
    await svc.client.flushall();
    const serving = (id: string) =>
      createEngine({
        plugins: [
          redisStore({ url: svc.redis.url, prefix: 'log:' }),
          bullmqDispatch({ connection: svc.redis.url, groups: [], serve: { concurrency: 4 } }),
        ],
        workflows: [countedRun],
        instanceId: id,
        logger: quiet,
      });
    const first = serving('first');
    const client2 = createEngine({
      plugins: [bullmqDispatch({ connection: svc.redis.url, groups: [] })],
      logger: quiet,
    });
    let second: ReturnType<typeof createEngine> | undefined;
    try {
      await first.ready();
      const queued = await Promise.all(
        Array.from({ length: 12 }, (_, k) => client2.enqueue(countedRun, { k }, { executionId: `close-${k}` })),
      );
      const started: string[] = [];
      first.events$.subscribe((e) => {
        if (e.type === 'workflow.started') started.push(e.executionId);
      });
      await until('the first coordinator to run some runs', () => started.length >= 4);
      await first.close();
      const next = serving('second');
      second = next;
      const results = await Promise.all(queued.map((q) => q.result()));
      expect(results.map((r) => r.status)).toEqual(Array(12).fill('success'));
      expect(results.map((r) => r.outputs.second)).toEqual(Array.from({ length: 12 }, (_, k) => k * 3 + 1));
      let resumed = 0;
      for (let k = 0; k < 12; k++) {
        const records = (await next.runs.records(`close-${k}`)) ?? [];
        expect(records.filter((x) => x.type === 'workflow.cancelled')).toHaveLength(0);
        expect(records.filter((x) => x.type === 'workflow.completed')).toHaveLength(1);
        if (records.some((x) => x.type === 'workflow.resumed')) resumed++;
      }
      // The runs the first coordinator had started were continued from their logs by the second.
      expect(resumed).toBeGreaterThanOrEqual(1);
      expect(resumed).toBeLessThanOrEqual(4);
    } finally {
      await first.close();
      await second?.close();
      await client2.close();
    }
  });

  it("a reused run id never gets the earlier run's result: enqueue refuses it (FL_BULLMQ_DUPLICATE_RUN), a coordinator whose log holds it fails the run, a fresh parent gets a child run of its own", async () => {
    await svc.client.flushall();
    process.env.FL_TEST_REDIS = svc.redis.url;
    const serving = createEngine({
      plugins: [
        redisStore({ url: svc.redis.url, prefix: 'log:' }),
        bullmqDispatch({ connection: svc.redis.url, groups: [], serve: { concurrency: 2, groups: ['eu'] } }),
      ],
      workflows: [countedRun, euChild],
      logger: quiet,
    });
    const producer = createEngine({
      plugins: [bullmqDispatch({ connection: svc.redis.url, groups: ['eu'] })],
      logger: quiet,
    });
    try {
      await serving.ready();
      const first = await producer.enqueue(countedRun, { k: 1 }, { executionId: 'dup-1' });
      expect((await first.result()).outputs.second).toBe(4);
      // The same id again: refused while its job is kept (a day), before and after the run finished.
      const again = await producer.enqueue(countedRun, { k: 2 }, { executionId: 'dup-1' }).catch((e: unknown) => e);
      expect(BullmqError.is(again, 'FL_BULLMQ_DUPLICATE_RUN')).toBe(true);
      expect((again as Error).message).toContain('dup-1');
      const pending = await producer.enqueue(countedRun, { k: 3 }, { executionId: 'dup-2' });
      const racing = await Promise.allSettled([
        producer.enqueue(countedRun, { k: 4 }, { executionId: 'dup-3' }),
        producer.enqueue(countedRun, { k: 5 }, { executionId: 'dup-3' }),
      ]);
      expect(racing.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
      expect((await pending.result()).outputs.second).toBe(10);
      // A day later the job and the claim are gone, the log stays: the coordinator that takes the new run finds the
      // id in its log and fails the run instead of answering with the earlier run's outputs.
      const queue = new Queue('flowlane-runs', { connection: svc.client.duplicate(), prefix: 'flowlane' });
      await queue.remove('run.dup-1');
      await queue.close();
      await svc.client.del('flowlane:flowlane:run-id:dup-1');
      const late = await (await producer.enqueue(countedRun, { k: 9 }, { executionId: 'dup-1' })).result();
      expect(late.status).toBe('failed');
      expect(late.error?.code).toBe('FL_BULLMQ_DUPLICATE_RUN');
      expect(late.outputs.second).toBeUndefined();
      const log = (await serving.runs.records('dup-1')) ?? [];
      expect(log.filter((x) => x.type === 'workflow.started')).toHaveLength(1);

      // A fresh parent run under a reused id: its remote child is a new run (its own id), its body runs again.
      const p1 = await producer.run(hierParent, { n: 1 }, { executionId: 'parent-1' }).result;
      expect(p1.status).toBe('success');
      expect(await svc.client.hget('test:bodies', 'parent-1/remote:a')).toBe('1');
      const p2run = producer.run(hierParent, { n: 1 }, { executionId: 'parent-1' });
      const childIds = new Set<string>();
      p2run.events$.subscribe((e) => {
        if (e.parentExecutionId === 'parent-1') childIds.add(e.executionId);
      });
      const p2 = await p2run.result;
      expect(p2.status).toBe('success');
      expect([...childIds]).toHaveLength(1);
      const [second] = [...childIds];
      expect(second).toMatch(/^parent-1\/remote\.[0-9a-f]{8}$/);
      expect(await svc.client.hget('test:bodies', `${second}:a`)).toBe('1');
      expect(await svc.client.hget('test:bodies', 'parent-1/remote:a')).toBe('1');
    } finally {
      await producer.close();
      await serving.close();
      closeCounter();
      delete process.env.FL_TEST_REDIS;
    }
  });

  it('without a queue plugin engine.enqueue rejects with FL_NO_RUN_QUEUE; bad serve options are typed', async () => {
    const engine = createEngine({ logger: quiet });
    try {
      await expect(engine.enqueue(countedRun, { k: 1 })).rejects.toSatisfy((e) =>
        isFlowlaneError(e, 'FL_NO_RUN_QUEUE'),
      );
      await expect(engine.waitForResult('x')).rejects.toSatisfy((e) => isFlowlaneError(e, 'FL_NO_RUN_QUEUE'));
    } finally {
      await engine.close();
    }
    expect(() => bullmqDispatch({ connection: svc.redis.url, groups: [], serve: { concurency: 2 } as never })).toThrow(
      /serve.*"concurency".*did you mean "concurrency"/s,
    );
    expect(() => bullmqDispatch({ connection: svc.redis.url, groups: [], serve: { groups: ['local'] } })).toThrow(
      BullmqError,
    );
  });
});
