import { createHash } from 'node:crypto';
import type { GraphNodeSignature } from '../plugin/contracts/execution-store.js';
import type { Workflow } from '../workflow.js';

/** Options that only describe a node (for dashboards and metrics) and never change what a run does. */
const DESCRIPTIVE = new Set(['tags', 'meta', 'estimatedMs', 'runOn']);

/** A workflow's graph signature: per node its parents and a hash of its behaviour, plus one hash of the whole. */
export interface GraphSignature {
  readonly hash: string;
  readonly nodes: Readonly<Record<string, GraphNodeSignature>>;
}

const cache = new WeakMap<object, GraphSignature>();

const sha = (s: string): string => createHash('sha256').update(s).digest('hex').slice(0, 16);

/** JSON with sorted object keys. */
function canonical(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) =>
    x !== null && typeof x === 'object' && !Array.isArray(x)
      ? Object.fromEntries(
          Object.entries(x as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
        )
      : x,
  );
}

/**
 * The graph signature of a built workflow (ids, edges, and the options that change behaviour: retry, timeout,
 * fallback, onError, cache, condition presence, executor, …; not tags or meta). Node function bodies are not part
 * of it: changing what a node does without changing the graph is the author's call (bump the version).
 *
 * @example
 * ```ts
 * import { graphSignature, workflow } from '@flowlane/core';
 *
 * const wf = workflow('w').addNode('a', () => 1).build();
 * graphSignature(wf).hash; // '3f1c…'
 * ```
 */
export function graphSignature(wf: Workflow<unknown, object>): GraphSignature {
  const hit = cache.get(wf);
  if (hit !== undefined) return hit;
  const json = wf.toJSON();
  const nodes: Record<string, GraphNodeSignature> = {};
  for (const n of json.nodes) {
    const options: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(n.options)) if (!DESCRIPTIVE.has(k)) options[k] = v;
    nodes[n.id] = {
      dependsOn: [...n.dependsOn].sort(),
      hash: sha(canonical({ kind: n.kind, standby: n.standby, group: n.group, options })),
    };
  }
  const edges = json.edges.map((e) => `${e.from}>${e.to}:${e.kind}`).sort();
  const sig: GraphSignature = { hash: sha(canonical({ nodes, edges })), nodes };
  cache.set(wf, sig);
  return sig;
}

/** What changed between the graph a run recorded and a definition: nodes added, removed or changed. */
export function diffGraphs(
  recorded: Readonly<Record<string, GraphNodeSignature>>,
  current: Readonly<Record<string, GraphNodeSignature>>,
): { nodeId: string; change: 'added' | 'removed' | 'changed' }[] {
  const out: { nodeId: string; change: 'added' | 'removed' | 'changed' }[] = [];
  for (const id of Object.keys(recorded)) {
    const c = current[id];
    if (c === undefined) out.push({ nodeId: id, change: 'removed' });
    else if (c.hash !== recorded[id]!.hash || c.dependsOn.join('\0') !== recorded[id]!.dependsOn.join('\0'))
      out.push({ nodeId: id, change: 'changed' });
  }
  for (const id of Object.keys(current)) if (recorded[id] === undefined) out.push({ nodeId: id, change: 'added' });
  return out;
}
