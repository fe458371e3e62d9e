import { createVirtualClock } from '@flowlane/core';
import { filter, firstValueFrom } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { newEngine } from './engines.test-helper.js';
import { main, signalWorkflow } from './signals.js';

describe('signals scenario', () => {
  it('resolves waitForSignal with the payload sent by run.signal', async () => {
    const run = newEngine().run(signalWorkflow, { change: 'rotate keys' });
    await firstValueFrom(run.events$.pipe(filter((e) => e.type === 'node.started' && e.nodeId === 'wait-for-signal')));
    await run.signal('continue', { approvedBy: 'bob' });
    const result = await run.result;
    expect(result.status).toBe('success');
    expect(result.outputs['wait-for-signal']).toEqual({ approvedBy: 'bob' });
    expect(result.outputs.apply).toBe('rotate keys applied, approved by bob');
  });

  it('buffers a signal sent before the node waits', async () => {
    const engine = newEngine();
    const run = engine.run(signalWorkflow, { change: 'early' });
    await engine.signal(run.executionId, 'continue', { approvedBy: 'carol' });
    const result = await run.result;
    expect(result.outputs.apply).toBe('early applied, approved by carol');
  });

  it('fails with FL_SIGNAL_TIMEOUT after 60 s of virtual time without a signal', async () => {
    const clock = createVirtualClock();
    const run = newEngine({ clock }).run(signalWorkflow, { change: 'never approved' });
    await clock.advanceBy(59_999);
    expect(clock.pending()).toBeGreaterThan(0);
    await clock.advanceBy(1);
    const result = await run.result;
    expect(result.status).toBe('failed');
    expect(result.nodes['wait-for-signal']).toMatchObject({ status: 'failed' });
    expect(result.nodes['wait-for-signal']?.error?.code).toBe('FL_SIGNAL_TIMEOUT');
    expect(result.nodes.apply?.status).toBe('cancelled');
  });

  it('run.cancel (the seed’s "cancel" signal) settles the run as cancelled', async () => {
    const run = newEngine().run(signalWorkflow, { change: 'abandoned' });
    await firstValueFrom(run.events$.pipe(filter((e) => e.type === 'node.started')));
    run.cancel('User requested');
    const result = await run.result;
    expect(result.status).toBe('cancelled');
    expect(result.error?.code).toBe('FL_CANCELLED');
    expect(result.nodes['wait-for-signal']?.status).toBe('cancelled');
  });

  it('main() sends the signal and prints the outcome', async () => {
    const lines: string[] = [];
    const result = await main({ log: (l) => lines.push(l) });
    expect(result.status).toBe('success');
    expect(lines.at(-1)).toBe('signal-handler success: raise replicas to 5 applied, approved by alice');
  });
});
