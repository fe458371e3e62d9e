import type { NodeDescription, WorkflowDescription } from '@flowlane/core';

/** Options of {@link estimate}. */
export interface EstimateOptions {
  /** Duration (ms) of a node without `estimatedMs`, e.g. an observed average; `undefined` falls back to `defaultMs`. */
  readonly durationOf?: ((node: NodeDescription) => number | undefined) | undefined;
  /** Duration of a node with no estimate at all. Default 1, so that without estimates the critical path is the longest chain. */
  readonly defaultMs?: number | undefined;
  /** Nodes of one level that run at once, for the per-level plan. Default: unbounded. */
  readonly concurrency?: number | undefined;
}

/** One dependency level of the plan: nodes whose longest chain of dependencies has the same length. */
export interface EstimateLevel {
  readonly level: number;
  /** In the order a priority scheduler starts them: priority, then longest remaining path, then definition order. */
  readonly nodes: readonly string[];
  /** Time to run the level with `concurrency` lanes (longest-first packing). */
  readonly durationMs: number;
}

/** Per-node figures of an {@link estimate}. */
export interface NodeEstimate {
  readonly durationMs: number;
  /** Where `durationMs` came from. */
  readonly source: 'estimatedMs' | 'observed' | 'default';
  readonly level: number;
  /** This node's duration plus the longest chain of durations after it (its critical-path rank). */
  readonly remainingMs: number;
}

/** Result of {@link estimate}. */
export interface WorkflowEstimate {
  /** Length of the longest chain of node durations: the run's lower bound with unbounded concurrency. */
  readonly criticalPathMs: number;
  /** The nodes of that chain, first to last. */
  readonly criticalPath: readonly string[];
  /** The per-level plan (the seed's `estimateExecutionTime`). */
  readonly levels: readonly EstimateLevel[];
  /** Sum of level durations: the run's duration when every level waits for the previous one. */
  readonly levelPlanMs: number;
  readonly nodes: Readonly<Record<string, NodeEstimate>>;
  /** Nodes that had neither `estimatedMs` nor an observed duration. */
  readonly unestimated: readonly string[];
}

/** Internal: one node of a graph to rank. */
export interface RankNode {
  readonly id: string;
  readonly parents: readonly string[];
  readonly durationMs: number;
}

/** Internal: levels, remaining paths and a topological order of a DAG (unknown parents ignored, cycles tolerated). */
export function rankGraph(nodes: readonly RankNode[]): {
  readonly order: readonly number[];
  readonly level: readonly number[];
  readonly remaining: readonly number[];
  readonly children: readonly (readonly number[])[];
} {
  const index = new Map<string, number>();
  for (let i = 0; i < nodes.length; i++) index.set(nodes[i]!.id, i);
  const children: number[][] = nodes.map(() => []);
  const indeg = new Array<number>(nodes.length).fill(0);
  for (let i = 0; i < nodes.length; i++) {
    for (const p of new Set(nodes[i]!.parents)) {
      const j = index.get(p);
      if (j === undefined || j === i) continue;
      children[j]!.push(i);
      indeg[i]!++;
    }
  }
  const order: number[] = [];
  for (let i = 0; i < nodes.length; i++) if (indeg[i] === 0) order.push(i);
  for (let h = 0; h < order.length; h++) for (const c of children[order[h]!]!) if (--indeg[c]! === 0) order.push(c);
  // Nodes on a cycle (mixed versions of a learned graph) are ranked as if they had no children.
  if (order.length < nodes.length) for (let i = 0; i < nodes.length; i++) if (indeg[i]! > 0) order.push(i);
  const done = new Uint8Array(nodes.length);
  const level = new Array<number>(nodes.length).fill(0);
  for (const i of order) {
    done[i] = 1;
    for (const c of children[i]!) if (done[c] === 0) level[c] = Math.max(level[c]!, level[i]! + 1);
  }
  const remaining = nodes.map((n) => n.durationMs);
  done.fill(0);
  for (let k = order.length - 1; k >= 0; k--) {
    const i = order[k]!;
    done[i] = 1;
    let best = 0;
    for (const c of children[i]!) if (done[c] === 1) best = Math.max(best, remaining[c]!);
    remaining[i] = nodes[i]!.durationMs + best;
  }
  return { order, level, remaining, children };
}

/** Longest-first packing of `durations` onto `lanes` lanes; returns the busiest lane's total. */
function pack(durations: number[], lanes: number): number {
  if (durations.length === 0) return 0;
  if (lanes >= durations.length) return Math.max(...durations);
  const load = new Array<number>(lanes).fill(0);
  for (const d of durations.sort((a, b) => b - a)) {
    let m = 0;
    for (let l = 1; l < lanes; l++) if (load[l]! < load[m]!) m = l;
    load[m]! += d;
  }
  return Math.max(...load);
}

const numberOr = (v: unknown): number | undefined =>
  typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : undefined;

/**
 * Estimate a workflow's duration: the critical path (longest chain of node durations) and a per-level plan.
 * Durations come from each node's `estimatedMs`, then `durationOf` (a scheduler passes observed averages), then
 * `defaultMs`. Fallback and error-boundary nodes (which run only when needed) are left out.
 *
 * @example
 * ```ts
 * import { workflow } from '@flowlane/core';
 * import { estimate } from '@flowlane/scheduler-priority';
 * const wf = workflow('etl')
 *   .addNode('extract', () => 1, { estimatedMs: 200 })
 *   .addNode('transform', () => 2, { dependsOn: ['extract'], estimatedMs: 500 })
 *   .addNode('audit', () => 3, { dependsOn: ['extract'], estimatedMs: 100 })
 *   .build();
 * const e = estimate(wf);
 * console.log(e.criticalPathMs, e.criticalPath); // 700 [ 'extract', 'transform' ]
 * ```
 */
export function estimate(
  workflow: WorkflowDescription | { toJSON(): WorkflowDescription },
  options: EstimateOptions = {},
): WorkflowEstimate {
  const json = 'nodes' in workflow ? workflow : workflow.toJSON();
  const descs = json.nodes.filter((n) => !n.standby);
  const defaultMs = options.defaultMs ?? 1;
  const unestimated: string[] = [];
  const sources: NodeEstimate['source'][] = [];
  const graph: RankNode[] = descs.map((n) => {
    let d = numberOr(n.options.estimatedMs);
    let source: NodeEstimate['source'] = 'estimatedMs';
    if (d === undefined) {
      d = numberOr(options.durationOf?.(n));
      source = 'observed';
    }
    if (d === undefined) {
      d = defaultMs;
      source = 'default';
      unestimated.push(n.id);
    }
    sources.push(source);
    return { id: n.id, parents: n.dependsOn, durationMs: d };
  });
  const { level, remaining, children } = rankGraph(graph);
  const nodes: Record<string, NodeEstimate> = {};
  for (let i = 0; i < graph.length; i++)
    nodes[graph[i]!.id] = {
      durationMs: graph[i]!.durationMs,
      source: sources[i]!,
      level: level[i]!,
      remainingMs: remaining[i]!,
    };
  const byLevel: number[][] = [];
  for (let i = 0; i < graph.length; i++) (byLevel[level[i]!] ??= []).push(i);
  const priority = (i: number): number => {
    const p = descs[i]!.options.priority;
    return typeof p === 'number' && Number.isFinite(p) ? p : 0;
  };
  const lanes = options.concurrency ?? Number.POSITIVE_INFINITY;
  const levels: EstimateLevel[] = byLevel.map((members, l) => {
    const sorted = [...members].sort((a, b) => priority(b) - priority(a) || remaining[b]! - remaining[a]! || a - b);
    return {
      level: l,
      nodes: sorted.map((i) => graph[i]!.id),
      durationMs: pack(
        members.map((i) => graph[i]!.durationMs),
        lanes,
      ),
    };
  });
  const path: string[] = [];
  let criticalPathMs = 0;
  let cur = -1;
  for (let i = 0; i < graph.length; i++) if (level[i] === 0 && (cur === -1 || remaining[i]! > remaining[cur]!)) cur = i;
  if (cur !== -1) criticalPathMs = remaining[cur]!;
  while (cur !== -1) {
    path.push(graph[cur]!.id);
    let next = -1;
    for (const c of children[cur]!) if (next === -1 || remaining[c]! > remaining[next]!) next = c;
    cur = next;
  }
  return {
    criticalPathMs,
    criticalPath: path,
    levels,
    levelPlanMs: levels.reduce((s, l) => s + l.durationMs, 0),
    nodes,
    unestimated,
  };
}
