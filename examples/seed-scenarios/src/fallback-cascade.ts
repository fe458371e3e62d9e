// Seed 003 "Fallback Patterns": a primary with one fallback (`onError: 'fallback'`), and a cascade
// primary → fallback-1 → fallback-2. Fallbacks run only when needed; dependents receive the output of whichever
// node finally succeeded, and the primary's record says which one (`fallbackUsed`).
import { createEngine, workflow } from '@flowlane/core';
import type { ScenarioOptions } from './scenario.js';

/** Where exchange rates can come from, best first. */
export type RateSource = 'primary' | 'fallback-1' | 'fallback-2';

/** Exchange rates and where they came from. */
export interface Rates {
  readonly source: string;
  readonly eurUsd: number;
}

/** A simulated rates API that is down when the run's input says so. */
const fetchRates =
  (source: RateSource, name: string, eurUsd: number) =>
  (ctx: { readonly input: { readonly down: readonly RateSource[] } }): Rates => {
    if (ctx.input.down.includes(source)) throw new Error(`${name} is unavailable (503)`);
    return { source: name, eurUsd };
  };

/** The seed's simple form: `secondary` runs only if `primary` fails. */
export const fallbackWorkflow = workflow('fallback')
  .input<{ down: readonly RateSource[] }>()
  .addNode('primary', fetchRates('primary', 'rates-api', 1.08), { onError: 'fallback', fallback: 'secondary' })
  .addNode('secondary', fetchRates('fallback-1', 'rates-mirror', 1.079))
  .build();

/** The cascade: primary → fallback-1 → fallback-2; `convert` uses whichever answered. */
export const cascadeWorkflow = workflow('cascade')
  .input<{ down: readonly RateSource[]; amountEur: number }>()
  .addNode('primary', fetchRates('primary', 'rates-api', 1.08), { fallback: 'fallback-1' })
  .addNode('fallback-1', fetchRates('fallback-1', 'rates-mirror', 1.079), { fallback: 'fallback-2' })
  .addNode('fallback-2', fetchRates('fallback-2', 'static rates from last night', 1.07))
  .addNode(
    'convert',
    (ctx) => ({
      usd: Math.round(ctx.input.amountEur * ctx.results.primary.eurUsd * 100) / 100,
      via: ctx.results.primary.source,
    }),
    { dependsOn: ['primary'] },
  )
  .build();

/** Runs the cascade with more and more sources down. */
export async function main({ log = console.log }: ScenarioOptions = {}) {
  const engine = createEngine();
  try {
    const scenarios: (readonly RateSource[])[] = [[], ['primary'], ['primary', 'fallback-1']];
    const results = [];
    for (const down of scenarios) {
      const result = await engine.run(cascadeWorkflow, { down, amountEur: 100 }).result;
      results.push(result);
      const used = result.nodes.primary?.fallbackUsed;
      log(
        `down: ${(down.join(', ') || 'nothing').padEnd(20)} → ${result.status}, primary ${used === undefined ? 'answered' : `fell back to ${used}`}; convert: ${JSON.stringify(result.outputs.convert)}`,
      );
    }
    const simple = await engine.run(fallbackWorkflow, { down: ['primary'] }).result;
    log(`fallback workflow, primary down → ${simple.status} via ${simple.nodes.primary?.fallbackUsed}`);
    return { results, simple };
  } finally {
    await engine.close();
  }
}
