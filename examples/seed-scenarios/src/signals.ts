// Seed 003 "Signals": a node waits for `continue` (with a timeout); the caller sends it with `run.signal` or
// `engine.signal(executionId, …)`. The seed's `sendSignal(id, 'cancel', { reason })` is `run.cancel(reason)` here.
import { createEngine, workflow } from '@flowlane/core';
import { filter, firstValueFrom } from 'rxjs';
import type { ScenarioOptions } from './scenario.js';

/** Payload of the `continue` signal. */
export interface Approval {
  readonly approvedBy: string;
  readonly comment?: string | undefined;
}

/** Waits up to a minute for `continue`, then applies the change with the approval it carried. */
export const signalWorkflow = workflow('signal-handler')
  .input<{ change: string }>()
  .addNode('wait-for-signal', (ctx) => {
    ctx.log.info('waiting for approval', { change: ctx.input.change });
    return ctx.waitForSignal<Approval>('continue', { timeout: 60_000 });
  })
  .chain('apply', (ctx) => `${ctx.input.change} applied, approved by ${ctx.results['wait-for-signal'].approvedBy}`)
  .build();

/** Starts the run, sends `continue` once the node waits, prints the outcome. */
export async function main({ log = console.log }: ScenarioOptions = {}) {
  const engine = createEngine();
  try {
    const run = engine.run(signalWorkflow, { change: 'raise replicas to 5' });
    await firstValueFrom(run.events$.pipe(filter((e) => e.type === 'node.log')));
    log(`${run.executionId}: wait-for-signal is waiting; sending "continue"`);
    await engine.signal(run.executionId, 'continue', { approvedBy: 'alice', comment: 'ship it' } satisfies Approval);
    const result = await run.result;
    log(`signal-handler ${result.status}: ${result.outputs.apply}`);
    return result;
  } finally {
    await engine.close();
  }
}
