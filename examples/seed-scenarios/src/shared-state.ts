// Seed 003 "Shared State": one node writes to the execution's storage, a later node reads it. Storage is per
// execution: concurrent runs never see each other's values.
import { createEngine, workflow } from '@flowlane/core';
import type { ScenarioOptions } from './scenario.js';

export const sharedStateWorkflow = workflow('shared-state')
  .input<{ counter?: number | undefined }>()
  .addNode('write-state', async (ctx) => {
    await ctx.storage.set('counter', ctx.input.counter ?? 42);
    await ctx.storage.set('scratch', 'temporary');
  })
  .addNode(
    'read-state',
    async (ctx) => {
      const counter = await ctx.storage.get<number>('counter');
      await ctx.storage.delete('scratch');
      const scratch = await ctx.storage.get<string>('scratch');
      return { counter, scratchDeleted: scratch === undefined };
    },
    { dependsOn: ['write-state'] },
  )
  .build();

/** Two concurrent runs, each reading back its own counter. */
export async function main({ log = console.log }: ScenarioOptions = {}) {
  const engine = createEngine();
  try {
    const [a, b] = await Promise.all([
      engine.run(sharedStateWorkflow, {}).result,
      engine.run(sharedStateWorkflow, { counter: 7 }).result,
    ]);
    for (const r of [a, b])
      log(`${r.executionId}: ${r.status}, read-state → ${JSON.stringify(r.outputs['read-state'])}`);
    return [a, b] as const;
  } finally {
    await engine.close();
  }
}
