import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { workflow } from '../builder/workflow-builder.js';
import { useEngines } from './engines.test-helper.js';

const makeEngine = useEngines();

describe('a run object', () => {
  it('serialises and prints as its public fields only, not the run state behind them', async () => {
    const engine = makeEngine();
    const wf = workflow('shown')
      .addNode('a', () => 1)
      .build();
    const run = engine.run(wf, { x: 1 }, { actor: { id: 'alice' } });
    await run.result;
    expect(JSON.parse(JSON.stringify(run))).toEqual({
      outputs: { a: 1 },
      executionId: run.executionId,
      workflow: 'shown',
      input: { x: 1 },
      actor: { id: 'alice' },
      result: {},
    });
    const printed = inspect(run, { depth: 1 });
    expect(printed).toMatch(/^Execution \{/);
    expect(printed).toContain(run.executionId);
    expect(printed).not.toMatch(/\b(rt|queue|indeg|eventLog)\b/);
  });
});
