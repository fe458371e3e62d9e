import { afterAll, describe, expect, it } from 'vitest';
import type { WorkflowBuilder } from '../builder/workflow-builder.js';
import { workflow } from '../builder/workflow-builder.js';
import { createEngine } from './engine.js';
import { rng } from './lazy-records.test-helper.js';

type Loose = WorkflowBuilder<unknown, Record<string, number>, string>;
const engine = createEngine();
afterAll(() => engine.close());

describe('scale: 100,000 nodes, no stack growth, no quadratic work', () => {
  it('runs a 100,000-node chain (plain and async nodes mixed)', async () => {
    const n = 100_000;
    let b = workflow('chain') as unknown as Loose;
    b = b.addNode('n0' as never, () => 0) as Loose;
    for (let i = 1; i < n; i++) {
      const prev = `n${i - 1}`;
      const fn =
        i % 1000 === 0
          ? async (ctx: { results: Record<string, number> }) => ctx.results[prev]! + 1
          : (ctx: { results: Record<string, number> }) => ctx.results[prev]! + 1;
      b = b.addNode(`n${i}` as never, fn as never, { dependsOn: [prev] }) as Loose;
    }
    const r = await engine.run(b.build(), {}).result;
    expect(r.status).toBe('success');
    expect(r.outputs[`n${n - 1}`]).toBe(n - 1);
    expect(Object.keys(r.nodes)).toHaveLength(n);
  }, 120_000);

  it('runs a 100,000-node random DAG (up to 3 random earlier parents each) and matches the reference sum', async () => {
    const n = 100_000;
    const rand = rng(42); // seeded: the same random DAG on every run
    const parents: number[][] = [[]];
    for (let i = 1; i < n; i++) {
      const k = Math.floor(rand() * 4);
      const ps = new Set<number>();
      for (let j = 0; j < k; j++) ps.add(Math.floor(rand() * i));
      parents.push([...ps]);
    }
    // Reference: value(i) = 1 + sum(value(parent)) mod 1e9+7
    const ref = new Array<number>(n);
    for (let i = 0; i < n; i++) ref[i] = parents[i]!.reduce((a, p) => (a + ref[p]!) % 1_000_000_007, 1);
    let b = workflow('dag') as unknown as Loose;
    for (let i = 0; i < n; i++) {
      const ps = parents[i]!.map((p) => `d${p}`);
      b = b.addNode(
        `d${i}` as never,
        ((ctx: { results: Record<string, number> }) =>
          ps.reduce((a, p) => (a + ctx.results[p]!) % 1_000_000_007, 1)) as never,
        { dependsOn: ps },
      ) as Loose;
    }
    const r = await engine.run(b.build(), {}).result;
    expect(r.status).toBe('success');
    let mismatches = 0;
    for (let i = 0; i < n; i++) if (r.outputs[`d${i}`] !== ref[i]) mismatches++;
    expect(mismatches).toBe(0);
  }, 120_000);
});
