// Seed 003 "Caching": `expensive-operation` is computed once per input hash and served from the cache for an hour
// (`node.cache-hit`); concurrent runs with the same key share one computation.
import { createHash } from 'node:crypto';
import { createEngine, type FlowEvent, workflow } from '@flowlane/core';
import type { ScenarioOptions } from './scenario.js';
import { realSleep, type Sleep } from './sleep.js';

/** sha256 of a JSON value: a stable cache key. */
export const hash = (value: unknown): string => createHash('sha256').update(JSON.stringify(value)).digest('hex');

export interface CachedWorkflowOptions {
  readonly sleep?: Sleep | undefined;
  /** Called each time the expensive computation really runs. */
  readonly onCompute?: ((input: { readonly dataset: string }) => void) | undefined;
}

export function createCachedWorkflow({ sleep = realSleep, onCompute }: CachedWorkflowOptions = {}) {
  return workflow('cached')
    .input<{ dataset: string }>()
    .addNode(
      'expensive-operation',
      async (ctx) => {
        onCompute?.(ctx.input);
        await sleep(300, ctx.signal); // the expensive part
        return { dataset: ctx.input.dataset, rows: ctx.input.dataset.length * 1000 };
      },
      { cache: { ttl: 3_600_000, keyFn: (ctx) => hash(ctx.input) } },
    )
    .chain('report', (ctx) => `${ctx.results['expensive-operation'].rows} rows`)
    .build();
}

/** Runs the same input twice, then a new one; prints which runs hit the cache. */
export async function main({ log = console.log, sleep }: ScenarioOptions = {}) {
  let computed = 0;
  const wf = createCachedWorkflow({ sleep, onCompute: () => computed++ });
  const engine = createEngine();
  try {
    const results = [];
    for (const dataset of ['sales-2025', 'sales-2025', 'sales-2024']) {
      const run = engine.run(wf, { dataset });
      const events: FlowEvent[] = [];
      run.events$.subscribe((e) => events.push(e));
      const result = await run.result;
      results.push(result);
      const hit = events.some((e) => e.type === 'node.cache-hit');
      log(`${dataset}: ${hit ? 'cache hit ' : 'computed  '} ${result.outputs.report} in ${result.durationMs} ms`);
    }
    log(`expensive-operation ran ${computed} times for 3 runs`);
    return { results, computed };
  } finally {
    await engine.close();
  }
}
