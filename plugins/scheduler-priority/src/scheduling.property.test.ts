import { createEngine, createVirtualClock, workflow } from '@flowlane/core';
import fc from 'fast-check';
import { map, timer } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { createPriorityScheduler } from './priority-scheduler.js';
import { createResourcePools } from './resource-pools.js';

const RESOURCES = ['a', 'b', 'c'] as const;

const scenario = fc
  .record({
    capacity: fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 })),
    concurrency: fc.oneof(fc.integer({ min: 1, max: 4 }), fc.constant(Number.POSITIVE_INFINITY)),
    backfill: fc.boolean(),
    nodes: fc.array(
      fc.record({
        deps: fc.array(fc.nat(), { maxLength: 3 }),
        ms: fc.integer({ min: 1, max: 50 }),
        priority: fc.integer({ min: 0, max: 5 }),
        demand: fc.tuple(fc.nat(3), fc.nat(3), fc.nat(3)),
      }),
      { minLength: 1, maxLength: 25 },
    ),
  })
  .map((s) => ({
    ...s,
    // Dependencies only on earlier nodes (a DAG); demands clipped to the capacity (satisfiable).
    nodes: s.nodes.map((n, i) => ({
      ...n,
      deps: [...new Set(i === 0 ? [] : n.deps.map((d) => d % i))],
      demand: n.demand.map((d, k) => Math.min(d, s.capacity[k]!)),
    })),
  }));

describe('priority scheduler with pools (property)', () => {
  it('never exceeds concurrency or a pool, runs every node once after its dependencies, never deadlocks', async () => {
    await fc.assert(
      fc.asyncProperty(scenario, async (s) => {
        const clock = createVirtualClock();
        const capacity = Object.fromEntries(RESOURCES.map((r, k) => [r, s.capacity[k]!]));
        const pools = createResourcePools({ capacity, clock });
        const scheduler = createPriorityScheduler({ concurrency: s.concurrency, pools, clock, backfill: s.backfill });
        const engine = createEngine({ clock, scheduler });
        const used = [0, 0, 0];
        let running = 0;
        const runs = new Map<string, number>();
        const finished = new Set<string>();
        const violations: string[] = [];
        let b = workflow('prop') as ReturnType<typeof workflow>;
        s.nodes.forEach((n, i) => {
          const id = `n${i}`;
          const resources = Object.fromEntries(RESOURCES.map((r, k) => [r, n.demand[k]!]).filter(([, v]) => v !== 0));
          b = b.addNode(
            id,
            () => {
              runs.set(id, (runs.get(id) ?? 0) + 1);
              for (const d of n.deps) if (!finished.has(`n${d}`)) violations.push(`${id} started before n${d}`);
              if (++running > s.concurrency) violations.push(`concurrency ${running}`);
              n.demand.forEach((d, k) => {
                used[k]! += d;
                if (used[k]! > s.capacity[k]!) violations.push(`pool ${RESOURCES[k]} at ${used[k]}`);
              });
              return timer(n.ms, clock).pipe(
                map(() => {
                  running--;
                  n.demand.forEach((d, k) => void (used[k]! -= d));
                  finished.add(id);
                }),
              );
            },
            { dependsOn: n.deps.map((d) => `n${d}`) as never, priority: n.priority, resources },
          ) as never;
        });
        let settled = false;
        const result = engine.run(b.build(), {}).result.then((r) => {
          settled = true;
          return r;
        });
        await clock.runAll();
        expect(settled).toBe(true);
        expect((await result).status).toBe('success');
        expect(violations).toEqual([]);
        expect([...runs.values()].every((c) => c === 1) && runs.size === s.nodes.length).toBe(true);
        expect(pools.available()).toEqual(capacity);
        await engine.close();
      }),
      { numRuns: 150 },
    );
    // Virtual time: no wait in it, so the deadline only guards a hang; 150 runs take < 1 s idle but > 5 s (vitest's
    // default) on a CI machine at a load of 15–20.
  }, 60_000);
});
