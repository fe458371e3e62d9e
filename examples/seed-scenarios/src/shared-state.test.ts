import { describe, expect, it } from 'vitest';
import { newEngine } from './engines.test-helper.js';
import { main, sharedStateWorkflow } from './shared-state.js';

describe('shared-state scenario', () => {
  it('reads in read-state what write-state stored', async () => {
    const result = await newEngine().run(sharedStateWorkflow, {}).result;
    expect(result.status).toBe('success');
    expect(result.outputs['read-state']).toEqual({ counter: 42, scratchDeleted: true });
  });

  it('keeps storage per execution, even for concurrent runs', async () => {
    const engine = newEngine();
    const results = await Promise.all([1, 2, 3].map((n) => engine.run(sharedStateWorkflow, { counter: n }).result));
    expect(results.map((r) => r.outputs['read-state']?.counter)).toEqual([1, 2, 3]);
  });

  it('main() prints both runs', async () => {
    const lines: string[] = [];
    const [a, b] = await main({ log: (l) => lines.push(l) });
    expect([a.outputs['read-state']?.counter, b.outputs['read-state']?.counter]).toEqual([42, 7]);
    expect(lines).toHaveLength(2);
  });
});
