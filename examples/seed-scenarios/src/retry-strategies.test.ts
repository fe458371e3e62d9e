import { createVirtualClock, type FlowEvent } from '@flowlane/core';
import { describe, expect, it } from 'vitest';
import { newEngine } from './engines.test-helper.js';
import { customRetry, main, retryWorkflow, UpstreamError } from './retry-strategies.js';

describe('retry-strategies scenario', () => {
  it('retries each node with its policy’s delays, in virtual time', async () => {
    const clock = createVirtualClock();
    const run = newEngine({ clock }).run(retryWorkflow, {});
    const events: FlowEvent[] = [];
    run.events$.subscribe((e) => events.push(e));
    await clock.runAll();
    const result = await run.result;

    const delays = (nodeId: string) =>
      events.flatMap((e) => (e.type === 'node.retrying' && e.nodeId === nodeId ? [[e.attempt, e.delayMs]] : []));
    expect(delays('exponential')).toEqual([
      [1, 1000],
      [2, 2000],
      [3, 4000],
      [4, 8000],
    ]);
    expect(delays('linear')).toEqual([
      [1, 5000],
      [2, 5000],
    ]);
    expect(delays('custom')).toEqual([
      [1, 60_000],
      [2, 4000],
    ]);
    expect(result.status).toBe('success');
    expect(result.nodes.exponential).toMatchObject({ status: 'success', attempts: 5 });
    expect(result.nodes.linear).toMatchObject({ status: 'success', attempts: 3 });
    expect(result.nodes.custom).toMatchObject({ status: 'success', attempts: 3 });
    expect(result.outputs.custom).toBe('custom after 3 attempts');
    // The longest chain of delays (custom: 60 s + 4 s) sets the run's virtual duration.
    expect(clock.now()).toBe(64_000);
    const customDone = events.find((e) => e.type === 'node.completed' && e.nodeId === 'custom');
    expect(customDone?.timestamp).toBe(64_000);
  });

  it('customRetry waits a minute on RATE_LIMIT and 2^attempt seconds otherwise', () => {
    expect(customRetry.onRetry(new UpstreamError('RATE_LIMIT', 'x'), 1)).toBe(60_000);
    expect(customRetry.onRetry(new UpstreamError('UNAVAILABLE', 'x'), 2)).toBe(4000);
  });

  it('main() prints every retry on the virtual clock', async () => {
    const lines: string[] = [];
    const { result, retries } = await main({ log: (l) => lines.push(l) });
    expect(result.status).toBe('success');
    expect(retries).toHaveLength(8);
    expect(lines.at(-1)).toMatch(/^64 s of virtual time in \d+ ms of real time$/);
  });
});
