import { createVirtualClock, type FlowEvent } from '@flowlane/core';
import { describe, expect, it } from 'vitest';
import { createCachedWorkflow, hash, main } from './caching.js';
import { newEngine } from './engines.test-helper.js';
import { clockSleep, instantSleep } from './sleep.js';

describe('caching scenario', () => {
  it('computes once per input and serves the second run from the cache', async () => {
    let computed = 0;
    const wf = createCachedWorkflow({ sleep: instantSleep, onCompute: () => computed++ });
    const engine = newEngine();
    const first = await engine.run(wf, { dataset: 'a' }).result;
    const run = engine.run(wf, { dataset: 'a' });
    const events: FlowEvent[] = [];
    run.events$.subscribe((e) => events.push(e));
    const second = await run.result;

    expect(computed).toBe(1);
    expect(first.nodes['expensive-operation']).toMatchObject({ status: 'success', attempts: 1 });
    expect(first.nodes['expensive-operation']?.cacheHit).toBeFalsy();
    expect(second.nodes['expensive-operation']).toMatchObject({ status: 'success', attempts: 0, cacheHit: true });
    expect(second.outputs).toEqual(first.outputs);
    expect(events.filter((e) => e.type === 'node.cache-hit')).toEqual([
      expect.objectContaining({ nodeId: 'expensive-operation', shared: false }),
    ]);

    await engine.run(wf, { dataset: 'b' }).result;
    expect(computed).toBe(2);
  });

  it('shares one computation between concurrent runs with the same key', async () => {
    const clock = createVirtualClock();
    let computed = 0;
    const wf = createCachedWorkflow({ sleep: clockSleep(clock), onCompute: () => computed++ });
    const engine = newEngine({ clock });
    const runs = [engine.run(wf, { dataset: 'x' }), engine.run(wf, { dataset: 'x' })];
    const hits: FlowEvent[] = [];
    for (const r of runs) r.events$.subscribe((e) => e.type === 'node.cache-hit' && hits.push(e));
    await clock.runAll();
    const results = await Promise.all(runs.map((r) => r.result));
    expect(computed).toBe(1);
    expect(results.map((r) => r.outputs.report)).toEqual(['1000 rows', '1000 rows']);
    expect(hits).toEqual([expect.objectContaining({ shared: true })]);
  });

  it('computes again once the hour-long ttl has passed (virtual time)', async () => {
    const clock = createVirtualClock();
    let computed = 0;
    const wf = createCachedWorkflow({ sleep: clockSleep(clock), onCompute: () => computed++ });
    const engine = newEngine({ clock });
    const runOnce = async () => {
      const run = engine.run(wf, { dataset: 'y' });
      await clock.advanceBy(300);
      return run.result;
    };
    await runOnce();
    await clock.advanceBy(3_599_000);
    expect((await runOnce()).nodes['expensive-operation']?.cacheHit).toBe(true);
    await clock.advanceBy(1000);
    expect((await runOnce()).nodes['expensive-operation']?.cacheHit).toBeFalsy();
    expect(computed).toBe(2);
  });

  it('hash() is stable', () => {
    expect(hash({ dataset: 'a' })).toBe(hash({ dataset: 'a' }));
    expect(hash({ dataset: 'a' })).not.toBe(hash({ dataset: 'b' }));
  });

  it('main() shows a hit on the repeated input', async () => {
    const lines: string[] = [];
    const { computed } = await main({ log: (l) => lines.push(l), sleep: instantSleep });
    expect(computed).toBe(2);
    expect(lines[1]).toMatch(/^sales-2025: cache hit/);
  });
});
