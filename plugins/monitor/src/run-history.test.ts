import {
  CORE_VERSION,
  createEngine,
  createLocalExecutor,
  definePlugin,
  type FlowEvent,
  type RunEventsView,
  type Workflow,
  type WorkflowDescription,
  workflow,
} from '@flowlane/core';
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

  it('keeps runs of this engine by reference to their logs: folded on demand by core, read only when asked for', async () => {
    const { recorder, engine, reads } = recording(10, 5, 1000);
    const child = workflow('kid')
      .addNode('k', () => 1)
      .build();
    const wf = workflow('w')
      .addNode(
        'a',
        () => {
          throw new Error('x');
        },
        { onError: 'continue' },
      )
      .addNode('b', () => 2, { executor: 'ssh' })
      .subworkflow('sub', child, () => undefined, { dependsOn: ['b'] })
      .chain('c', () => 3)
      .build();
    const res = await engine.run(wf, undefined, { executionId: 'p' }).result;
    expect(res.status).toBe('success');
    // Summaries and the report are core's folds of the logs: no event list was read.
    expect(recorder.report([])).toMatchObject({
      runs: { success: 2 },
      nodes: { success: 4, failed: 1 },
      byExecutor: { local: { success: 3, failed: 1 }, ssh: { success: 1 } },
      nodeDurations: { count: 5 },
      runDurations: { count: 2 },
    });
    expect(recorder.runs().map((s) => [s.executionId, s.status, s.settledNodes, s.failedNodes])).toEqual([
      [expect.any(String), 'success', 1, 0],
      ['p', 'success', 4, 1],
    ]);
    expect(reads).toEqual([]);
    // A late subscriber's history: the run's own events (not its subworkflow run's), cut to maxEventsPerRun.
    const h = recorder.history('p')!;
    expect(reads).toEqual(['p']);
    expect(h.truncated).toBe(true);
    expect(h.events).toHaveLength(5);
    expect(h.events[0]?.type).toBe('workflow.started');
    expect(h.events.every((e) => e.executionId === 'p')).toBe(true);
    expect(h.run).toMatchObject({ status: 'success', settledNodes: 4, failedNodes: 1 });
    await engine.close();
  });

  it("gives the same summaries and report from core's folds as from every event, on seeded random DAGs", async () => {
    for (const seed of [11, 12, 13]) {
      const { recorder, engine, reads, logs } = recording(50, 100_000, 10_000_000);
      const wf = randomWorkflow(80, seed);
      for (let r = 0; r < 3; r++) await engine.run(wf, undefined, { executionId: `${seed}-${r}` }).result;
      const fromViews = { runs: recorder.runs(), report: recorder.report([]), seen: recorder.seen() };
      expect(reads).toEqual([]);
      // The previous truth: the same runs, recorded event by event (the path of runs followed from a store).
      const truth = new RunRecorder(50, 100_000, 10_000_000);
      for (const [, view] of logs)
        for (const e of view.events())
          if (e.executionId === view.executionId)
            truth.append(e, e.type === 'workflow.started' ? describeOf(engine, e.workflow) : undefined);
      expect(fromViews.report).toEqual(truth.report([]));
      expect(fromViews.runs).toEqual(truth.runs());
      expect(fromViews.seen).toBe(truth.seen());
      expect(fromViews.report.byExecutor.remote).toBeDefined();
      expect(fromViews.report.nodes.failed).toBeGreaterThan(0);
      await engine.close();
    }
  });
});

const quiet = { debug() {}, info() {}, warn() {}, error() {} };
const descriptions = new Map<string, WorkflowDescription>();
const describeOf = (_engine: unknown, workflowName: string) => descriptions.get(workflowName);

/** A real engine whose runs a RunRecorder keeps, as the monitor does; `reads` lists the runs whose events were read. */
function recording(maxRuns: number, maxEventsPerRun: number, maxEvents: number) {
  const recorder = new RunRecorder(maxRuns, maxEventsPerRun, maxEvents);
  const reads: string[] = [];
  const logs = new Map<string, RunEventsView>();
  const plugin = definePlugin({
    name: 'recorder',
    version: '1.0.0',
    flowlane: `^${CORE_VERSION}`,
    setup(api) {
      api.executors.register('ssh', createLocalExecutor());
      api.executors.register('remote', createLocalExecutor());
      api.watchRuns({
        name: 'recorder',
        started(run, e) {
          logs.set(run.executionId, run);
          const g = api.runGraph(run.executionId);
          // The truth's descriptions (the test describes; the recorder asks the handle for executors only).
          if (g !== undefined) descriptions.set(e.workflow, g.describe());
          // The real view, with its event reads counted.
          const spied: RunEventsView = {
            executionId: run.executionId,
            workflow: run.workflow,
            get count() {
              return run.count;
            },
            get final() {
              return run.final;
            },
            events: () => {
              reads.push(run.executionId);
              return run.events();
            },
            summary: () => run.summary(),
          };
          recorder.start(e, g, spied);
        },
        settled: (run) => recorder.settle(run.executionId),
      });
    },
  });
  const engine = createEngine({ plugins: [plugin], logger: quiet });
  return { recorder, engine, reads, logs };
}

/** A seeded random DAG: retries, failures that continue, cache hits, fallbacks, subworkflows, remote executors. */
function randomWorkflow(n: number, seed: number): Workflow<unknown, object> {
  let a = seed >>> 0;
  const rand = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const tries = new Map<string, number>();
  const child = workflow('child')
    .addNode('c1', () => 1)
    .build();
  // biome-ignore lint/suspicious/noExplicitAny: node ids known at run time only.
  let b: any = workflow(`random-${seed}`);
  for (let i = 0; i < n; i++) {
    const id = `n${i}`;
    const deps = i === 0 ? [] : [...new Set([`n${Math.floor(rand() * i)}`, `n${Math.floor(rand() * i)}`])];
    // biome-ignore lint/suspicious/noExplicitAny: options of a dynamic node.
    const options: any = deps.length > 0 && rand() < 0.7 ? { dependsOn: deps } : {};
    const kind = rand();
    let body: () => unknown = () => i;
    if (rand() < 0.15) options.executor = 'remote';
    if (kind < 0.1) {
      options.retry = { maxAttempts: 2, initialInterval: 0 };
      body = () => {
        const k = (tries.get(id) ?? 0) + 1;
        tries.set(id, k);
        if (k % 2 === 1) throw new Error('transient');
        return i;
      };
    } else if (kind < 0.2) options.cache = { ttl: 60_000, keyFn: () => id };
    else if (kind < 0.25) {
      options.onError = 'continue';
      body = () => {
        throw new Error('for good');
      };
    } else if (kind < 0.3) {
      b = b.addNode(`${id}-fb`, () => -i);
      options.fallback = `${id}-fb`;
      body = () => {
        throw new Error('down');
      };
    } else if (kind < 0.33) {
      b = b.subworkflow(id, child, () => undefined, options);
      continue;
    }
    const fn = body;
    b = b.addNode(id, rand() < 0.5 ? async () => fn() : fn, options);
  }
  return b.build();
}
