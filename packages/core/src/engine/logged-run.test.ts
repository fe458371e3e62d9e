import { lastValueFrom, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { workflow } from '../builder/workflow-builder.js';
import { createMemoryExecutionStore } from '../defaults/memory-execution-store.js';
import { createEngine } from './engine.js';
import { describeLoggedRun, recordToEvent } from './logged-run.js';

describe('a run read back from its log', () => {
  it('gives the node events the run emitted and its graph with dependencies', async () => {
    const engine = createEngine({ executions: createMemoryExecutionStore() });
    const wf = workflow('logged')
      .addNode('a', () => 1)
      .addNode('b', (ctx) => ctx.results.a + 1, { dependsOn: ['a'] })
      .build();
    const run = engine.run(wf, {}, { executionId: 'logged-1' });
    const live = await lastValueFrom(run.events$.pipe(toArray()));
    expect((await run.result).status).toBe('success');
    const records = (await engine.runs.records('logged-1')) ?? [];
    const description = describeLoggedRun(records[0]);
    expect(description?.nodes.map((n) => [n.id, n.dependsOn])).toEqual([
      ['a', []],
      ['b', ['a']],
    ]);
    expect(description?.edges).toEqual([{ from: 'a', to: 'b', kind: 'dependency' }]);
    const back = records.flatMap(
      (r) => recordToEvent(r, { executionId: 'logged-1', workflow: 'logged', nodeCount: 2 }) ?? [],
    );
    const nodeEvents = (es: readonly { type: string }[]) => es.filter((e) => e.type.startsWith('node.'));
    expect(nodeEvents(back).map((e) => e.type)).toEqual(nodeEvents(live).map((e) => e.type));
    expect(back.at(-1)?.type).toBe('workflow.completed');
    expect(describeLoggedRun(undefined)).toBeUndefined();
    await engine.close();
  });
});
