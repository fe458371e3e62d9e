import type { CustomEvent, FlowEvent } from '@flowlane/core';
import { lastValueFrom, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { newEngine } from './engines.test-helper.js';
import { createListenerWorkflow, type DataProcessed, emitterWorkflow, main } from './events.js';

describe('events scenario', () => {
  it('delivers the emitter’s custom event to the listener’s onEvent handler and getEvent', async () => {
    const engine = newEngine();
    const received: CustomEvent<DataProcessed>[] = [];
    const listener = engine.run(
      createListenerWorkflow((e) => received.push(e)),
      {},
    );
    const emitter = engine.run(emitterWorkflow, { itemId: 'item-7' });
    const emitterEvents: FlowEvent[] = await lastValueFrom(emitter.events$.pipe(toArray()));
    await listener.signal('producer-done', emitter.executionId);
    const result = await listener.result;

    expect(emitterEvents.map((e) => e.type)).toEqual([
      'workflow.started',
      'node.started',
      'custom',
      'node.completed',
      'workflow.completed',
    ]);
    expect(received).toHaveLength(1);
    expect(received[0]).toMatchObject({
      type: 'custom',
      name: 'data-processed',
      workflow: 'event-emitter',
      executionId: emitter.executionId,
      nodeId: 'emit-event',
      payload: { itemId: 'item-7' },
    });
    expect(result.status).toBe('success');
    expect(result.outputs.process).toEqual({
      itemId: 'item-7',
      from: 'event-emitter',
      producer: emitter.executionId,
    });
  });

  it('main() prints what the listener saw', async () => {
    const lines: string[] = [];
    const { result, received } = await main({ log: (l) => lines.push(l) });
    expect(result.status).toBe('success');
    expect(received).toHaveLength(1);
    expect(lines.join('\n')).toContain('onEvent received data-processed from event-emitter');
  });
});
