import { setTimeout as sleep } from 'node:timers/promises';
import { createEngine, workflow } from '@flowlane/core';
import { startRedis } from '@flowlane/testing';
import { describe, expect, it } from 'vitest';
import { bullmqDispatch } from './dispatch.js';
import { createWorker } from './worker.js';

const quiet = { debug() {}, info() {}, warn() {}, error() {} };

/** Sockets and timers this process holds (what a leaked connection or interval shows up as). */
function resources(): { sockets: number; timers: number } {
  const all = process.getActiveResourcesInfo();
  return {
    sockets: all.filter((r) => r === 'TCPSocketWrap' || r === 'TCPWRAP').length,
    timers: all.filter((r) => r === 'Timeout').length,
  };
}

/** How long `p` took to settle, ms; fails after `ms` (the close must be bounded). */
async function timed(what: string, p: Promise<unknown>, ms: number): Promise<number> {
  const t0 = Date.now();
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    p,
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} did not settle within ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
  return Date.now() - t0;
}

describe('close() with Redis gone, real Redis stopped mid-run', () => {
  it('a serving coordinator, a producer and a worker with a job in flight all close within 5 s of Redis dying; no socket or timer is left', async () => {
    const redis = await startRedis();
    const before = resources();

    let started!: () => void;
    const running = new Promise<void>((r) => {
      started = r;
    });
    const wf = workflow('close-probe', { version: '1' })
      .addNode(
        'slow',
        async (ctx) => {
          started();
          await sleep(60_000, undefined, { signal: ctx.signal }).catch(() => undefined);
          return 1;
        },
        { runOn: 'g' },
      )
      .build();
    const worker = await createWorker({
      connection: redis.url,
      group: 'g',
      workflows: [wf],
      engine: { logger: quiet },
    });
    const coordinator = createEngine({
      plugins: [bullmqDispatch({ connection: redis.url, groups: ['g'], serve: { groups: ['eu'] } })],
      workflows: [wf],
      logger: quiet,
    });
    const producer = createEngine({ plugins: [bullmqDispatch({ connection: redis.url, groups: [] })], logger: quiet });
    try {
      await coordinator.ready();
      await producer.ready();
      const queued = await producer.enqueue(wf, {});
      const waiting = queued.result().catch((e: unknown) => e);
      // Bounded, so that a hang names its step (this test once ran into the 60 s test timeout under CI load).
      await timed('the node to start on the worker', running, 20_000);
      await redis.stop();

      // Each close settles although every Redis command would wait forever for the server.
      expect(await timed('coordinator close', coordinator.close(), 5000)).toBeLessThan(5000);
      expect(await timed('producer close', producer.close(), 5000)).toBeLessThan(5000);
      expect(await timed('worker close', worker.close(), 5000)).toBeLessThan(5000);
      // The producer's pending wait is cut short with the typed error instead of hanging.
      let pending: unknown;
      await timed(
        "the producer's pending result wait",
        waiting.then((e) => {
          pending = e;
        }),
        5000,
      );
      expect(pending).toMatchObject({ code: 'FL_BULLMQ_CLOSED' });
      // No socket is left. BullMQ's blocking reads race a watchdog timer of their block timeout + 1 s (≤ 11 s):
      // those run out and nothing re-arms them.
      await sleep(50);
      expect(resources().sockets).toBeLessThanOrEqual(before.sockets);
      const deadline = Date.now() + 15_000;
      while (resources().timers > before.timers && Date.now() < deadline) await sleep(100);
      const after = resources();
      expect(after.sockets).toBe(0);
      expect(after.timers).toBeLessThanOrEqual(before.timers);
    } finally {
      await Promise.all([coordinator.close(), producer.close(), worker.close()]);
      await redis.dispose();
    }
  }, 60_000);

  it('a coordinator whose node dispatch is stuck on the dead Redis (the claim never answers) still closes within 5 s', async () => {
    const redis = await startRedis();
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const wf = workflow('stuck-dispatch', { version: '1' })
      .addNode('local', () => gate, { runOn: 'local' })
      .chain('remote', () => 'never', { runOn: 'g' })
      .build();
    const engine = createEngine({
      plugins: [bullmqDispatch({ connection: redis.url, groups: ['g'], heartbeatInterval: 60_000 })],
      logger: quiet,
    });
    try {
      await engine.ready();
      const run = engine.run(wf, {});
      await sleep(100);
      await redis.stop();
      // The remote node becomes ready now: its dispatch waits on Redis.
      release();
      await sleep(100);
      expect(await timed('coordinator close', engine.close(), 5000)).toBeLessThan(5000);
      expect((await run.result).status).toBe('cancelled');
    } finally {
      await engine.close();
      await redis.dispose();
    }
  }, 30_000);

  it('a worker whose graceful close is waiting for its running job settles within 5 s once Redis dies, and aborts the job', async () => {
    const redis = await startRedis();
    let started!: () => void;
    const running = new Promise<void>((r) => {
      started = r;
    });
    let aborted = false;
    const wf = workflow('close-during', { version: '1' })
      .addNode(
        'slow',
        async (ctx) => {
          started();
          await sleep(60_000, undefined, { signal: ctx.signal }).catch(() => {
            aborted = true;
          });
          return 1;
        },
        { runOn: 'g' },
      )
      .build();
    const worker = await createWorker({
      connection: redis.url,
      group: 'g',
      workflows: [wf],
      engine: { logger: quiet },
    });
    const engine = createEngine({ plugins: [bullmqDispatch({ connection: redis.url, groups: ['g'] })], logger: quiet });
    try {
      void engine.run(wf, {}).result.catch(() => undefined);
      await running;
      // Graceful: the close waits for the job (it would for a minute).
      const closing = worker.close();
      await sleep(200);
      expect(aborted).toBe(false);
      await redis.stop();
      expect(await timed('worker close', closing, 5000)).toBeLessThan(5000);
      expect(aborted).toBe(true);
      expect(await timed('coordinator close', engine.close(), 5000)).toBeLessThan(5000);
    } finally {
      await Promise.all([engine.close(), worker.close()]);
      await redis.dispose();
    }
  }, 30_000);
  it('a run-result wait and an enqueue whose Redis commands never answer (Redis died before they were sent) are cut short by close() with FL_BULLMQ_CLOSED', async () => {
    const redis = await startRedis();
    const wf = workflow('never-served', { version: '1' })
      .addNode('a', () => 1)
      .build();
    const producer = createEngine({ plugins: [bullmqDispatch({ connection: redis.url, groups: [] })], logger: quiet });
    try {
      await producer.ready();
      // Nobody serves the run; no result wait was started yet, so the producer has no event reader for the queue.
      const queued = await producer.enqueue(wf, {});
      await redis.stop();
      // The wait's first Redis command (starting the event reader) now waits for a server that is gone, and so do
      // an enqueue's.
      const waiting = queued.result().catch((e: unknown) => e);
      const enqueuing = producer.enqueue(wf, {}).catch((e: unknown) => e);
      await sleep(200);
      expect(await timed('producer close', producer.close(), 5000)).toBeLessThan(5000);
      expect(await timed('the pending enqueue', enqueuing, 5000)).toBeLessThan(5000);
      expect(await enqueuing).toMatchObject({ code: 'FL_BULLMQ_CLOSED' });
      let pending: unknown;
      await timed(
        'the pending result wait',
        waiting.then((e) => {
          pending = e;
        }),
        5000,
      );
      expect(pending).toMatchObject({ code: 'FL_BULLMQ_CLOSED' });
      // A wait started after the close is refused at once.
      await expect(queued.result()).rejects.toMatchObject({ code: 'FL_BULLMQ_CLOSED' });
    } finally {
      await producer.close();
      await redis.dispose();
    }
  }, 30_000);
});
