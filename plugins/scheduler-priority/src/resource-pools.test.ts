import {
  createFifoScheduler,
  createVirtualClock,
  type NodeDescription,
  type SystemEvent,
  workflow,
} from '@flowlane/core';
import { createEventSourceScheduler, useEngines } from '@flowlane/testing';
import { firstValueFrom, map, NEVER, timer } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { priorityScheduler } from './priority-plugin.js';
import { createPriorityScheduler } from './priority-scheduler.js';
import { parseQuantity } from './quantity.js';
import { createResourcePools } from './resource-pools.js';
import { withResourcePools } from './with-resource-pools.js';

const engine = useEngines();

const node = (id: string, resources?: Record<string, number | string | string[]>): NodeDescription => ({
  id,
  kind: 'task',
  dependsOn: [],
  standby: false,
  options: resources === undefined ? {} : { resources },
});

describe('quantities and accounting', () => {
  it('parses numbers and Kubernetes-style quantities', () => {
    expect(parseQuantity(2)).toBe(2);
    expect(parseQuantity('500m')).toBe(0.5);
    expect(parseQuantity('16Gi')).toBe(16 * 2 ** 30);
    expect(parseQuantity('1.5G')).toBe(1.5e9);
    expect(parseQuantity('2k')).toBe(2000);
    for (const bad of ['', '-1', '1Q', 'ten', '1 Gi']) expect(parseQuantity(bad)).toBeUndefined();
    expect(parseQuantity(-1)).toBeUndefined();
    expect(parseQuantity(Number.NaN)).toBeUndefined();
  });

  it('takes all of a demand or nothing and counts exactly (no float drift)', () => {
    const pools = createResourcePools({ capacity: { cpu: '1', memory: '1Gi' } });
    const small = pools.demandOf(node('s', { cpu: '100m', memory: '256Mi' }))!;
    const held = Array.from({ length: 10 }, (_, i) => pools.tryAcquire(small, `r${i}`));
    expect(held.filter(Boolean)).toHaveLength(4); // memory runs out first: 4 × 256Mi
    expect(pools.available()).toEqual({ cpu: 0.6, memory: 0 });
    for (const h of held) if (h) expect(pools.release(h)).toBe(true);
    expect(pools.release(held[0]!)).toBe(false);
    expect(pools.available()).toEqual({ cpu: 1, memory: 2 ** 30 });
  });

  it('ignores labels and configured names, and needs nothing for zero amounts', () => {
    const pools = createResourcePools({ capacity: { cpu: 2 }, ignore: ['gpu-class'] });
    expect(pools.demandOf(node('a', { labels: ['gpu'], 'gpu-class': 'a100', cpu: 0 }))).toBeUndefined();
    expect(pools.demandOf(node('b'))).toBeUndefined();
    expect(pools.demandOf(node('c', { cpu: 2 }))?.amounts).toEqual({ cpu: 2 });
  });

  it('rejects requests larger than the pool, unknown resources and bad quantities', () => {
    const pools = createResourcePools({ capacity: { cpu: 8, memory: '16Gi' } });
    expect(() => pools.demandOf(node('big', { cpu: 16 }))).toThrow(
      expect.objectContaining({
        code: 'FL_RESOURCE_UNSATISFIABLE',
        details: { nodeId: 'big', resource: 'cpu', requested: 16, capacity: 8 },
      }) as never,
    );
    expect(() => pools.demandOf(node('typo', { cpus: 1 }))).toThrow(
      expect.objectContaining({ code: 'FL_RESOURCE_UNSATISFIABLE' }) as never,
    );
    expect(() => pools.demandOf(node('bad', { memory: '1 GB' }))).toThrow(
      expect.objectContaining({ code: 'FL_SCHED_INVALID_QUANTITY' }) as never,
    );
    expect(() => createResourcePools({ capacity: { cpu: -1 } })).toThrow(/not a quantity/);
    expect(() => createResourcePools({ capacity: { cpu: 1 }, waitTimeout: 0 })).toThrow(/waitTimeout/);
  });
});

describe('admission through the engine', () => {
  it('never deadlocks on overlapping multi-resource requests (no partial holding)', async () => {
    const clock = createVirtualClock();
    const pools = createResourcePools({ capacity: { a: 1, b: 1 }, clock });
    const log: string[] = [];
    const task = (id: string) => () => {
      log.push(`+${id}`);
      return timer(10, clock).pipe(map(() => void log.push(`-${id}`)));
    };
    // x1/x2 need both a and b; y needs a, z needs b — interleaved so partial holding would deadlock x1 and x2.
    const wf = workflow('overlap')
      .addNode('y', task('y'), { resources: { a: 1 } })
      .addNode('x1', task('x1'), { resources: { a: 1, b: 1 } })
      .addNode('z', task('z'), { resources: { b: 1 } })
      .addNode('x2', task('x2'), { resources: { b: 1, a: 1 } })
      .build();
    const e = engine({ clock, scheduler: createPriorityScheduler({ pools, clock }) });
    const run = e.run(wf, {});
    await clock.runAll();
    expect((await run.result).status).toBe('success');
    expect(log).toEqual(['+y', '+z', '-y', '-z', '+x1', '-x1', '+x2', '-x2']);
    expect(pools.available()).toEqual({ a: 1, b: 1 });
  });

  it('releases on success, failure, timeout and cancel', async () => {
    const clock = createVirtualClock();
    const pools = createResourcePools({ capacity: { cpu: 4 }, clock });
    const e = engine({ clock, scheduler: createPriorityScheduler({ pools, clock }) });
    const seen: number[] = [];
    const wf = workflow('rel')
      .addNode('ok', () => timer(10, clock).pipe(map(() => seen.push(pools.available().cpu!))), {
        resources: { cpu: 1 },
      })
      .addNode(
        'fails',
        () => {
          seen.push(pools.available().cpu!);
          throw new Error('x');
        },
        { resources: { cpu: 1 }, onError: 'continue' },
      )
      .addNode('hangs', () => NEVER, { resources: { cpu: 2 }, timeout: 50, onError: 'continue' })
      .build();
    const run = e.run(wf, {});
    await clock.runAll();
    const r = await run.result;
    expect(r.nodes.fails?.status).toBe('failed');
    expect(r.nodes.hangs?.status).toBe('timeout');
    expect(seen).toEqual([0, 1]); // all four cpus taken while "fails" ran; one freed before "ok" finished
    expect(pools.available()).toEqual({ cpu: 4 });

    const run2 = e.run(
      workflow('cancel')
        .addNode('holder', () => NEVER, { resources: { cpu: 4 } })
        .addNode('waiter', () => 1, { resources: { cpu: 1 } })
        .build(),
      {},
    );
    await clock.advanceBy(5);
    expect(pools.available()).toEqual({ cpu: 0 });
    run2.cancel('bye');
    expect((await run2.result).status).toBe('cancelled');
    expect(pools.available()).toEqual({ cpu: 4 });
  });

  it('fails a node whose request can never fit with FL_RESOURCE_UNSATISFIABLE, and at engine start for known workflows', async () => {
    const wf = workflow('huge')
      .addNode('ok', () => 1)
      .addNode('huge', () => 2, { resources: { cpu: 16 }, dependsOn: ['ok'] })
      .build();
    const r = await engine({ plugins: [priorityScheduler({ pools: { capacity: { cpu: 8 } } })] }).run(wf, {}).result;
    expect(r.status).toBe('failed');
    expect(r.nodes.huge?.error?.code).toBe('FL_RESOURCE_UNSATISFIABLE');
    expect(r.nodes.huge?.error?.details).toEqual({ nodeId: 'huge', resource: 'cpu', requested: 16, capacity: 8 });

    const e = engine({ plugins: [priorityScheduler({ workflows: [wf], pools: { capacity: { cpu: 8 } } })] });
    await expect(e.ready()).rejects.toMatchObject({
      code: 'FL_PLUGIN_SETUP_FAILED',
      cause: { code: 'FL_RESOURCE_UNSATISFIABLE' },
    });
  });

  it('fails a request that waits longer than waitTimeout with FL_RESOURCE_TIMEOUT', async () => {
    const clock = createVirtualClock();
    const e = engine({
      clock,
      plugins: [priorityScheduler({ pools: { capacity: { licenses: 1 }, waitTimeout: 500 } })],
    });
    const wf = workflow('wait')
      .addNode('holder', () => timer(1000, clock), { resources: { licenses: 1 } })
      .addNode('waiter', () => 1, { resources: { licenses: 1 }, onError: 'continue' })
      .build();
    const run = e.run(wf, {});
    await clock.runAll();
    const r = await run.result;
    expect(r.nodes.waiter?.status).toBe('failed');
    expect(r.nodes.waiter?.error).toMatchObject({
      code: 'FL_RESOURCE_TIMEOUT',
      details: { nodeId: 'waiter', ms: 500 },
    });
    expect(r.nodes.holder?.status).toBe('success');
  });

  it('reclaims resources from a node that hangs past leaseExpiry and does not free them twice', async () => {
    const clock = createVirtualClock();
    const pools = createResourcePools({ capacity: { gpu: 1 }, leaseExpiry: 1000, clock });
    const expired = firstValueFrom(pools.events$);
    const e = engine({ clock, scheduler: createPriorityScheduler({ pools, clock }) });
    const starts: Record<string, number> = {};
    const wf = workflow('hung')
      .addNode(
        'hung',
        () => {
          starts.hung = clock.now();
          return timer(5000, clock);
        },
        { resources: { gpu: 1 } },
      )
      .addNode(
        'next',
        () => {
          starts.next = clock.now();
          return timer(100, clock);
        },
        { resources: { gpu: 1 } },
      )
      .build();
    const run = e.run(wf, {});
    await clock.runAll();
    expect((await run.result).status).toBe('success');
    expect(starts).toEqual({ hung: 0, next: 1000 });
    expect(await expired).toMatchObject({
      type: 'resource.expired',
      nodeId: 'hung',
      amounts: { gpu: 1 },
      heldMs: 1000,
    });
    expect(pools.available()).toEqual({ gpu: 1 });
  });

  it('lets smaller requests backfill by default and keeps strict order with backfill: false', async () => {
    const orderWith = async (backfill: boolean): Promise<string[]> => {
      const clock = createVirtualClock();
      const pools = createResourcePools({ capacity: { cpu: 4 }, clock });
      const starts: string[] = [];
      const task = (id: string, ms: number) => () => {
        starts.push(id);
        return timer(ms, clock);
      };
      const wf = workflow('bf')
        .addNode('first', task('first', 100), { resources: { cpu: 3 }, priority: 9 })
        .addNode('big', task('big', 10), { resources: { cpu: 4 }, priority: 5 })
        .addNode('small', task('small', 10), { resources: { cpu: 1 }, priority: 1 })
        .build();
      const e = engine({ clock, scheduler: createPriorityScheduler({ pools, clock, backfill }) });
      const run = e.run(wf, {});
      await clock.runAll();
      expect((await run.result).status).toBe('success');
      return starts;
    };
    expect(await orderWith(true)).toEqual(['first', 'small', 'big']);
    expect(await orderWith(false)).toEqual(['first', 'big', 'small']);
  });
});

describe('withResourcePools', () => {
  it('puts pools in front of another scheduler and keeps its lease details', async () => {
    const clock = createVirtualClock();
    const pools = createResourcePools({ capacity: { licenses: 1 }, clock });
    const inner = createFifoScheduler({ concurrency: 2 });
    const e = engine({ clock, scheduler: withResourcePools(inner, pools) });
    let running = 0;
    let peak = 0;
    let licensed = 0;
    let licensedPeak = 0;
    const starts: string[] = [];
    const task = (id: string, license: boolean) => () => {
      starts.push(id);
      peak = Math.max(peak, ++running);
      if (license) licensedPeak = Math.max(licensedPeak, ++licensed);
      return timer(10, clock).pipe(
        map(() => {
          running--;
          if (license) licensed--;
        }),
      );
    };
    const wf = workflow('wrapped')
      .addNode('a', task('a', true), { resources: { licenses: 1 } })
      .addNode('b', task('b', true), { resources: { licenses: 1 } })
      .addNode('c', task('c', false))
      .addNode('d', task('d', false))
      .build();
    const run = e.run(wf, {});
    await clock.runAll();
    expect((await run.result).status).toBe('success');
    expect(peak).toBe(2); // the inner FIFO's concurrency
    expect(licensedPeak).toBe(1); // the pool's capacity
    // c and d need no resources and reach the FIFO first; a then holds the license, b waits for it.
    expect(starts).toEqual(['c', 'd', 'a', 'b']);
    expect(clock.now()).toBe(30);
    expect(pools.available()).toEqual({ licenses: 1 });
    expect(inner.pending?.()).toBe(0);
  });

  it("forwards the inner scheduler's events$ and the pools' expiry events to engine.systemEvents$", async () => {
    const clock = createVirtualClock();
    const pools = createResourcePools({ capacity: { gpu: 1 }, clock, leaseExpiry: 50 });
    const { scheduler: inner, events: workerEvents } = createEventSourceScheduler('fleet', { concurrency: 4 });
    const e = engine({ clock, scheduler: withResourcePools(inner, pools) });
    await e.ready();
    const seen: SystemEvent[] = [];
    e.systemEvents$.subscribe((ev) => seen.push(ev));
    workerEvents.next({ type: 'worker.down', workerId: 'w1', reason: 'probe', timestamp: 0 });
    const run = e.run(
      workflow('hog')
        .addNode('hog', () => timer(80, clock), { resources: { gpu: 1 } })
        .build(),
      {},
    );
    await clock.runAll();
    expect((await run.result).status).toBe('success');
    expect(seen).toEqual([
      { type: 'worker.down', workerId: 'w1', reason: 'probe', timestamp: 0, scheduler: 'fleet+resource-pools' },
      {
        type: 'resource.expired',
        executionId: run.executionId,
        nodeId: 'hog',
        amounts: { gpu: 1 },
        heldMs: 50,
        timestamp: 50,
        scheduler: 'fleet+resource-pools',
      },
    ]);
  });

  it('returns the resources when the run is cancelled while waiting for the inner scheduler', async () => {
    const clock = createVirtualClock();
    const pools = createResourcePools({ capacity: { licenses: 2 }, clock });
    const e = engine({ clock, scheduler: withResourcePools(createFifoScheduler({ concurrency: 1 }), pools) });
    const run = e.run(
      workflow('c')
        .addNode('a', () => NEVER, { resources: { licenses: 1 } })
        .addNode('b', () => NEVER, { resources: { licenses: 1 } })
        .build(),
      {},
    );
    await clock.advanceBy(1);
    expect(pools.available()).toEqual({ licenses: 0 });
    run.cancel();
    await run.result;
    expect(pools.available()).toEqual({ licenses: 2 });
  });
});
