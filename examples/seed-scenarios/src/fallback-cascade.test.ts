import type { FlowEvent } from '@flowlane/core';
import { describe, expect, it } from 'vitest';
import { newEngine } from './engines.test-helper.js';
import { cascadeWorkflow, fallbackWorkflow, main } from './fallback-cascade.js';

describe('fallback-cascade scenario', () => {
  it('ends at fallback-2 when primary and fallback-1 are down, with one node.fell-back per hop', async () => {
    const run = newEngine().run(cascadeWorkflow, { down: ['primary', 'fallback-1'], amountEur: 100 });
    const events: FlowEvent[] = [];
    run.events$.subscribe((e) => events.push(e));
    const result = await run.result;

    expect(events.flatMap((e) => (e.type === 'node.fell-back' ? [`${e.nodeId} → ${e.fallbackId}`] : []))).toEqual([
      'primary → fallback-1',
      'fallback-1 → fallback-2',
    ]);
    expect(result.status).toBe('success');
    expect(result.nodes.primary).toMatchObject({ status: 'success', fallbackUsed: 'fallback-2' });
    expect(result.nodes.primary?.error?.message).toBe('rates-api is unavailable (503)');
    expect(result.nodes['fallback-1']?.status).toBe('failed');
    expect(result.nodes['fallback-2']?.status).toBe('success');
    expect(result.outputs.convert).toEqual({ usd: 107, via: 'static rates from last night' });
    const completed = events.find((e) => e.type === 'node.completed' && e.nodeId === 'primary');
    expect(completed).toMatchObject({ fallbackUsed: 'fallback-2' });
  });

  it('stops at fallback-1 when it answers, and never runs fallback-2', async () => {
    const result = await newEngine().run(cascadeWorkflow, { down: ['primary'], amountEur: 10 }).result;
    expect(result.nodes.primary?.fallbackUsed).toBe('fallback-1');
    expect(result.nodes['fallback-2']?.status).toBe('skipped');
    expect(result.outputs.convert).toEqual({ usd: 10.79, via: 'rates-mirror' });
  });

  it('runs no fallback when the primary answers', async () => {
    const result = await newEngine().run(cascadeWorkflow, { down: [], amountEur: 1 }).result;
    expect(result.nodes.primary?.fallbackUsed).toBeUndefined();
    expect(result.nodes['fallback-1']?.status).toBe('skipped');
    expect(result.nodes['fallback-2']?.status).toBe('skipped');
  });

  it('fails the run when every source is down', async () => {
    const result = await newEngine().run(cascadeWorkflow, {
      down: ['primary', 'fallback-1', 'fallback-2'],
      amountEur: 1,
    }).result;
    expect(result.status).toBe('failed');
    expect(result.error?.code).toBe('FL_NODE_FAILED');
    expect(result.nodes.convert?.status).toBe('cancelled');
  });

  it('the simple form falls back to secondary', async () => {
    const result = await newEngine().run(fallbackWorkflow, { down: ['primary'] }).result;
    expect(result.status).toBe('success');
    expect(result.nodes.primary?.fallbackUsed).toBe('secondary');
    expect(result.outputs.primary).toEqual({ source: 'rates-mirror', eurUsd: 1.079 });
  });

  it('main() walks down the cascade', async () => {
    const lines: string[] = [];
    const { results, simple } = await main({ log: (l) => lines.push(l) });
    expect(results.map((r) => r.nodes.primary?.fallbackUsed)).toEqual([undefined, 'fallback-1', 'fallback-2']);
    expect(simple.status).toBe('success');
    expect(lines).toHaveLength(4);
  });
});
