import { createVirtualClock, type FlowEvent, workflow } from '@flowlane/core';
import type { WorkerEvent } from '@flowlane/scheduler-placement';
import { createRoundRobinScheduler } from '@flowlane/scheduler-round-robin';
import { useEngines } from '@flowlane/testing';
import fc from 'fast-check';
import { firstValueFrom, map, timer, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { inFlightRatio, leastLoadedStrategy } from './least-loaded-strategy.js';
import { loadBasedScheduler } from './load-based-plugin.js';
import { createLoadBasedScheduler } from './load-based-scheduler.js';

const engine = useEngines();

const advance = async (clock: ReturnType<typeof createVirtualClock>, ms: number): Promise<void> => {
  for (let i = 0; i < ms; i++) await clock.advanceBy(1);
};

const placements = async (run: { events$: import('rxjs').Observable<FlowEvent> }): Promise<Record<string, string>> =>
  Object.fromEntries(
    (await firstValueFrom(run.events$.pipe(toArray()))).flatMap((e) =>
      e.type === 'node.started' ? [[e.nodeId, e.workerId ?? '?']] : [],
    ),
  );

describe('load-based placement', () => {
  it('places each node on the worker with the lowest in-flight ÷ capacity, with stable tie-breaks', async () => {
    const clock = createVirtualClock();
    let b = workflow('fill') as ReturnType<typeof workflow>;
    for (let i = 0; i < 6; i++) b = b.addNode(`n${i}`, () => timer(100, clock)) as never;
    const e = engine({
      clock,
      plugins: [
        loadBasedScheduler({
          workers: [
            { id: 'big', capacity: 4 },
            { id: 'small', capacity: 2 },
          ],
        }),
      ],
    });
    const run = e.run(b.build(), {});
    const placed = placements(run);
    await clock.runAll();
    expect((await run.result).status).toBe('success');
    // 0/4 = 0/2 → big (order); 1/4 < 0/2? no: small 0; .25 < .5 → big; .5 = .5 → small (fewer in flight); big…
    expect(await placed).toEqual({ n0: 'big', n1: 'small', n2: 'big', n3: 'small', n4: 'big', n5: 'big' });
  });

  it('prefers the lightest worker under skewed durations, where round-robin alternates', async () => {
    const build = (clock: ReturnType<typeof createVirtualClock>) => {
      let b = workflow('skew')
        .addNode('long', () => timer(1000, clock))
        .addNode('s0', () => timer(10, clock)) as ReturnType<typeof workflow>;
      for (let i = 1; i < 6; i++)
        b = b.addNode(`s${i}`, () => timer(10, clock), { dependsOn: [`s${i - 1}`] as never }) as never;
      return b.build();
    };
    const workers = [
      { id: 'a', capacity: 4 },
      { id: 'b', capacity: 4 },
    ];
    const clockL = createVirtualClock();
    const runL = engine({ clock: clockL, scheduler: createLoadBasedScheduler({ workers, clock: clockL }) }).run(
      build(clockL),
      {},
    );
    const placedL = placements(runL);
    await clockL.runAll();
    expect(await placedL).toEqual({ long: 'a', s0: 'b', s1: 'b', s2: 'b', s3: 'b', s4: 'b', s5: 'b' });

    const clockR = createVirtualClock();
    const runR = engine({ clock: clockR, scheduler: createRoundRobinScheduler({ workers, clock: clockR }) }).run(
      build(clockR),
      {},
    );
    const placedR = placements(runR);
    await clockR.runAll();
    expect(Object.values(await placedR).filter((w) => w === 'a')).toHaveLength(4); // long + s1, s3, s5 share a
  });

  it('uses a pluggable load source, treating a failing or NaN answer as fully loaded', async () => {
    const cpu = new Map<string, number>([
      ['a', 0.9],
      ['b', 0.2],
      ['c', Number.NaN],
    ]);
    const seen: [string, number, number][] = [];
    const s = createLoadBasedScheduler({
      workers: [{ id: 'a', capacity: 2 }, { id: 'b', capacity: 2 }, { id: 'c', capacity: 2 }, { id: 'd' }],
      getLoad: (id, info) => {
        seen.push([id, info.inFlight, info.capacity]);
        if (id === 'd') throw new Error('metrics down');
        return cpu.get(id)!;
      },
    });
    const e = engine({ scheduler: s });
    const run = e.run(
      workflow('m')
        .addNode('x', (ctx) => ctx.workerId)
        .build(),
      {},
    );
    expect((await run.result).outputs).toMatchObject({ x: 'b' });
    expect(seen).toEqual([
      ['a', 0, 2],
      ['b', 0, 2],
      ['c', 0, 2],
      ['d', 0, 1],
    ]);
    cpu.set('b', 0.95);
    const r2 = await e.run(
      workflow('m2')
        .addNode('y', (ctx) => ctx.workerId)
        .build(),
      {},
    ).result;
    expect(r2.outputs).toMatchObject({ y: 'a' });
    expect(inFlightRatio('w', { inFlight: 1, capacity: 4 })).toBe(0.25);
  });

  it('takes an unhealthy worker out of the rotation and re-adds it', async () => {
    const clock = createVirtualClock();
    const down = new Set<string>();
    const s = createLoadBasedScheduler({
      workers: [
        { id: 'a', capacity: 2 },
        { id: 'b', capacity: 2 },
      ],
      clock,
      healthCheck: { interval: 50, check: (id) => !down.has(id) },
    });
    const events: WorkerEvent[] = [];
    s.workerEvents$.subscribe((ev) => events.push(ev));
    const e = engine({ clock, scheduler: s });
    const starts: [string, number][] = [];
    let b = workflow('h') as ReturnType<typeof workflow>;
    for (let i = 0; i < 20; i++)
      b = b.addNode(`n${i}`, (ctx) => {
        starts.push([ctx.workerId!, clock.now()]);
        return timer(40, clock);
      }) as never;
    clock.schedule(() => void down.add('a'), 10);
    clock.schedule(() => void down.delete('a'), 110);
    const run = e.run(b.build(), {});
    await advance(clock, 400);
    expect((await run.result).status).toBe('success');
    expect(events.map((ev) => `${ev.type}@${ev.timestamp}`)).toEqual(['worker.down@50', 'worker.up@150']);
    expect(starts.filter(([w, t]) => w === 'a' && t >= 50 && t < 150)).toEqual([]);
    expect(starts.some(([w, t]) => w === 'a' && t >= 150)).toBe(true);
    s.dispose();
  });

  it('never exceeds a worker whatever the load source answers (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 1, maxLength: 4 }),
        fc.array(fc.integer({ min: 1, max: 30 }), { minLength: 1, maxLength: 20 }),
        fc.array(fc.oneof(fc.double({ noNaN: false }), fc.constant(Number.NEGATIVE_INFINITY)), { minLength: 1 }),
        async (caps, durations, loads) => {
          const clock = createVirtualClock();
          const workers = caps.map((capacity, i) => ({ id: `w${i}`, capacity }));
          let k = 0;
          const s = createLoadBasedScheduler({ workers, clock, getLoad: () => loads[k++ % loads.length]! });
          const e = engine({ clock, scheduler: s });
          const inFlight = new Map<string, number>();
          const violations: string[] = [];
          let b = workflow('p') as ReturnType<typeof workflow>;
          durations.forEach((ms, i) => {
            b = b.addNode(`n${i}`, (ctx) => {
              const id = ctx.workerId!;
              const now = (inFlight.get(id) ?? 0) + 1;
              inFlight.set(id, now);
              if (now > workers.find((w) => w.id === id)!.capacity) violations.push(`${id}: ${now}`);
              return timer(ms, clock).pipe(map(() => inFlight.set(id, inFlight.get(id)! - 1)));
            }) as never;
          });
          const run = e.run(b.build(), {});
          await clock.runAll();
          expect((await run.result).status).toBe('success');
          expect(violations).toEqual([]);
          expect(s.workers().every((w) => w.inFlight === 0)).toBe(true);
        },
      ),
      { numRuns: 100 },
    );
  });

  it('exposes a stable strategy for custom placement schedulers', () => {
    const pick = leastLoadedStrategy().pick;
    const w = (id: string, index: number, inFlight: number, capacity: number) => ({
      id,
      index,
      inFlight,
      capacity,
      labels: [],
      healthy: true,
    });
    const req = {} as never;
    expect(pick([w('x', 0, 1, 2), w('y', 1, 2, 4)], req)?.id).toBe('x'); // equal load .5: fewer in flight
    expect(pick([w('x', 0, 2, 4), w('y', 1, 1, 2)], req)?.id).toBe('y');
    expect(pick([w('x', 0, 0, 2), w('y', 1, 0, 4)], req)?.id).toBe('x');
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

  it('the plugin and the scheduler reject misspelt keys with FL_SCHED_INVALID_OPTION and a suggestion', () => {
    const e = thrown(() => loadBasedScheduler({ workers: [{ id: 'a' }], getLaod: () => 0 } as never));
    expect(e).toMatchObject({ code: 'FL_SCHED_INVALID_OPTION', details: { option: 'getLaod' } });
    expect((e as Error).message).toContain('did you mean "getLoad"?');
    expect(thrown(() => loadBasedScheduler({ workers: [{ id: 'a', label: ['gpu'] }] } as never))).toMatchObject({
      details: { option: 'workers[0].label' },
    });
    expect(thrown(() => createLoadBasedScheduler({ workers: [{ id: 'a' }], healthcheck: {} } as never))).toMatchObject({
      code: 'FL_SCHED_INVALID_OPTION',
      details: { option: 'healthcheck' },
    });
    expect(
      thrown(() => loadBasedScheduler({ workers: [{ id: 'a' }], getLoad: () => 0, wrap: (s) => s })),
    ).toBeUndefined();
  });
});
