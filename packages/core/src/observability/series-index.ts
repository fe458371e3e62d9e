/**
 * The label value that workflow names and node ids beyond `maxWorkflows` / `maxNodeIds` collapse to.
 *
 * @example
 * ```ts
 * import { OVERFLOW_LABEL } from '@flowlane/core';
 * console.log(OVERFLOW_LABEL); // other
 * ```
 */
export const OVERFLOW_LABEL = 'other';

/** Limits of {@link createSeriesIndex}. */
export interface SeriesLimits {
  /** Distinct workflow names kept as label values; later ones become `other`. */
  readonly maxWorkflows: number;
  /** Distinct node ids kept per workflow; later ones become `other`. */
  readonly maxNodeIds: number;
}

/** A workflow's slot and the slots of its nodes. */
export interface WorkflowEntry<W, N> {
  readonly slot: W;
  readonly nodes: Map<string, N>;
  other: N | undefined;
}

/** Bounded lookup of per-workflow and per-node slots (see {@link createSeriesIndex}). */
export interface SeriesIndex<W, N> {
  /** The entry of a workflow name (the `other` entry once `maxWorkflows` names are known). */
  workflow(name: string): WorkflowEntry<W, N>;
  /** The slot of a node of a workflow (the workflow's `other` slot once `maxNodeIds` ids are known). */
  node(workflow: WorkflowEntry<W, N>, nodeId: string): N;
}

/**
 * For exporter authors: maps workflow names and node ids to slots that cache everything an exporter needs per label set, with
 * bounded cardinality. The first `maxWorkflows` workflow names (and the first `maxNodeIds` node ids of each
 * workflow) keep their own slot; later ones share an `other` slot. Names beyond the limits are not remembered, so
 * memory stays bounded whatever the input. Hot path: one `Map` lookup per name.
 *
 * @example
 * ```ts
 * import { createSeriesIndex } from '@flowlane/core';
 *
 * const index = createSeriesIndex({ maxWorkflows: 50, maxNodeIds: 100 }, (wf) => ({ wf }), (w, node) => ({ ...w, node }));
 * const slot = index.node(index.workflow('etl'), 'extract'); // { wf: 'etl', node: 'extract' }
 * ```
 */
export function createSeriesIndex<W, N>(
  limits: SeriesLimits,
  makeWorkflow: (label: string) => W,
  makeNode: (workflow: W, label: string) => N,
): SeriesIndex<W, N> {
  const workflows = new Map<string, WorkflowEntry<W, N>>();
  let overflow: WorkflowEntry<W, N> | undefined;
  const entry = (label: string): WorkflowEntry<W, N> => ({
    slot: makeWorkflow(label),
    nodes: new Map(),
    other: undefined,
  });
  return {
    workflow(name) {
      const w = workflows.get(name);
      if (w !== undefined) return w;
      if (workflows.size < limits.maxWorkflows && name !== OVERFLOW_LABEL) {
        const created = entry(name);
        workflows.set(name, created);
        return created;
      }
      return (overflow ??= entry(OVERFLOW_LABEL));
    },
    node(workflow, nodeId) {
      const n = workflow.nodes.get(nodeId);
      if (n !== undefined) return n;
      if (workflow.nodes.size < limits.maxNodeIds && nodeId !== OVERFLOW_LABEL) {
        const created = makeNode(workflow.slot, nodeId);
        workflow.nodes.set(nodeId, created);
        return created;
      }
      return (workflow.other ??= makeNode(workflow.slot, OVERFLOW_LABEL));
    },
  };
}
