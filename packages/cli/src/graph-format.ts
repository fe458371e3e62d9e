import type { WorkflowDescription } from '@flowlane/core';

/** Formats `flowlane graph` can print. */
export const GRAPH_FORMATS = ['mermaid', 'dot', 'json'] as const;
/** One of {@link GRAPH_FORMATS}. */
export type GraphFormat = (typeof GRAPH_FORMATS)[number];

const EDGE_LABEL = { fallback: 'fallback', boundary: 'on error', branch: 'branch' } as const;

/**
 * A workflow description (`wf.toJSON()`) as a Mermaid flowchart: one node per workflow node (standby fallbacks and
 * error boundaries in rounded boxes), parallel groups as subgraphs, dependency edges solid, fallback and boundary
 * edges dotted with a label.
 *
 * @example
 * ```ts
 * import { toMermaid } from '@flowlane/cli';
 * import { workflow } from '@flowlane/core';
 *
 * const wf = workflow('release').addNode('build', () => 'ok').chain('test', () => true).build();
 * console.log(toMermaid(wf.toJSON()));
 * ```
 */
export function toMermaid(d: WorkflowDescription): string {
  // Mermaid ids are restricted; node ids become n0, n1, … and the real id is the label.
  const key = new Map(d.nodes.map((n, k) => [n.id, `n${k}`]));
  const label = (id: string): string => id.replace(/"/g, '#quot;');
  const box = (id: string, standby: boolean): string =>
    standby ? `${key.get(id)}(["${label(id)}"])` : `${key.get(id)}["${label(id)}"]`;
  const lines = [`flowchart TD`, `  %% workflow ${label(d.name)}${d.version === undefined ? '' : ` v${d.version}`}`];
  const grouped = new Set<string>();
  for (const [k, g] of d.groups.entries()) {
    lines.push(
      `  subgraph g${k}["${label(g.id)}${g.concurrency === undefined ? '' : ` (${g.concurrency} at a time)`}"]`,
    );
    for (const id of g.nodes) {
      const n = d.nodes.find((x) => x.id === id);
      lines.push(`    ${box(id, n?.standby ?? false)}`);
      grouped.add(id);
    }
    lines.push('  end');
  }
  for (const n of d.nodes) if (!grouped.has(n.id)) lines.push(`  ${box(n.id, n.standby)}`);
  for (const e of d.edges) {
    const from = key.get(e.from);
    const to = key.get(e.to);
    if (from === undefined || to === undefined) continue;
    lines.push(e.kind === 'dependency' ? `  ${from} --> ${to}` : `  ${from} -. ${EDGE_LABEL[e.kind]} .-> ${to}`);
  }
  return lines.join('\n');
}

const q = (s: string): string => JSON.stringify(s);

/**
 * A workflow description as Graphviz DOT: groups as clusters, standby nodes dashed, fallback and boundary edges
 * dashed with a label.
 *
 * @example
 * ```ts
 * import { writeFileSync } from 'node:fs';
 * import { toDot } from '@flowlane/cli';
 * import { workflow } from '@flowlane/core';
 *
 * const wf = workflow('release').addNode('build', () => 'ok').chain('test', () => true).build();
 * writeFileSync('release.dot', toDot(wf.toJSON())); // dot -Tsvg release.dot > release.svg
 * ```
 */
export function toDot(d: WorkflowDescription): string {
  const lines = [`digraph ${q(d.name)} {`, '  rankdir=TB;', '  node [shape=box, fontname="sans-serif"];'];
  const attrs = (id: string): string => (d.nodes.find((n) => n.id === id)?.standby ? ' [style=dashed]' : '');
  const grouped = new Set<string>();
  for (const [k, g] of d.groups.entries()) {
    lines.push(`  subgraph cluster_${k} {`);
    lines.push(`    label=${q(`${g.id}${g.concurrency === undefined ? '' : ` (${g.concurrency} at a time)`}`)};`);
    for (const id of g.nodes) {
      lines.push(`    ${q(id)}${attrs(id)};`);
      grouped.add(id);
    }
    lines.push('  }');
  }
  for (const n of d.nodes) if (!grouped.has(n.id)) lines.push(`  ${q(n.id)}${attrs(n.id)};`);
  for (const e of d.edges)
    lines.push(
      e.kind === 'dependency'
        ? `  ${q(e.from)} -> ${q(e.to)};`
        : `  ${q(e.from)} -> ${q(e.to)} [style=dashed, label=${q(EDGE_LABEL[e.kind])}];`,
    );
  lines.push('}');
  return lines.join('\n');
}

/** The description in the chosen format. */
export function formatGraph(d: WorkflowDescription, format: GraphFormat): string {
  if (format === 'mermaid') return toMermaid(d);
  if (format === 'dot') return toDot(d);
  return JSON.stringify(d, null, 2);
}
