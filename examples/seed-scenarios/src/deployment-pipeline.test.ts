import { createVirtualClock, type FlowEvent } from '@flowlane/core';
import { describe, expect, it } from 'vitest';
import { createDeploymentPipeline, describeStep, main } from './deployment-pipeline.js';
import { newEngine } from './engines.test-helper.js';
import { clockSleep, instantSleep } from './sleep.js';

const pipeline = createDeploymentPipeline({ sleep: instantSleep, retryIntervalMs: 0 });

describe('deployment-pipeline scenario', () => {
  it('deploys through the three phases in dependency order', async () => {
    const run = newEngine().run(pipeline, { version: 'v2.0.0' });
    const events: FlowEvent[] = [];
    run.events$.subscribe((e) => events.push(e));
    const result = await run.result;
    expect(result.status).toBe('success');
    expect(result.outputs['build-image']).toEqual({ image: 'myapp:v2.0.0' });
    expect(Object.values(result.nodes).every((n) => n.status === 'success')).toBe(true);

    const completedAt = (id: string) => events.findIndex((e) => e.type === 'node.completed' && e.nodeId === id);
    const startedAt = (id: string) => events.findIndex((e) => e.type === 'node.started' && e.nodeId === id);
    for (const check of ['run-tests', 'security-scan', 'database-backup'])
      expect(completedAt(check)).toBeLessThan(startedAt('build-image'));
    expect(completedAt('build-image')).toBeLessThan(startedAt('push-registry'));
    expect(completedAt('push-registry')).toBeLessThan(startedAt('update-kubernetes'));
    for (const post of ['health-check', 'smoke-tests', 'notify-stakeholders'])
      expect(completedAt('update-kubernetes')).toBeLessThan(startedAt(post));
  });

  it('retries a flaky backup and keeps going when notifications fail (onError: continue)', async () => {
    const run = newEngine().run(pipeline, {
      version: 'v2.0.1',
      failures: { 'database-backup': 2, 'notify-stakeholders': 'always' },
    });
    const events: FlowEvent[] = [];
    run.events$.subscribe((e) => events.push(e));
    const result = await run.result;
    expect(result.status).toBe('success');
    expect(result.nodes['database-backup']).toMatchObject({ status: 'success', attempts: 3 });
    expect(result.nodes['notify-stakeholders']).toMatchObject({ status: 'failed', attempts: 1 });
    expect(result.outputs['notify-stakeholders']).toBeUndefined();
    expect(events.find((e) => e.type === 'node.failed' && e.nodeId === 'notify-stakeholders')).toMatchObject({
      continued: true,
    });
  });

  it('fails the deployment when Kubernetes cannot be updated, and verifies nothing', async () => {
    const result = await newEngine().run(pipeline, {
      version: 'v2.0.2',
      failures: { 'update-kubernetes': 'always' },
    }).result;
    expect(result.status).toBe('failed');
    expect(result.error?.code).toBe('FL_NODE_FAILED');
    expect(result.nodes['update-kubernetes']?.status).toBe('failed');
    for (const post of ['health-check', 'smoke-tests', 'notify-stakeholders'])
      expect(result.nodes[post]?.status).toBe('cancelled');
  });

  it('uses its retry budget and backoff on the engine clock (push-registry: 3 retries)', async () => {
    const clock = createVirtualClock();
    const wf = createDeploymentPipeline({ sleep: clockSleep(clock), retryIntervalMs: 1000 });
    const run = newEngine({ clock }).run(wf, { version: 'v3', failures: { 'push-registry': 'always' } });
    const retries: number[] = [];
    run.events$.subscribe((e) => e.type === 'node.retrying' && retries.push(e.delayMs));
    await clock.runAll();
    const result = await run.result;
    expect(result.status).toBe('failed');
    expect(result.nodes['push-registry']).toMatchObject({ status: 'failed', attempts: 4 });
    expect(retries).toEqual([1000, 2000, 4000]);
  });

  it('describeStep() renders the seed’s step lines', () => {
    const base = { executionId: 'x', workflow: 'w', timestamp: 0 } as const;
    expect(describeStep({ ...base, type: 'node.completed', nodeId: 'a', attempt: 1, durationMs: 12 })).toBe(
      '✅ a (12 ms)',
    );
    expect(describeStep({ ...base, type: 'node.log', nodeId: 'a', level: 'info', message: 'm' })).toBeUndefined();
  });

  it('main() prints the steps and the summary', async () => {
    const lines: string[] = [];
    const result = await main({ log: (l) => lines.push(l), sleep: instantSleep });
    expect(result.status).toBe('success');
    expect(lines).toContain('  Status: success');
    expect(lines).toContain('  Errors: 1');
    expect(lines.some((l) => l.startsWith('🔁 database-backup'))).toBe(true);
  });
});
