// Seed 003 "Events": one workflow emits `data-processed`, another listens with `onEvent` and reads it with `getEvent`.
import { type CustomEvent, createEngine, workflow } from '@flowlane/core';
import type { ScenarioOptions } from './scenario.js';

/** Payload of the `data-processed` custom event. */
export interface DataProcessed {
  readonly itemId: string;
  readonly timestamp: number;
}

/** Emits `data-processed` for the input item (custom events are engine-wide). */
export const emitterWorkflow = workflow('event-emitter')
  .input<{ itemId: string }>()
  .addNode('emit-event', (ctx) => {
    const payload: DataProcessed = { itemId: ctx.input.itemId, timestamp: Date.now() };
    ctx.emitEvent('data-processed', payload);
    return payload;
  })
  .build();

/**
 * Listens for `data-processed` from any run on the same engine while it is active (`onEvent`), then reads the latest
 * one with `ctx.getEvent`. The `process` node waits for the `producer-done` signal so it runs after the producer.
 */
export function createListenerWorkflow(onReceived: (event: CustomEvent<DataProcessed>) => void) {
  return workflow('event-listener')
    .onEvent<DataProcessed>('data-processed', (event) => onReceived(event))
    .addNode('wait-for-producer', (ctx) => ctx.waitForSignal<string>('producer-done', { timeout: 60_000 }))
    .chain('process', (ctx) => {
      const event = ctx.getEvent<DataProcessed>('data-processed');
      return { itemId: event?.payload.itemId, from: event?.workflow, producer: ctx.results['wait-for-producer'] };
    })
    .build();
}

/** Runs the listener, then the emitter, on one engine; prints what the listener saw. */
export async function main({ log = console.log }: ScenarioOptions = {}) {
  const received: CustomEvent<DataProcessed>[] = [];
  const engine = createEngine();
  try {
    const listener = engine.run(
      createListenerWorkflow((e) => received.push(e)),
      {},
    );
    const emitter = engine.run(emitterWorkflow, { itemId: '123' });
    const emitted = await emitter.result;
    await listener.signal('producer-done', emitted.executionId);
    const result = await listener.result;
    log(`event-emitter   ${emitted.status}: emitted data-processed for item ${emitted.outputs['emit-event']?.itemId}`);
    for (const e of received) log(`event-listener  onEvent received ${e.name} from ${e.workflow} (${e.executionId})`);
    log(`event-listener  ${result.status}: process saw ${JSON.stringify(result.outputs.process)}`);
    return { emitted, result, received };
  } finally {
    await engine.close();
  }
}
