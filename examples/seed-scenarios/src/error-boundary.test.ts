import { createVirtualClock, type FlowEvent } from '@flowlane/core';
import { describe, expect, it } from 'vitest';
import { newEngine } from './engines.test-helper.js';
import { createBoundaryWorkflow, main } from './error-boundary.js';
import { clockSleep, instantSleep } from './sleep.js';

const wf = createBoundaryWorkflow({ sleep: instantSleep, retryIntervalMs: 0 });

describe('error-boundary scenario', () => {
  it('does not run the boundary when nothing fails', async () => {
    const result = await newEngine().run(wf, { failure: 'none' }).result;
    expect(result.status).toBe('success');
    expect(result.outputs.report).toBe('report from live inventory');
    expect(result.nodes['error-handler']?.status).toBe('skipped');
  });

  it('catches a NetworkError after the retries and hands its value to the dependents', async () => {
    const run = newEngine().run(wf, { failure: 'network' });
    const events: FlowEvent[] = [];
    run.events$.subscribe((e) => events.push(e));
    const result = await run.result;
    expect(result.status).toBe('success');
    expect(result.nodes['risky-operation']).toMatchObject({
      status: 'success',
      attempts: 2,
      handledBy: 'error-handler',
    });
    expect(result.nodes['risky-operation']?.error?.name).toBe('NetworkError');
    expect(result.outputs['risky-operation']).toEqual({ recovered: true, data: undefined });
    expect(result.outputs.report).toBe('report from cached inventory');
    const failed = events.find((e) => e.type === 'node.failed' && e.nodeId === 'risky-operation');
    expect(failed).toMatchObject({ handledBy: 'error-handler' });
  });

  it('catches a timeout (FL_TIMEOUT) in virtual time', async () => {
    const clock = createVirtualClock();
    const timed = createBoundaryWorkflow({ sleep: clockSleep(clock), timeoutMs: 5000 });
    const run = newEngine({ clock }).run(timed, { failure: 'timeout' });
    const types: string[] = [];
    run.events$.subscribe((e) => {
      if (e.type.startsWith('node.') && 'nodeId' in e && e.nodeId === 'risky-operation') types.push(e.type);
    });
    await clock.runAll();
    const result = await run.result;
    expect(result.status).toBe('success');
    expect(result.nodes['risky-operation']?.handledBy).toBe('error-handler');
    expect(result.nodes['risky-operation']?.error?.code).toBe('FL_TIMEOUT');
    expect(types).toEqual([
      'node.started',
      'node.timed-out',
      'node.retrying',
      'node.started',
      'node.timed-out',
      'node.failed',
      'node.completed',
    ]);
    expect(clock.now()).toBe(5000 + 100 + 5000);
  });

  it('lets a non-matching error fail the run', async () => {
    const result = await newEngine().run(wf, { failure: 'validation' }).result;
    expect(result.status).toBe('failed');
    expect(result.error?.code).toBe('FL_NODE_FAILED');
    expect(result.nodes['risky-operation']).toMatchObject({ status: 'failed' });
    expect(result.nodes['risky-operation']?.error?.name).toBe('ValidationError');
    expect(result.nodes.report?.status).toBe('cancelled');
  });

  it('main() prints the four outcomes', async () => {
    const lines: string[] = [];
    const results = await main({ log: (l) => lines.push(l), sleep: instantSleep });
    expect(results.map((r) => r.status)).toEqual(['success', 'success', 'success', 'failed']);
    expect(lines).toHaveLength(4);
  });
});
