import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { workflow } from '../../builder/workflow-builder.js';
import type { Logger } from '../../plugin/types.js';
import { createVirtualClock, type VirtualClock } from '../../runtime/virtual-clock.js';
import { createEngine } from '../engine.js';

const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {} };
const wait = (clock: VirtualClock, ms: number): Promise<void> =>
  new Promise((resolve) => clock.schedule(() => resolve(), ms));

/** A generated run: its key, when it is submitted, how long its node takes, its priority. */
const genRun = (keys: number) =>
  fc.record({
    key: fc.integer({ min: 0, max: keys - 1 }),
    at: fc.integer({ min: 0, max: 2_000 }),
    takes: fc.integer({ min: 0, max: 500 }),
    priority: fc.option(fc.integer({ min: -2, max: 2 }), { nil: undefined }),
  });

describe('flow control properties (virtual time)', () => {
  it('concurrency: no key ever exceeds its limit, and every run ends successfully', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 3 }),
        fc.option(fc.integer({ min: 1, max: 4 }), { nil: undefined }),
        fc.array(genRun(4), { minLength: 1, maxLength: 40 }),
        async (limit, maxConcurrentRuns, runs) => {
          const clock = createVirtualClock();
          const engine = createEngine({ clock, logger: quiet, ...(maxConcurrentRuns ? { maxConcurrentRuns } : {}) });
          const active = new Map<number, number>();
          let peak = 0;
          let globalActive = 0;
          let globalPeak = 0;
          const wf = workflow('p', { concurrency: { key: (c) => c.input.key, limit } })
            .input<{ key: number; takes: number }>()
            .addNode('n', async (ctx) => {
              const k = ctx.input.key;
              active.set(k, (active.get(k) ?? 0) + 1);
              globalActive++;
              peak = Math.max(peak, active.get(k)!);
              globalPeak = Math.max(globalPeak, globalActive);
              await wait(clock, ctx.input.takes);
              active.set(k, active.get(k)! - 1);
              globalActive--;
            })
            .build();
          const started: Promise<unknown>[] = [];
          for (const r of runs)
            clock.schedule(() => {
              started.push(
                engine
                  .run(wf, r, r.priority === undefined ? {} : { priority: r.priority })
                  .result.then((x) => x.status),
              );
            }, r.at);
          await clock.runAll();
          const statuses = await Promise.all(started);
          await engine.close();
          expect(statuses).toEqual(runs.map(() => 'success'));
          expect(peak).toBeLessThanOrEqual(limit);
          if (maxConcurrentRuns !== undefined) expect(globalPeak).toBeLessThanOrEqual(maxConcurrentRuns);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('rateLimit: never more than `limit` starts of a key in any window of `period`; delayed runs all start', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 1_000 }),
        fc.array(genRun(3), { minLength: 1, maxLength: 40 }),
        async (limit, period, runs) => {
          const clock = createVirtualClock();
          const engine = createEngine({ clock, logger: quiet });
          const starts = new Map<number, number[]>();
          const wf = workflow('r', { rateLimit: { key: (c) => c.input.key, limit, period } })
            .input<{ key: number; takes: number }>()
            .addNode('n', async (ctx) => {
              const list = starts.get(ctx.input.key) ?? [];
              list.push(clock.now());
              starts.set(ctx.input.key, list);
              await wait(clock, ctx.input.takes);
            })
            .build();
          const results: Promise<string>[] = [];
          for (const r of runs)
            clock.schedule(() => results.push(engine.run(wf, r).result.then((x) => x.status)), r.at);
          await clock.runAll();
          expect(await Promise.all(results)).toEqual(runs.map(() => 'success'));
          await engine.close();
          for (const list of starts.values()) {
            list.sort((a, b) => a - b);
            // Any window (t - period, t] holding limit + 1 starts would have list[i + limit] - list[i] < period.
            for (let i = 0; i + limit < list.length; i++)
              expect(list[i + limit]! - list[i]!).toBeGreaterThanOrEqual(period);
          }
        },
      ),
      { numRuns: 60 },
    );
  });

  it('fairness: a waiting key is admitted within (number of waiting keys - 1) admissions of others', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 1, max: 30 }), { minLength: 2, maxLength: 6 }),
        fc.array(fc.integer({ min: -1, max: 1 }), { minLength: 180, maxLength: 180 }),
        async (counts, priorities) => {
          const clock = createVirtualClock();
          const engine = createEngine({ clock, logger: quiet, maxConcurrentRuns: 1 });
          const order: number[] = [];
          const wf = workflow('f', { concurrency: { key: (c) => c.input.key, limit: 100 } })
            .input<{ key: number }>()
            .addNode('n', async (ctx) => {
              order.push(ctx.input.key);
              await wait(clock, 1);
            })
            .build();
          const runs: Promise<unknown>[] = [];
          let j = 0;
          // Submitted key by key (the worst case for FIFO); each run carries a priority within its key.
          const todo = counts.flatMap((n, key) => Array.from({ length: n }, () => key));
          for (const key of todo) {
            const priority = priorities[j++ % priorities.length]!;
            const run = engine.run(wf, { key }, { priority });
            runs.push(run.result);
          }
          await clock.runAll();
          await Promise.all(runs);
          await engine.close();
          expect(order).toHaveLength(todo.length);
          // The first run started before any other waited; from then on, while a key still has waiting runs, at
          // most (keys waiting - 1) other admissions pass between two of its own.
          const rest = order.slice(1);
          for (let key = 0; key < counts.length; key++) {
            const positions = rest.flatMap((k, i) => (k === key ? [i] : []));
            const remaining = (at: number) => new Set(rest.slice(at)).size;
            let prev = -1;
            for (const p of positions) {
              expect(p - prev - 1).toBeLessThanOrEqual(remaining(prev + 1) - 1);
              prev = p;
            }
          }
        },
      ),
      { numRuns: 40 },
    );
  });

  it('priority within a key: runs waiting together are admitted highest priority first, FIFO among equals', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.integer({ min: -3, max: 3 }), { minLength: 2, maxLength: 30 }), async (prios) => {
        const clock = createVirtualClock();
        const engine = createEngine({ clock, logger: quiet });
        const order: number[] = [];
        const wf = workflow('q', { concurrency: { limit: 1 } })
          .input<{ i: number }>()
          .addNode('n', async (ctx) => {
            order.push(ctx.input.i);
            await wait(clock, 5);
          })
          .build();
        const runs = prios.map((priority, i) => engine.run(wf, { i }, { priority }).result);
        await clock.runAll();
        await Promise.all(runs);
        await engine.close();
        // Run 0 took the free slot at once; the others waited together.
        const expected = prios
          .map((p, i) => ({ p, i }))
          .slice(1)
          .sort((a, b) => b.p - a.p || a.i - b.i)
          .map((x) => x.i);
        expect(order).toEqual([0, ...expected]);
      }),
      { numRuns: 60 },
    );
  });

  it('debounce: one run per quiet period per key, with the last input of the burst', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 10, max: 500 }),
        fc.array(fc.record({ gap: fc.integer({ min: 0, max: 800 }), key: fc.integer({ min: 0, max: 2 }) }), {
          minLength: 1,
          maxLength: 30,
        }),
        async (period, events) => {
          const clock = createVirtualClock();
          const engine = createEngine({ clock, logger: quiet });
          const seen: { key: number; seq: number; at: number }[] = [];
          const wf = workflow('d', { debounce: { key: (c) => c.input.key, period } })
            .input<{ key: number; seq: number }>()
            .addNode('n', (ctx) => void seen.push({ ...ctx.input, at: clock.now() }))
            .build();
          engine.trigger({ on: 'e', run: wf });
          const emitted: { key: number; seq: number; at: number }[] = [];
          for (let seq = 0; seq < events.length; seq++) {
            const { gap, key } = events[seq]!;
            await clock.advanceBy(gap);
            emitted.push({ key, seq, at: clock.now() });
            engine.emit('e', { key, seq });
          }
          await clock.runAll();
          await engine.close();
          // Expected: per key, split its events into bursts where consecutive events are < period apart; each
          // burst starts one run at (last event + period) with the last event's input.
          const expected: { key: number; seq: number; at: number }[] = [];
          for (const key of new Set(emitted.map((e) => e.key))) {
            const mine = emitted.filter((e) => e.key === key);
            for (let i = 0; i < mine.length; i++) {
              const next = mine[i + 1];
              if (next === undefined || next.at - mine[i]!.at >= period)
                expected.push({ key, seq: mine[i]!.seq, at: mine[i]!.at + period });
            }
          }
          const byTime = (a: { at: number; seq: number }, b: { at: number; seq: number }) =>
            a.at - b.at || a.seq - b.seq;
          expect([...seen].sort(byTime)).toEqual(expected.sort(byTime));
        },
      ),
      { numRuns: 60 },
    );
  });
});
