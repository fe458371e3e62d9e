import type { FlowEvent, WorkflowDescription } from '@flowlane/core';
import { describe, expect, it } from 'vitest';
import { RunRecorder } from './run-history.js';

const base = (id: string, t: number) => ({ executionId: id, workflow: 'w', timestamp: t });
const started = (id: string, t = 0): FlowEvent => ({ ...base(id, t), type: 'workflow.started', nodeCount: 2 });
const done = (id: string, t: number, d: number): FlowEvent => ({
  ...base(id, t),
  type: 'workflow.completed',
  durationMs: d,
});
const node = (id: string, nodeId: string, type: 'node.completed' | 'node.failed', d: number): FlowEvent =>
  type === 'node.completed'
    ? { ...base(id, 1), type, nodeId, attempt: 1, durationMs: d }
    : { ...base(id, 1), type, nodeId, attempt: 1, durationMs: d, error: { name: 'Error', message: 'x' } };

const description: WorkflowDescription = {
  name: 'w',
  nodes: [
    { id: 'a', kind: 'task', dependsOn: [], standby: false, options: {} },
    { id: 'b', kind: 'task', dependsOn: ['a'], standby: false, options: { executor: 'ssh' } },
  ],
  edges: [{ from: 'a', to: 'b', kind: 'dependency' }],
  groups: [],
};

describe('RunRecorder', () => {
  it('keeps summaries and the report: counts by status and executor, average and max durations', () => {
    const r = new RunRecorder(10, 100, 1000);
    r.append(started('r1'), description);
    r.append(node('r1', 'a', 'node.completed', 10), undefined);
    r.append(node('r1', 'b', 'node.failed', 30), undefined);
    r.append(done('r1', 50, 50), undefined);
    r.append(started('r2'), description);
    expect(r.runs().map((s) => [s.executionId, s.status])).toEqual([
      ['r2', 'running'],
      ['r1', 'success'],
    ]);
    expect(r.history('r1')?.run).toMatchObject({ settledNodes: 2, failedNodes: 1, durationMs: 50, endedAt: 50 });
    expect(r.report([])).toEqual({
      runs: { running: 1, success: 1, failed: 0, cancelled: 0 },
      nodes: { success: 1, failed: 1 },
      byExecutor: { local: { success: 1 }, ssh: { failed: 1 } },
      runDurations: { count: 1, avgMs: 50, maxMs: 50 },
      nodeDurations: { count: 2, avgMs: 20, maxMs: 30 },
      alerts: [],
    });
  });

  it('evicts the oldest settled runs beyond maxRuns or maxEvents, never a running one, and truncates long runs', () => {
    const r = new RunRecorder(2, 3, 6);
    r.append(started('old'), undefined); // running: never evicted
    for (const id of ['a', 'b', 'c']) {
      r.append(started(id), undefined);
      r.append(done(id, 5, 5), undefined);
    }
    expect(r.runs().map((s) => s.executionId)).toEqual(['c', 'old']);
    for (let i = 0; i < 5; i++) r.append(node('old', `n${i}`, 'node.completed', 1), undefined);
    const h = r.history('old');
    expect(h?.events).toHaveLength(3);
    expect(h?.truncated).toBe(true);
    expect(h?.run.settledNodes).toBe(5);
    expect(r.history('a')).toBeUndefined();
    // Events of a run the recorder never saw start are not attached anywhere.
    expect(r.append(node('ghost', 'x', 'node.completed', 1), undefined)).toBe(false);
  });
});
