import { createVirtualClock, type FlowEvent, isFlowlaneError, workflow } from '@flowlane/core';
import { useEngines } from '@flowlane/testing';
import { firstValueFrom, map, timer, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { isSchedulerError } from './errors.js';
import { priorityScheduler } from './priority-plugin.js';
import { createPriorityScheduler } from './priority-scheduler.js';

const engine = useEngines();

describe('priority order', () => {
  it('runs the seed scenario: t2 (10), t3 (5), t1 (1) with a concurrency of 1', async () => {
    const order: string[] = [];
    const wf = workflow('seed')
      .addNode('t1', () => void order.push('t1'), { priority: 1 })
      .addNode('t2', () => void order.push('t2'), { priority: 10 })
      .addNode('t3', () => void order.push('t3'), { priority: 5 })
      .build();
    const e = engine({ plugins: [priorityScheduler({ concurrency: 1 })] });
    const r = await e.run(wf, {}).result;
    expect(r.status).toBe('success');
    expect(order).toEqual(['t2', 't3', 't1']);
  });

  it('starts the highest priority among ready nodes and always respects dependencies (the seed test on a DAG)', async () => {
    const deps: Record<string, string[]> = {
      fetch: [],
      lint: [],
      build: ['fetch'],
      docs: ['fetch'],
      unit: ['build'],
      e2e: ['build', 'lint'],
      package: ['unit', 'e2e'],
      notify: ['docs'],
    };
    const priority: Record<string, number> = {
      fetch: 1,
      lint: 3,
      build: 5,
      docs: 0,
      unit: 2,
      e2e: 8,
      package: 4,
      notify: 9,
    };
    const order: string[] = [];
    let b = workflow('dag') as ReturnType<typeof workflow>;
    for (const id of Object.keys(deps))
      b = b.addNode(id, () => void order.push(id), { dependsOn: deps[id] as never, priority: priority[id] }) as never;
    const e = engine({ plugins: [priorityScheduler({ concurrency: 1 })] });
    const r = await e.run(b.build(), {}).result;
    expect(r.status).toBe('success');
    // Replay: at each start, every dependency had run and no ready node had a higher priority.
    const done = new Set<string>();
    for (const id of order) {
      expect(deps[id]!.every((d) => done.has(d))).toBe(true);
      const ready = Object.keys(deps).filter((n) => !done.has(n) && deps[n]!.every((d) => done.has(d)));
      expect(Math.max(...ready.map((n) => priority[n]!))).toBe(priority[id]);
      done.add(id);
    }
    expect(order).toEqual(['lint', 'fetch', 'build', 'e2e', 'unit', 'package', 'docs', 'notify']);
  });

  it('orders nodes that become ready in the same turn, across concurrent runs too', async () => {
    const clock = createVirtualClock();
    const starts: string[] = [];
    const wf = workflow('two')
      .input<{ tag: string }>()
      .addNode('slow', (ctx) => timer(100, clock).pipe(map(() => starts.push(`${ctx.input.tag}:slow`))), {
        priority: 1,
      })
      .addNode('fast', (ctx) => timer(10, clock).pipe(map(() => starts.push(`${ctx.input.tag}:fast`))), {
        priority: 7,
      })
      .build();
    const e = engine({ clock, plugins: [priorityScheduler({ concurrency: 1 })] });
    const runs = [e.run(wf, { tag: 'a' }), e.run(wf, { tag: 'b' })];
    await clock.runAll();
    for (const run of runs) expect((await run.result).status).toBe('success');
    expect(starts).toEqual(['a:fast', 'b:fast', 'a:slow', 'b:slow']);
    expect(clock.now()).toBe(220);
  });

  it('never runs more than `concurrency` nodes at once', async () => {
    const clock = createVirtualClock();
    let running = 0;
    let peak = 0;
    let b = workflow('wide') as ReturnType<typeof workflow>;
    for (let i = 0; i < 20; i++)
      b = b.addNode(
        `n${i}`,
        () => {
          peak = Math.max(peak, ++running);
          return timer(10 + (i % 3) * 7, clock).pipe(map(() => running--));
        },
        { priority: i % 4 },
      ) as never;
    const s = createPriorityScheduler({ concurrency: 3, clock });
    const e = engine({ clock, scheduler: s });
    const run = e.run(b.build(), {});
    await clock.runAll();
    expect((await run.result).status).toBe('success');
    expect(peak).toBe(3);
    expect(s.running()).toBe(0);
    expect(s.pending()).toBe(0);
  });
});

describe('critical-path tie-break', () => {
  const build = (estimates: boolean) =>
    workflow('cp')
      .addNode('short', () => 'short', estimates ? { estimatedMs: 300 } : {})
      .addNode('long', () => 'long', estimates ? { estimatedMs: 100 } : {})
      .addNode('long2', () => 'long2', { dependsOn: ['long'], ...(estimates ? { estimatedMs: 250 } : {}) })
      .build();

  it('starts the node with the longest remaining critical path first among equal priorities', async () => {
    const order: string[] = [];
    const wf = build(true);
    const e = engine({ plugins: [priorityScheduler({ concurrency: 1, workflows: [wf] })] });
    const run = e.run(wf, {});
    run.events$.subscribe((ev) => void (ev.type === 'node.started' && order.push(ev.nodeId)));
    await run.result;
    // long → long2 is 350 ms, short is 300 ms: long first although short was defined first; then short (300 ms
    // left) beats long2 (250 ms left).
    expect(order).toEqual(['long', 'short', 'long2']);
  });

  it('falls back to definition order when nothing is known, then learns observed durations', async () => {
    const clock = createVirtualClock();
    const wf = workflow('obs')
      .addNode('fast', () => timer(10, clock).pipe(map(() => 'f')))
      .addNode('slow', () => timer(500, clock).pipe(map(() => 's')))
      .build();
    const e = engine({ clock, plugins: [priorityScheduler({ concurrency: 1 })] });
    const startsOf = async (): Promise<string[]> => {
      const run = e.run(wf, {});
      const events = firstValueFrom(run.events$.pipe(toArray()));
      await clock.runAll();
      return (await events).flatMap((ev: FlowEvent) => (ev.type === 'node.started' ? [ev.nodeId] : []));
    };
    expect(await startsOf()).toEqual(['fast', 'slow']);
    expect(await startsOf()).toEqual(['slow', 'fast']);
  });

  it('estimates with observed durations and its concurrency', async () => {
    const clock = createVirtualClock();
    const wf = workflow('est')
      .addNode('a', () => timer(40, clock).pipe(map(() => 1)))
      .addNode('b', () => timer(60, clock).pipe(map(() => 2)))
      .addNode('c', () => 3, { dependsOn: ['a', 'b'], estimatedMs: 5 })
      .build();
    const s = createPriorityScheduler({ concurrency: 1, clock });
    const e = engine({ clock, scheduler: s });
    const run = e.run(wf, {});
    await clock.runAll();
    await run.result;
    const est = s.estimate(wf);
    expect(est.criticalPathMs).toBe(65);
    expect(est.criticalPath).toEqual(['b', 'c']);
    expect(est.levels.map((l) => [l.nodes, l.durationMs])).toEqual([
      [['b', 'a'], 100],
      [['c'], 5],
    ]);
    expect(est.nodes.a).toMatchObject({ source: 'observed', durationMs: 40 });
  });
});

describe('failFast', () => {
  const wf = (clock: ReturnType<typeof createVirtualClock>, priority: number) =>
    workflow('ff')
      .addNode(
        'critical',
        () =>
          timer(10, clock).pipe(
            map(() => {
              throw new Error('boom');
            }),
          ),
        { priority, onError: 'continue' },
      )
      .addNode('long', (ctx) => timer(1000, clock).pipe(map(() => ctx.signal.aborted)), { priority: 0 })
      .addNode('after', () => 'after', { dependsOn: ['critical'] })
      .build();

  it('cancels the run as soon as a node at or above the threshold fails, despite onError: continue', async () => {
    const clock = createVirtualClock();
    const e = engine({ clock, plugins: [priorityScheduler({ failFast: 10 })] });
    const run = e.run(wf(clock, 10), {});
    await clock.advanceBy(10);
    const r = await run.result;
    expect(r.status).toBe('cancelled');
    expect(r.error?.code).toBe('FL_CANCELLED');
    expect(r.error?.message).toContain('fail-fast: node "critical" (priority 10) failed');
    expect(r.nodes.long?.status).toBe('cancelled');
    expect(r.durationMs).toBe(10);
  });

  it('lets the run continue when the failing node is below the threshold', async () => {
    const clock = createVirtualClock();
    const e = engine({ clock, plugins: [priorityScheduler({ failFast: 10 })] });
    const run = e.run(wf(clock, 9), {});
    await clock.runAll();
    const r = await run.result;
    expect(r.status).toBe('success');
    expect(r.nodes.critical?.status).toBe('failed');
    expect(r.nodes.after?.status).toBe('success');
  });

  it('leaves an ordinary failure a failure (not a cancellation)', async () => {
    const e = engine({ plugins: [priorityScheduler({ failFast: 1, concurrency: 1 })] });
    const r = await e.run(
      workflow('f')
        .addNode(
          'x',
          () => {
            throw new Error('no');
          },
          { priority: 5 },
        )
        .build(),
      {},
    ).result;
    expect(r.status).toBe('failed');
    expect(r.error?.code).toBe('FL_NODE_FAILED');
  });
});

describe('aging', () => {
  // One low-priority node against a chain of 20 high-priority nodes that keeps one of them ready at all times.
  const scenario = async (aging: { interval: number } | undefined): Promise<number> => {
    const clock = createVirtualClock();
    const starts: string[] = [];
    let b = workflow('stream').addNode('low', () => void starts.push('low'), { priority: 0 }) as ReturnType<
      typeof workflow
    >;
    for (let i = 0; i < 20; i++)
      b = b.addNode(
        `h${i}`,
        () => {
          starts.push(`h${i}`);
          return timer(100, clock);
        },
        { priority: 10, ...(i === 0 ? {} : { dependsOn: [`h${i - 1}`] as never }) },
      ) as never;
    // A second high-priority root keeps the single slot busy when h0 settles.
    b = b.addNode('h-root', () => timer(50, clock), { priority: 10 }) as never;
    const e = engine({ clock, plugins: [priorityScheduler({ concurrency: 1, ...(aging ? { aging } : {}) })] });
    const run = e.run(b.build(), {});
    await clock.runAll();
    expect((await run.result).status).toBe('success');
    return starts.indexOf('low');
  };

  it('without aging, the low-priority node runs after the whole high-priority stream', async () => {
    expect(await scenario(undefined)).toBe(20);
  });

  it('with aging, the low-priority node gets its turn while high-priority nodes keep arriving', async () => {
    // Waiting 100 ms is worth 1 priority. h(k) arrives at 250 + 100·(k − 2) ms, ranking like 9.5 − k at time 0;
    // "low" has waited since 0 (rank 0), so it outranks h10 (−0.5) and runs right after h9.
    expect(await scenario({ interval: 100 })).toBe(10);
  });
});

describe('lifecycle', () => {
  it('rejects a queued request when its run is cancelled and forgets it', async () => {
    const clock = createVirtualClock();
    const s = createPriorityScheduler({ concurrency: 1, clock });
    const e = engine({ clock, scheduler: s });
    const wf = workflow('c')
      .addNode('a', () => timer(100, clock))
      .addNode('b', () => timer(100, clock))
      .build();
    const run = e.run(wf, {});
    await clock.advanceBy(10);
    expect(s.pending()).toBe(1);
    run.cancel('stop');
    const r = await run.result;
    expect(r.status).toBe('cancelled');
    expect(r.nodes.b?.status).toBe('cancelled');
    expect(s.pending()).toBe(0);
    expect(s.running()).toBe(0);
  });

  it('rejects waiting requests with FL_SCHED_DISPOSED when disposed directly', async () => {
    const s = createPriorityScheduler({ concurrency: 1 });
    const ac = new AbortController();
    const node = { id: 'n', kind: 'task', dependsOn: [], standby: false, options: {} } as const;
    const req = { executionId: 'x', workflow: 'w', node, priority: 0 };
    const first = await s.acquire(req, ac.signal);
    const second = s.acquire(req, ac.signal);
    s.dispose();
    await expect(second).rejects.toSatisfy((e: unknown) => isSchedulerError(e, 'FL_SCHED_DISPOSED'));
    s.release(first, 'success');
    expect(() => s.acquire(req, ac.signal)).toThrow(/disposed/);
  });

  it('gives a subworkflow node no slot, so its child run can use the only one', async () => {
    const child = workflow('child')
      .addNode('c1', () => 1)
      .build();
    const wf = workflow('parent')
      .subworkflow('sub', child, () => ({}))
      .build();
    const e = engine({ plugins: [priorityScheduler({ concurrency: 1 })] });
    const r = await e.run(wf, {}).result;
    expect(r.status).toBe('success');
  });

  it('checks its options with FL_SCHED_INVALID_OPTION', () => {
    for (const bad of [
      { concurrency: 0 },
      { failFast: Number.NaN },
      { aging: { interval: 0 } },
      { defaultEstimateMs: -1 },
    ])
      expect(() => createPriorityScheduler(bad)).toThrow(
        expect.objectContaining({ code: 'FL_SCHED_INVALID_OPTION' }) as never,
      );
    expect(isFlowlaneError(catchOf(() => createPriorityScheduler({ concurrency: 1.5 })))).toBe(true);
  });
});

function catchOf(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  return undefined;
}
