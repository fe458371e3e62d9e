/*
 * Contracts layer: JSON-safe descriptions of workflows and nodes, shared by the builder (which makes them) and the
 * plugin API (which hands them to schedulers, policies and stores). Imports nothing from core.
 */

/** Kinds of nodes, as they appear in descriptions. */
export type NodeKind = 'task' | 'forEach' | 'branch' | 'subworkflow' | 'boundary';

/** JSON-safe description of one node (no functions). */
export interface NodeDescription {
  readonly id: string;
  readonly kind: NodeKind;
  readonly dependsOn: readonly string[];
  /** Runs only as a fallback or boundary handler. */
  readonly standby: boolean;
  readonly group?: string | undefined;
  readonly options: Readonly<Record<string, unknown>>;
}

/** JSON-safe description of a workflow, for storage, dashboards, audit and diffs. */
export interface WorkflowDescription {
  readonly name: string;
  readonly version?: string | undefined;
  readonly nodes: readonly NodeDescription[];
  readonly edges: readonly {
    readonly from: string;
    readonly to: string;
    readonly kind: 'dependency' | 'fallback' | 'boundary' | 'branch';
  }[];
  readonly groups: readonly {
    readonly id: string;
    readonly nodes: readonly string[];
    readonly concurrency?: number | undefined;
  }[];
}
