import type { NodeDescription, WorkflowDescription } from '@flowlane/core';
import { estimate, rankGraph, type WorkflowEstimate } from './estimate.js';

interface KnownGraph {
  readonly nodes: Map<string, NodeDescription>;
  readonly seen: WeakSet<NodeDescription>;
  ranks: Map<string, number> | undefined;
  dirty: boolean;
  rankedFor: string | undefined;
}

interface Observed {
  n: number;
  mean: number;
}

/** Observations weigh like a moving average over the last `WINDOW` runs of a node. */
const WINDOW = 20;

const estimatedMs = (node: NodeDescription): number | undefined => {
  const v = node.options.estimatedMs;
  return typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : undefined;
};

/**
 * Internal: critical-path ranks (a node's duration plus the longest chain after it) per workflow name. The graph is
 * registered up front or learned from admission requests; durations come from `estimatedMs`, then observed runs,
 * then a default. Ranks are recomputed lazily, at most once per run, when the graph or an observation changed.
 */
export class CriticalPathRanks {
  readonly #defaultMs: number;
  readonly #graphs = new Map<string, KnownGraph>();
  readonly #observed = new Map<string, Map<string, Observed>>();

  constructor(defaultMs: number) {
    this.#defaultMs = defaultMs;
  }

  #graph(workflow: string): KnownGraph {
    let g = this.#graphs.get(workflow);
    if (g === undefined) {
      g = { nodes: new Map(), seen: new WeakSet(), ranks: undefined, dirty: true, rankedFor: undefined };
      this.#graphs.set(workflow, g);
    }
    return g;
  }

  /** Replace what is known of `json.name`'s graph with the full description. */
  register(json: WorkflowDescription): void {
    const g: KnownGraph = {
      nodes: new Map(),
      seen: new WeakSet(),
      ranks: undefined,
      dirty: true,
      rankedFor: undefined,
    };
    for (const n of json.nodes) {
      if (n.standby) continue;
      g.nodes.set(n.id, n);
      g.seen.add(n);
    }
    this.#graphs.set(json.name, g);
  }

  /** The node's critical-path rank for a request of run `executionId` (learning the node if it is new). */
  rank(workflow: string, executionId: string, node: NodeDescription): number {
    const g = this.#graph(workflow);
    if (!g.seen.has(node)) {
      g.seen.add(node);
      g.nodes.set(node.id, node);
      g.dirty = true;
    }
    if (g.dirty && g.rankedFor !== executionId) this.#recompute(workflow, g, executionId);
    return g.ranks?.get(node.id) ?? this.durationOf(workflow, node);
  }

  #recompute(workflow: string, g: KnownGraph, executionId: string): void {
    const list = [...g.nodes.values()];
    const { remaining } = rankGraph(
      list.map((n) => ({ id: n.id, parents: n.dependsOn, durationMs: this.durationOf(workflow, n) })),
    );
    g.ranks = new Map(list.map((n, i) => [n.id, remaining[i]!]));
    g.dirty = false;
    g.rankedFor = executionId;
  }

  /** `estimatedMs`, else the observed average, else the default. */
  durationOf(workflow: string, node: NodeDescription): number {
    return estimatedMs(node) ?? this.observedMs(workflow, node.id) ?? this.#defaultMs;
  }

  observedMs(workflow: string, nodeId: string): number | undefined {
    return this.#observed.get(workflow)?.get(nodeId)?.mean;
  }

  /** Record a successful run of a node that took `ms` (only nodes without `estimatedMs` change ranks). */
  observe(workflow: string, node: NodeDescription, ms: number): void {
    let byNode = this.#observed.get(workflow);
    if (byNode === undefined) this.#observed.set(workflow, (byNode = new Map()));
    const o = byNode.get(node.id);
    let changed = true;
    if (o === undefined) byNode.set(node.id, { n: 1, mean: ms });
    else {
      const before = o.mean;
      o.n = Math.min(o.n + 1, WINDOW);
      o.mean += (ms - o.mean) / o.n;
      // Ranks are recomputed only for changes that matter (stable durations cost nothing per run).
      changed = Math.abs(o.mean - before) > Math.max(1, 0.05 * before);
    }
    if (changed && estimatedMs(node) === undefined) {
      const g = this.#graphs.get(workflow);
      if (g !== undefined) g.dirty = true;
    }
  }

  estimate(workflow: WorkflowDescription, concurrency: number): WorkflowEstimate {
    return estimate(workflow, {
      durationOf: (n) => this.observedMs(workflow.name, n.id),
      defaultMs: this.#defaultMs,
      concurrency,
    });
  }
}
