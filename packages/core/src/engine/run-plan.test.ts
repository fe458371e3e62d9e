import { describe, expect, it } from 'vitest';
import { workflow } from '../builder/workflow-builder.js';
import { useEngines } from './engines.test-helper.js';
import { planRun } from './run-plan.js';
import { runtimeOf } from './runtime-registry.js';

const makeEngine = useEngines();

describe('a workflow plan', () => {
  it('gives plain nodes one shared chain and each node with options its own, built with the plan', () => {
    const engine = makeEngine();
    const wf = workflow('planned')
      .addNode('a', () => 1)
      .addNode('b', () => 2)
      .addNode('t1', () => 3, { timeout: 1_000 })
      .addNode('t2', () => 4, { timeout: 1_000, retry: { maxAttempts: 2, initialInterval: 0 } })
      .build();
    const plan = planRun(runtimeOf(engine)!, wf);
    const [a, b, t1, t2] = plan.chains;
    expect(a).toBe(b);
    expect(t1).not.toBe(a);
    expect(t2).not.toBe(t1);
  });

  it('runs of one workflow share its chains and keep their own attempts and outputs', async () => {
    const engine = makeEngine();
    const wf = workflow('shared')
      .input<{ n: number }>()
      .addNode(
        'flaky',
        (ctx) => {
          if (ctx.attempt === 1) throw new Error('once');
          return ctx.input.n * 10;
        },
        { timeout: 1_000, retry: { maxAttempts: 3, initialInterval: 0 } },
      )
      .build();
    const results = await Promise.all([1, 2, 3].map((n) => engine.run(wf, { n }).result));
    expect(results.map((r) => r.outputs.flaky)).toEqual([10, 20, 30]);
    expect(results.map((r) => r.nodes.flaky?.attempts)).toEqual([2, 2, 2]);
  });
});
