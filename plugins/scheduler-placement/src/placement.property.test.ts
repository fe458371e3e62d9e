import { createEngine, createVirtualClock, workflow } from '@flowlane/core';
import fc from 'fast-check';
import { map, timer } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { createPlacementScheduler, type PlacementStrategy } from './placement-scheduler.js';

const LABELS = ['gpu', 'ssd'] as const;

const scenario = fc
  .record({
    workers: fc.array(fc.record({ capacity: fc.integer({ min: 1, max: 3 }), labels: fc.subarray([...LABELS]) }), {
      minLength: 1,
      maxLength: 4,
    }),
    nodes: fc.array(
      fc.record({
        deps: fc.array(fc.nat(), { maxLength: 3 }),
        ms: fc.integer({ min: 1, max: 40 }),
        priority: fc.integer({ min: 0, max: 3 }),
        labels: fc.subarray([...LABELS], { maxLength: 1 }),
      }),
      { minLength: 1, maxLength: 25 },
    ),
    // The strategy's choices: the k-th pick takes candidate picks[k % length] modulo the candidates offered.
    picks: fc.array(fc.nat(), { minLength: 1, maxLength: 16 }),
  })
  .map((s) => ({
    picks: s.picks,
    workers: s.workers.map((w, i) => ({ id: `w${i}`, ...w })),
    // Dependencies only on earlier nodes; labels only those some worker has (satisfiable).
    nodes: s.nodes.map((n, i) => ({
      ...n,
      deps: [...new Set(i === 0 ? [] : n.deps.map((d) => d % i))],
      labels: n.labels.filter((l) => s.workers.some((w) => w.labels.includes(l))),
    })),
  }));

/** Any eligible worker, as fast-check says: the engine's guarantees must not depend on the strategy. */
const arbitraryStrategy = (picks: readonly number[]): PlacementStrategy => {
  let k = 0;
  return { name: 'arbitrary', pick: (candidates) => candidates[picks[k++ % picks.length]! % candidates.length] };
};

describe('placement engine (property)', () => {
  it('whatever worker the strategy picks: never exceeds a worker, honours labels, runs every node once after its dependencies, never deadlocks', async () => {
    await fc.assert(
      fc.asyncProperty(scenario, async (s) => {
        const clock = createVirtualClock();
        const scheduler = createPlacementScheduler({ workers: s.workers, clock, strategy: arbitraryStrategy(s.picks) });
        const engine = createEngine({ clock, scheduler });
        const inFlight = new Map<string, number>();
        const runs = new Map<string, number>();
        const finished = new Set<string>();
        const violations: string[] = [];
        let b = workflow('prop') as ReturnType<typeof workflow>;
        s.nodes.forEach((n, i) => {
          const id = `n${i}`;
          b = b.addNode(
            id,
            (ctx) => {
              const w = s.workers.find((x) => x.id === ctx.workerId);
              if (w === undefined) violations.push(`${id} has no worker`);
              else {
                const now = (inFlight.get(w.id) ?? 0) + 1;
                inFlight.set(w.id, now);
                if (now > w.capacity) violations.push(`${w.id} runs ${now} > ${w.capacity}`);
                for (const l of n.labels) if (!w.labels.includes(l)) violations.push(`${id} on ${w.id} without ${l}`);
              }
              runs.set(id, (runs.get(id) ?? 0) + 1);
              for (const d of n.deps) if (!finished.has(`n${d}`)) violations.push(`${id} before n${d}`);
              return timer(n.ms, clock).pipe(
                map(() => {
                  if (w !== undefined) inFlight.set(w.id, inFlight.get(w.id)! - 1);
                  finished.add(id);
                }),
              );
            },
            {
              dependsOn: n.deps.map((d) => `n${d}`) as never,
              priority: n.priority,
              ...(n.labels.length === 0 ? {} : { resources: { labels: n.labels } }),
            },
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
        expect(runs.size === s.nodes.length && [...runs.values()].every((c) => c === 1)).toBe(true);
        expect(scheduler.pending()).toBe(0);
        expect(scheduler.workers().every((w) => w.inFlight === 0)).toBe(true);
        await engine.close();
      }),
      { numRuns: 150 },
    );
  });
});
