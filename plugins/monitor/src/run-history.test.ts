import type { FlowEvent, RunEventsView, WorkflowDescription, WorkflowStartedEvent } from '@flowlane/core';
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

  it('keeps a run of this engine by reference to its log: folded on demand, cut to maxEventsPerRun once settled', () => {
    /** A log as core keeps it: the run's events and, interleaved, its subworkflow run's. */
    const log = (id: string, n: number, child?: string): FlowEvent[] => {
      const out: FlowEvent[] = [started(id)];
      for (let i = 0; i < n; i++) {
        out.push(node(id, i === 1 ? 'b' : `n${i}`, i === 0 ? 'node.failed' : 'node.completed', i + 1));
        if (child !== undefined) out.push({ ...node(child, `c${i}`, 'node.completed', 1), parentExecutionId: id });
      }
      out.push(done(id, 100, 100));
      return out;
    };
    const viewOf = (id: string, events: FlowEvent[]): RunEventsView & { final: boolean } => ({
      executionId: id,
      workflow: 'w',
      final: false,
      get count() {
        return events.length;
      },
      events: () => events,
    });
    const r = new RunRecorder(10, 5, 1000);
    const plain = log('plain', 6);
    const withChild = log('parent', 6, 'kid');
    const live = [started('live')];
    r.start(plain[0] as WorkflowStartedEvent, description, viewOf('plain', plain));
    r.start(withChild[0] as WorkflowStartedEvent, undefined, viewOf('parent', withChild));
    r.start(live[0] as WorkflowStartedEvent, undefined, viewOf('live', live));
    // Nothing is read until asked for.
    live.push(node('live', 'a', 'node.completed', 7));
    expect(r.history('live')?.run).toMatchObject({ status: 'running', settledNodes: 1 });
    live.push(node('live', 'b', 'node.completed', 9));
    expect(r.history('live')?.events).toHaveLength(3);
    r.settle('plain');
    r.settle('parent');
    for (const id of ['plain', 'parent']) {
      const h = r.history(id)!;
      // Cut to its first 5 own events once settled; the summary still counts every event.
      expect(h.truncated).toBe(true);
      expect(h.events).toEqual(log(id, 6).slice(0, 5));
      expect(h.run).toMatchObject({ status: 'success', settledNodes: 6, failedNodes: 1, durationMs: 100 });
    }
    expect(r.report([])).toMatchObject({
      runs: { running: 1, success: 2 },
      nodes: { success: 12, failed: 2 },
      byExecutor: { local: { success: 11, failed: 2 }, ssh: { success: 1 } },
      nodeDurations: { count: 14, maxMs: 9 }, // the subworkflow run's events are not counted: it has no record
      runDurations: { count: 2, avgMs: 100, maxMs: 100 },
    });
  });
});
