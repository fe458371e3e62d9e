import {
  createVirtualClock,
  type ExecOptions,
  type Executor,
  type FlowEvent,
  type Logger,
  type SystemEvent,
  workflow,
} from '@flowlane/core';
import type { WorkerEvent } from '@flowlane/scheduler-placement';
import { isPlacementError } from '@flowlane/scheduler-placement';
import { useEngines } from '@flowlane/testing';
import { EMPTY, firstValueFrom, map, NEVER, timer, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { roundRobinScheduler } from './round-robin-plugin.js';
import { createRoundRobinScheduler } from './round-robin-scheduler.js';

const engine = useEngines();

/**
 * Advance virtual time one millisecond at a time: `advanceBy(n)` runs every timer due within n ms in one flush, so
 * promise continuations (engine admissions, async checks) scheduled by an earlier timer would see later times.
 */
const advance = async (clock: ReturnType<typeof createVirtualClock>, ms: number): Promise<void> => {
  for (let i = 0; i < ms; i++) await clock.advanceBy(1);
};

const fanOut = (n: number, fn: (id: string) => unknown, options: Record<string, unknown> = {}) => {
  let b = workflow('fan') as ReturnType<typeof workflow>;
  for (let i = 0; i < n; i++) b = b.addNode(`n${i}`, () => fn(`n${i}`), options) as never;
  return b.build();
};

const count = (values: Iterable<string>): Record<string, number> => {
  const out: Record<string, number> = {};
  for (const v of values) out[v] = (out[v] ?? 0) + 1;
  return out;
};

describe('round-robin placement', () => {
  it('is a frozen, named plugin for this core range', () => {
    const p = roundRobinScheduler({ workers: [{ id: 'a' }] });
    expect([p.name, p.flowlane, Object.isFrozen(p)]).toEqual(['@flowlane/scheduler-round-robin', '^0.1.0', true]);
  });

  it('spreads N nodes exactly evenly over W workers and exposes the worker as ctx.workerId', async () => {
    const placed = new Map<string, string>();
    let b = workflow('even') as ReturnType<typeof workflow>;
    for (let i = 0; i < 12; i++)
      b = b.addNode(`n${i}`, (ctx) => void placed.set(ctx.nodeId, ctx.workerId ?? '?')) as never;
    const e = engine({
      plugins: [roundRobinScheduler({ workers: ['a', 'b', 'c'].map((id) => ({ id, capacity: 12 })) })],
    });
    const run = e.run(b.build(), {});
    const events = firstValueFrom(run.events$.pipe(toArray()));
    expect((await run.result).status).toBe('success');
    expect(count(placed.values())).toEqual({ a: 4, b: 4, c: 4 });
    expect([...placed.values()].slice(0, 6)).toEqual(['a', 'b', 'c', 'a', 'b', 'c']);
    for (const ev of await events) if (ev.type === 'node.started') expect(ev.workerId).toBe(placed.get(ev.nodeId));
  });

  it('stays exactly even when nodes queue for a worker (capacity 1, equal durations)', async () => {
    const clock = createVirtualClock();
    const placed: string[] = [];
    let inFlight = 0;
    let peak = 0;
    let b = workflow('queued') as ReturnType<typeof workflow>;
    for (let i = 0; i < 12; i++)
      b = b.addNode(`n${i}`, (ctx) => {
        placed.push(ctx.workerId!);
        peak = Math.max(peak, ++inFlight);
        return timer(10, clock).pipe(map(() => inFlight--));
      }) as never;
    const s = createRoundRobinScheduler({ workers: [{ id: 'a' }, { id: 'b' }, { id: 'c' }], clock });
    const e = engine({ clock, scheduler: s });
    const run = e.run(b.build(), {});
    await clock.runAll();
    expect((await run.result).status).toBe('success');
    expect(count(placed)).toEqual({ a: 4, b: 4, c: 4 });
    expect(peak).toBe(3);
    expect(clock.now()).toBe(40);
    expect(s.pending()).toBe(0);
    expect(s.workers().map((w) => w.inFlight)).toEqual([0, 0, 0]);
  });

  it('runs labelled nodes only on workers with all of those labels', async () => {
    const placed = new Map<string, string>();
    const wf = workflow('labels')
      .addNode('train', (ctx) => void placed.set('train', ctx.workerId!), { resources: { labels: ['gpu'] } })
      .addNode('eval', (ctx) => void placed.set('eval', ctx.workerId!), { resources: { labels: ['gpu', 'big'] } })
      .addNode('lint', (ctx) => void placed.set('lint', ctx.workerId!))
      .addNode('test', (ctx) => void placed.set('test', ctx.workerId!))
      .build();
    const e = engine({
      plugins: [
        roundRobinScheduler({
          workers: [
            { id: 'cpu-1', capacity: 4 },
            { id: 'gpu-1', capacity: 4, labels: ['gpu'] },
            { id: 'gpu-2', capacity: 4, labels: ['gpu', 'big'] },
          ],
        }),
      ],
    });
    expect((await e.run(wf, {}).result).status).toBe('success');
    expect(Object.fromEntries(placed)).toEqual({ train: 'gpu-1', eval: 'gpu-2', lint: 'cpu-1', test: 'gpu-1' });
  });

  it('fails a node whose labels no worker has with FL_RESOURCE_UNSATISFIABLE', async () => {
    const e = engine({ plugins: [roundRobinScheduler({ workers: [{ id: 'a', labels: ['linux'] }] })] });
    const r = await e.run(
      workflow('tpu')
        .addNode('x', () => 1, { resources: { labels: 'tpu' } })
        .build(),
      {},
    ).result;
    expect(r.status).toBe('failed');
    expect(r.nodes.x?.error).toMatchObject({
      code: 'FL_RESOURCE_UNSATISFIABLE',
      details: { nodeId: 'x', resource: 'worker labelled tpu', requested: 1, capacity: 0 },
    });
  });

  it('makes the chosen worker the default executor target', async () => {
    const targets: (string | undefined)[] = [];
    const fake: Executor = {
      exec(_command: string, options?: ExecOptions) {
        targets.push(options?.target);
        return {
          output$: EMPTY,
          result: Promise.resolve({ exitCode: 0, stdout: '', stderr: '', durationMs: 0 }),
          kill: () => undefined,
        };
      },
      copyIn: async () => ({ bytes: 0, files: 0 }),
      copyOut: async () => ({ bytes: 0, files: 0 }),
      healthCheck: async () => ({ healthy: true }),
      dispose: async () => undefined,
    };
    const e = engine({
      executors: { ssh: fake },
      plugins: [
        roundRobinScheduler({
          workers: [
            { id: 'host-1', capacity: 2 },
            { id: 'host-2', capacity: 2 },
          ],
        }),
      ],
    });
    const run = e.run(
      workflow('exec')
        .addNode('a', (ctx) => ctx.exec('uptime'), { executor: 'ssh' })
        .addNode('b', (ctx) => ctx.exec('uptime'), { executor: 'ssh' })
        .build(),
      {},
    );
    expect((await run.result).status).toBe('success');
    expect(targets).toEqual(['host-1', 'host-2']);
  });

  it('fails a node that waits longer than queueTimeout with FL_RESOURCE_TIMEOUT', async () => {
    const clock = createVirtualClock();
    const e = engine({ clock, plugins: [roundRobinScheduler({ workers: [{ id: 'a' }], queueTimeout: 200 })] });
    const run = e.run(
      workflow('t')
        .addNode('busy', () => timer(1000, clock))
        .addNode('late', () => 1, { onError: 'continue' })
        .build(),
      {},
    );
    await clock.runAll();
    const r = await run.result;
    expect(r.nodes.late?.error).toMatchObject({ code: 'FL_RESOURCE_TIMEOUT', details: { nodeId: 'late', ms: 200 } });
    expect(r.nodes.busy?.status).toBe('success');
  });

  it('drops a queued node when its run is cancelled', async () => {
    const clock = createVirtualClock();
    const s = createRoundRobinScheduler({ workers: [{ id: 'a' }], clock });
    const e = engine({ clock, scheduler: s });
    const run = e.run(
      fanOut(3, () => NEVER),
      {},
    );
    await clock.advanceBy(1);
    expect(s.pending()).toBe(2);
    run.cancel();
    expect((await run.result).status).toBe('cancelled');
    expect(s.pending()).toBe(0);
    expect(s.workers()[0]?.inFlight).toBe(0);
  });
});

describe('worker health', () => {
  it('takes an unhealthy worker out of the rotation (its queued nodes go elsewhere) and re-adds it', async () => {
    const clock = createVirtualClock();
    const down = { b: false };
    const s = createRoundRobinScheduler({
      workers: [{ id: 'a' }, { id: 'b' }],
      clock,
      healthCheck: { interval: 100, check: (id) => !(id === 'b' && down.b) },
    });
    const events: WorkerEvent[] = [];
    s.workerEvents$.subscribe((ev) => events.push(ev));
    const starts: { worker: string; at: number }[] = [];
    const e = engine({ clock, scheduler: s });
    const wf = (() => {
      let b = workflow('timed') as ReturnType<typeof workflow>;
      for (let i = 0; i < 20; i++)
        b = b.addNode(`n${i}`, (ctx) => {
          starts.push({ worker: ctx.workerId!, at: clock.now() });
          return timer(30, clock);
        }) as never;
      return b.build();
    })();
    clock.schedule(() => void (down.b = true), 50);
    clock.schedule(() => void (down.b = false), 250);
    const timed = e.run(wf, {});
    await advance(clock, 1000);
    expect((await timed.result).status).toBe('success');
    expect(events).toEqual([
      { type: 'worker.down', workerId: 'b', reason: 'health check returned false', timestamp: 100 },
      { type: 'worker.up', workerId: 'b', timestamp: 300 },
    ]);
    const onB = starts.filter((x) => x.worker === 'b').map((x) => x.at);
    expect(onB.some((at) => at >= 100 && at < 300)).toBe(false);
    expect(onB.some((at) => at >= 300)).toBe(true);
    // While b was down, a ran every node, back to back.
    expect(starts.filter((x) => x.at >= 100 && x.at < 300).every((x) => x.worker === 'a')).toBe(true);
    s.dispose();
  });

  it('counts a check that does not answer in time as failed, and honours thresholds', async () => {
    const clock = createVirtualClock();
    let hang = false;
    const aborted: string[] = [];
    const s = createRoundRobinScheduler({
      workers: [{ id: 'a' }, { id: 'b' }],
      clock,
      healthCheck: {
        interval: 100,
        timeout: 20,
        unhealthyThreshold: 2,
        healthyThreshold: 2,
        check: (id, signal) =>
          id === 'a' && hang
            ? new Promise<boolean>(() => signal.addEventListener('abort', () => aborted.push(id)))
            : { healthy: true },
      },
    });
    const events: WorkerEvent[] = [];
    s.workerEvents$.subscribe((ev) => events.push(ev));
    hang = true;
    await advance(clock, 120);
    expect(events).toEqual([]); // one failure, threshold 2
    await advance(clock, 100);
    expect(events).toEqual([
      { type: 'worker.down', workerId: 'a', reason: 'health check timed out after 20 ms', timestamp: 220 },
    ]);
    expect(aborted).toEqual(['a', 'a']);
    hang = false;
    await advance(clock, 100);
    expect(events).toHaveLength(1); // one pass, threshold 2
    await advance(clock, 100);
    expect(events[1]).toEqual({ type: 'worker.up', workerId: 'a', timestamp: 400 });
    s.dispose();
    expect(clock.pending()).toBe(0);
  });

  it('logs worker.down and worker.up through the engine logger, and lets you mark workers by hand', async () => {
    const lines: string[] = [];
    const logger: Logger = {
      debug: () => undefined,
      info: (m) => void lines.push(`info ${m}`),
      warn: (m) => void lines.push(`warn ${m}`),
      error: () => undefined,
    };
    let installed: ReturnType<typeof createRoundRobinScheduler> | undefined;
    const e = engine({
      logger,
      plugins: [
        roundRobinScheduler({
          workers: [{ id: 'a' }, { id: 'b' }],
          wrap: (s) => {
            installed = s;
            return s;
          },
        }),
      ],
    });
    await e.ready();
    const system: SystemEvent[] = [];
    e.systemEvents$.subscribe((ev) => system.push(ev));
    installed!.markDown('b', 'maintenance');
    const run = e.run(
      fanOut(3, () => undefined),
      {},
    );
    const events = firstValueFrom(run.events$.pipe(toArray()));
    expect((await run.result).status).toBe('success');
    const workers = (await events).flatMap((ev: FlowEvent) => (ev.type === 'node.started' ? [ev.workerId] : []));
    expect(workers).toEqual(['a', 'a', 'a']);
    installed!.markUp('b');
    expect(lines).toEqual(['warn worker down: b', 'info worker up: b']);
    expect(system).toEqual([
      {
        type: 'worker.down',
        workerId: 'b',
        reason: 'maintenance',
        timestamp: expect.any(Number),
        scheduler: 'round-robin',
      },
      { type: 'worker.up', workerId: 'b', timestamp: expect.any(Number), scheduler: 'round-robin' },
    ]);
    expect(() => installed!.markDown('zz')).toThrow(
      expect.objectContaining({ code: 'FL_SCHED_UNKNOWN_WORKER' }) as never,
    );
  });

  it('publishes health-check transitions on engine.systemEvents$ (virtual time), and completes it on close', async () => {
    const clock = createVirtualClock();
    const down = new Set<string>();
    const e = engine({
      clock,
      plugins: [
        roundRobinScheduler({
          workers: [{ id: 'a' }, { id: 'b' }],
          healthCheck: { interval: 1000, check: (id) => !down.has(id) },
        }),
      ],
    });
    await e.ready();
    const system: SystemEvent[] = [];
    let completed = false;
    e.systemEvents$.subscribe({ next: (ev) => system.push(ev), complete: () => void (completed = true) });
    down.add('a');
    await advance(clock, 1000);
    down.delete('a');
    await advance(clock, 1000);
    expect(system).toEqual([
      { type: 'worker.down', workerId: 'a', reason: expect.any(String), timestamp: 1000, scheduler: 'round-robin' },
      { type: 'worker.up', workerId: 'a', timestamp: 2000, scheduler: 'round-robin' },
    ]);
    await e.close();
    expect(completed).toBe(true);
    expect(clock.pending()).toBe(0);
  });

  it('places fallback nodes on a worker too (ctx.workerId), honouring their own labels', async () => {
    const wf = workflow('fallback-placement')
      .addNode('on-gpu', (ctx) => ctx.workerId, { resources: { labels: ['gpu'] } })
      .addNode(
        'primary',
        () => {
          throw new Error('cpu path failed');
        },
        { fallback: 'on-gpu' },
      )
      .build();
    const e = engine({
      plugins: [roundRobinScheduler({ workers: [{ id: 'cpu-1' }, { id: 'gpu-1', labels: ['gpu'] }] })],
    });
    const run = e.run(wf, {});
    const events = firstValueFrom(run.events$.pipe(toArray()));
    const r = await run.result;
    expect(r.status).toBe('success');
    expect(r.outputs.primary).toBe('gpu-1');
    const started = (await events).flatMap((ev) => (ev.type === 'node.started' ? [[ev.nodeId, ev.workerId]] : []));
    expect(started).toEqual([
      ['primary', 'cpu-1'],
      ['on-gpu', 'gpu-1'],
    ]);
  });

  it('checks its options with FL_SCHED_INVALID_OPTION', () => {
    const bad: unknown[] = [
      { workers: [] },
      { workers: [{ id: 'a' }, { id: 'a' }] },
      { workers: [{ id: 'a', capacity: 0 }] },
      { workers: [{ id: 'a' }], queueTimeout: -1 },
      { workers: [{ id: 'a' }], healthCheck: { interval: 0, check: () => true } },
    ];
    for (const o of bad)
      expect(() => createRoundRobinScheduler(o as never)).toSatisfy((fn: () => unknown) => {
        try {
          fn();
          return false;
        } catch (e) {
          return isPlacementError(e, 'FL_SCHED_INVALID_OPTION');
        }
      });
  });
});

describe('unknown option keys', () => {
  const thrown = (f: () => unknown): unknown => {
    try {
      f();
    } catch (e) {
      return e;
    }
    return undefined;
  };

  it('the plugin and the scheduler reject misspelt keys (top level, workers[i], healthCheck) with a suggestion', () => {
    const e = thrown(() => roundRobinScheduler({ workers: [{ id: 'a' }], wrkers: [] } as never));
    expect(isPlacementError(e, 'FL_SCHED_INVALID_OPTION')).toBe(true);
    expect((e as Error).message).toContain('did you mean "workers"?');
    // A misspelt capacity would otherwise silently mean capacity 1.
    expect(thrown(() => roundRobinScheduler({ workers: [{ id: 'a', capcity: 4 }] } as never))).toMatchObject({
      details: { option: 'workers[0].capcity' },
    });
    expect(
      thrown(() =>
        createRoundRobinScheduler({
          workers: [{ id: 'a' }],
          healthCheck: { interval: 10, check: () => true, unhealthyThreshhold: 2 },
        } as never),
      ),
    ).toMatchObject({ code: 'FL_SCHED_INVALID_OPTION', details: { option: 'healthCheck.unhealthyThreshhold' } });
    expect(thrown(() => createRoundRobinScheduler({ workers: [{ id: 'a' }], queueTimout: 5 } as never))).toMatchObject({
      details: { option: 'queueTimout' },
    });
    expect(thrown(() => roundRobinScheduler({ workers: [{ id: 'a', capacity: 2 }], wrap: (s) => s }))).toBeUndefined();
  });
});
