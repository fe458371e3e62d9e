import { describe, expect, it, vi } from 'vitest';
import { workflow } from '../builder/workflow-builder.js';
import type { FlowEvent } from '../contracts/events.js';
import { definePlugin } from '../plugin/define-plugin.js';
import type { RunEventsSummary, RunEventsView, RunNodeSummary } from '../plugin/types.js';
import { CORE_VERSION } from '../version.js';
import type { Workflow } from '../workflow.js';
import { createEngine } from './engine.js';
import * as factory from './event-factory.js';
import { rng } from './lazy-records.test-helper.js';

// Counts the node events made as objects (the compact log makes them with these two when it is read).
vi.mock('./event-factory.js', async (original) => {
  const real = await original<typeof import('./event-factory.js')>();
  return { ...real, nodeStarted: vi.fn(real.nodeStarted), nodeCompleted: vi.fn(real.nodeCompleted) };
});
const made = (): number =>
  vi.mocked(factory.nodeStarted).mock.calls.length + vi.mocked(factory.nodeCompleted).mock.calls.length;

/** The summary of run `id` worked out event by event from its event objects (what the monitor did before). */
function reference(events: readonly FlowEvent[], id: string, ids: readonly string[]) {
  const nodes = new Map<
    string,
    { state: string; attempts: number; durationMs?: number; fallbackUsed?: string; cacheHit: boolean }
  >();
  for (const n of ids) nodes.set(n, { state: 'pending', attempts: 0, cacheHit: false });
  const s = {
    status: 'running' as string,
    startedAt: undefined as number | undefined,
    endedAt: undefined as number | undefined,
    durationMs: undefined as number | undefined,
    events: 0,
    settled: { success: 0, failed: 0, skipped: 0, cancelled: 0 },
    nodeDurations: { count: 0, totalMs: 0, maxMs: 0 },
    retries: 0,
    cacheHits: 0,
    fallbacks: 0,
  };
  const fell = new Set<string>();
  const node = (nodeId: string) => {
    let n = nodes.get(nodeId);
    if (n === undefined) nodes.set(nodeId, (n = { state: 'pending', attempts: 0, cacheHit: false }));
    return n;
  };
  const dur = (n: { durationMs?: number }, ms: number) => {
    n.durationMs = ms;
    s.nodeDurations.count++;
    s.nodeDurations.totalMs += ms;
    s.nodeDurations.maxMs = Math.max(s.nodeDurations.maxMs, ms);
  };
  const fallback = (nodeId: string, fb: string) => {
    if (!fell.has(nodeId)) s.fallbacks++;
    fell.add(nodeId);
    node(nodeId).fallbackUsed = fb;
  };
  for (const e of events) {
    if (e.executionId !== id) continue;
    s.events++;
    switch (e.type) {
      case 'workflow.started':
        s.startedAt = e.timestamp;
        break;
      case 'workflow.completed':
      case 'workflow.failed':
      case 'workflow.cancelled':
        if (s.status !== 'running') break;
        s.status = { 'workflow.completed': 'success', 'workflow.failed': 'failed', 'workflow.cancelled': 'cancelled' }[
          e.type
        ];
        s.endedAt = e.timestamp;
        s.durationMs = e.durationMs;
        break;
      case 'node.started': {
        const n = node(e.nodeId);
        n.state = 'running';
        n.attempts = Math.max(n.attempts, e.attempt);
        break;
      }
      case 'node.retrying':
        s.retries++;
        node(e.nodeId).state = 'retrying';
        break;
      case 'node.completed': {
        const n = node(e.nodeId);
        s.settled.success++;
        n.state = 'success';
        n.attempts = Math.max(n.attempts, e.attempt);
        dur(n, e.durationMs);
        if (e.fallbackUsed !== undefined) fallback(e.nodeId, e.fallbackUsed);
        break;
      }
      case 'node.failed': {
        const n = node(e.nodeId);
        s.settled.failed++;
        n.state = 'failed';
        n.attempts = Math.max(n.attempts, e.attempt);
        dur(n, e.durationMs);
        break;
      }
      case 'node.skipped':
        s.settled.skipped++;
        node(e.nodeId).state = 'skipped';
        break;
      case 'node.cancelled': {
        const n = node(e.nodeId);
        s.settled.cancelled++;
        n.state = 'cancelled';
        dur(n, e.durationMs);
        break;
      }
      case 'node.fell-back':
        fallback(e.nodeId, e.fallbackId);
        break;
      case 'node.cache-hit':
        s.cacheHits++;
        node(e.nodeId).cacheHit = true;
        break;
      default:
        break;
    }
  }
  return { s, nodes };
}

const plain = (s: RunEventsSummary) => {
  const { node: _node, executionId: _id, workflow: _wf, ...rest } = s;
  return Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined));
};
const nodeOf = (n: RunNodeSummary | undefined) =>
  n === undefined ? undefined : Object.fromEntries(Object.entries(n).filter(([, v]) => v !== undefined));

/**
 * A seeded random DAG of `n` nodes: plain and async nodes, nodes that fail once then succeed under `retry`, cached
 * nodes (hits from an engine's second run on), nodes that fail with `onError: 'continue'`, nodes that fail over to a
 * fallback node, subworkflow nodes (a small child run each), and — with `fatal` — a node that fails the run.
 */
function randomWorkflow(n: number, seed: number, fatal: boolean): { wf: Workflow<unknown, object>; ids: string[] } {
  const rand = rng(seed);
  const attempts = new Map<string, number>();
  const child = workflow('child')
    .addNode('c1', () => 1)
    .chain('c2', async (ctx) => ctx.results.c1 + 1)
    .build();
  // biome-ignore lint/suspicious/noExplicitAny: node ids known at run time only.
  let b: any = workflow(`summary-${n}-${seed}${fatal ? '-fatal' : ''}`);
  const ids: string[] = [];
  const fatalAt = fatal ? Math.floor(n * 0.6) : -1;
  for (let i = 0; i < n; i++) {
    const id = `n${i}`;
    const deps = [
      ...new Set(Array.from({ length: i === 0 ? 0 : Math.floor(rand() * 3) }, () => `n${Math.floor(rand() * i)}`)),
    ];
    const kind = rand();
    const isAsync = rand() < 0.5;
    // biome-ignore lint/suspicious/noExplicitAny: options of a dynamic node.
    const options: any = deps.length > 0 ? { dependsOn: deps } : {};
    let body: () => unknown = () => i;
    if (i === fatalAt)
      body = () => {
        throw new Error('fatal');
      };
    else if (kind < 0.08) {
      options.retry = { maxAttempts: 2, initialInterval: 0 };
      body = () => {
        const k = (attempts.get(id) ?? 0) + 1;
        attempts.set(id, k);
        if (k % 2 === 1) throw new Error('transient');
        return i;
      };
    } else if (kind < 0.16) options.cache = { ttl: 60_000, keyFn: () => `${id}-key` };
    else if (kind < 0.2) {
      options.onError = 'continue';
      body = () => {
        throw new Error('for good');
      };
    } else if (kind < 0.24) {
      const fb = `${id}-fb`;
      b = b.addNode(fb, () => -i);
      ids.push(fb);
      options.fallback = fb;
      body = () => {
        throw new Error('primary down');
      };
    } else if (kind < 0.27) {
      b = b.subworkflow(id, child, () => undefined, options);
      ids.push(id);
      continue;
    }
    const fn = body;
    b = b.addNode(id, isAsync ? async () => fn() : fn, options);
    ids.push(id);
  }
  return { wf: b.build(), ids };
}

type Mode = 'compact' | 'drained' | 'listened';

/** Runs `wf` twice on one engine (cache hits on the second run) and checks every run's summary against the truth. */
async function check(seed: number, fatal: boolean, mode: Mode): Promise<void> {
  const { wf, ids } = randomWorkflow(120, seed, fatal);
  const rand = rng(seed * 7 + 1);
  const views = new Map<string, RunEventsView>();
  /** Summaries taken while runs ran (incremental folds), and events read early (drains) in `drained` mode. */
  const midway = () => {
    for (const v of views.values())
      if (!v.final && rand() < 0.05) {
        if (mode === 'drained' && rand() < 0.5) v.events();
        v.summary();
      }
  };
  const plugin = definePlugin({
    name: 'summaries',
    version: '1.0.0',
    flowlane: `^${CORE_VERSION}`,
    setup(api) {
      api.watchRuns({ name: 'summaries', started: (run) => void views.set(run.executionId, run) });
      if (mode === 'listened') api.metrics.addExporter({ name: 'listen', handle: () => undefined });
    },
  });
  const engine = createEngine({ plugins: [plugin], logger: { debug() {}, info() {}, warn() {}, error() {} } });
  const tick = setInterval(midway, 0);
  try {
    for (let r = 0; r < 2; r++) {
      views.clear();
      const run = engine.run(wf, undefined, { executionId: `run-${seed}-${r}` });
      await run.result;
      midway();
      for (const [id, view] of views) {
        const before = made();
        const summary = view.summary();
        expect(made()).toBe(before); // no event object made by summary()
        const events = view.events();
        const truth = reference(events, id, id === run.executionId ? ids : ['c1', 'c2']);
        expect(plain(summary)).toEqual(Object.fromEntries(Object.entries(truth.s).filter(([, v]) => v !== undefined)));
        expect(summary.executionId).toBe(id);
        for (const [nodeId, n] of truth.nodes)
          expect([nodeId, nodeOf(summary.node(nodeId))]).toEqual([nodeId, nodeOf(n as RunNodeSummary)]);
        expect(summary.node('no-such-node')).toBeUndefined();
        // Asked again: nothing new to fold, same answer.
        expect(plain(view.summary())).toEqual(plain(summary));
      }
      const top = views.get(run.executionId)!.summary();
      expect(top.status).toBe(fatal ? 'failed' : 'success');
      if (r === 1 && !fatal) expect(top.cacheHits).toBeGreaterThan(0);
      if (!fatal) expect(top.fallbacks).toBeGreaterThan(0);
      if (!fatal) expect(top.retries).toBeGreaterThan(0);
    }
  } finally {
    clearInterval(tick);
    await engine.close();
  }
}

describe('RunEventsView.summary()', () => {
  for (const mode of ['compact', 'drained', 'listened'] as const)
    it(`folds seeded random DAGs (retries, failures, cache hits, fallbacks, subworkflows) exactly like their events — ${mode}`, async () => {
      for (const seed of [1, 2, 3, 4]) await check(seed, seed === 4, mode);
    });

  it('reads a quiet run without making event objects; reading its events later makes them', async () => {
    let view: RunEventsView | undefined;
    const plugin = definePlugin({
      name: 'one',
      version: '1.0.0',
      flowlane: `^${CORE_VERSION}`,
      setup(api) {
        api.watchRuns({ name: 'one', settled: (run) => void (view = run) });
      },
    });
    const engine = createEngine({ plugins: [plugin] });
    // biome-ignore lint/suspicious/noExplicitAny: node ids known at run time only.
    let b: any = workflow('quiet');
    for (let i = 0; i < 100; i++) b = b.addNode(`q${i}`, () => i);
    const before = made();
    await engine.run(b.build(), undefined).result;
    const s = view!.summary();
    expect(made()).toBe(before);
    expect(s).toMatchObject({
      status: 'success',
      events: 202,
      settled: { success: 100 },
      nodeDurations: { count: 100 },
    });
    expect(s.node('q7')).toMatchObject({ state: 'success', attempts: 1, cacheHit: false });
    expect(view!.events()).toHaveLength(202);
    expect(made()).toBe(before + 200);
    await engine.close();
  });
});
