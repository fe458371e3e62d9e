import { createVirtualClock, type FlowEvent } from '@flowlane/core';
import { lastValueFrom, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { newEngine } from './engines.test-helper.js';
import { maxRunningAtOnce } from './parallel-100.js';
import { createReleaseWorkflow } from './release-workflow.js';
import { clockSleep, instantSleep } from './sleep.js';

const input = { version: '1.4.0', lockfileHash: 'sha256-abc' } as const;

describe('release workflow (pnpm demo)', () => {
  it('succeeds with a retry, a fallback, capped parallel groups and a cache hit on the second run', async () => {
    const clock = createVirtualClock();
    const wf = createReleaseWorkflow({ sleep: clockSleep(clock) });
    const engine = newEngine({ clock });

    const runOnce = async () => {
      const run = engine.run(wf, input);
      const events = lastValueFrom(run.events$.pipe(toArray()));
      await clock.runAll();
      return { result: await run.result, events: await events };
    };
    const first = await runOnce();
    const second = await runOnce();
    const of = (events: FlowEvent[], type: FlowEvent['type'], nodeId?: string) =>
      events.filter((e) => e.type === type && (nodeId === undefined || ('nodeId' in e && e.nodeId === nodeId)));

    for (const { result, events } of [first, second]) {
      expect(result.status).toBe('success');
      // Retry: the build fails once, waits 200 ms, then succeeds.
      expect(result.nodes.build).toMatchObject({ status: 'success', attempts: 2 });
      expect(of(events, 'node.retrying', 'build')).toEqual([expect.objectContaining({ attempt: 1, delayMs: 200 })]);
      // Fallback: the primary registry refuses, the mirror takes over and the rollout deploys the mirror's image.
      expect(result.nodes['push-image']).toMatchObject({ status: 'success', fallbackUsed: 'push-mirror' });
      expect(of(events, 'node.fell-back', 'push-image')).toEqual([
        expect.objectContaining({ fallbackId: 'push-mirror' }),
      ]);
      expect(of(events, 'node.started', 'push-mirror')).toHaveLength(1);
      expect(result.outputs['deploy-eu']).toEqual({ region: 'eu', image: 'mirror.example.net/app:1.4.0' });
      // Parallel groups: never more than 2 checks or 2 deployments at once.
      expect(maxRunningAtOnce(events, (id) => ['lint', 'unit-tests', 'integration-tests'].includes(id))).toBe(2);
      expect(maxRunningAtOnce(events, (id) => id.startsWith('deploy-'))).toBe(2);
    }
    // Cache: computed on the first run, a hit on the second.
    expect(first.result.nodes['dependency-scan']).toMatchObject({ status: 'success', attempts: 1 });
    expect(of(first.events, 'node.cache-hit')).toHaveLength(0);
    expect(second.result.nodes['dependency-scan']).toMatchObject({ status: 'success', attempts: 0, cacheHit: true });
    expect(of(second.events, 'node.cache-hit', 'dependency-scan')).toHaveLength(1);
    // Virtual time: checkout 100 + build 250/200/250 + scan 600 + push 150 + mirror 250 + two deploy waves 2×250
    // + smoke 150 = 2,450 ms; the cached scan makes the checks (450 ms) the slower branch: 2,300 ms.
    expect(first.result.durationMs).toBe(2450);
    expect(second.result.durationMs).toBe(2300);
  });

  it('pushes to the primary registry when it is up and never runs the mirror', async () => {
    const wf = createReleaseWorkflow({ sleep: instantSleep, retryIntervalMs: 0, registryDown: false });
    const result = await newEngine().run(wf, input).result;
    expect(result.status).toBe('success');
    expect(result.nodes['push-image']?.fallbackUsed).toBeUndefined();
    expect(result.nodes['push-mirror']?.status).toBe('skipped');
    expect(result.outputs['deploy-us']).toEqual({ region: 'us', image: 'registry.internal:5000/app:1.4.0' });
  });

  it('fails the release when the build keeps failing', async () => {
    const wf = createReleaseWorkflow({ sleep: instantSleep, retryIntervalMs: 0, buildFailures: 3 });
    const result = await newEngine().run(wf, input).result;
    expect(result.status).toBe('failed');
    expect(result.nodes.build).toMatchObject({ status: 'failed', attempts: 3 });
    expect(result.nodes['smoke-test']?.status).toBe('cancelled');
  });
});
