import type { GroupDef, NodeDef } from './node-def.js';

/** The validated graph in flat, index-based form (CSR adjacency, typed arrays): what the engine runs. */
export interface CompiledGraph {
  readonly ids: readonly string[];
  readonly index: ReadonlyMap<string, number>;
  readonly defs: readonly NodeDef[];
  readonly parentStart: Int32Array;
  readonly parents: Int32Array;
  readonly childStart: Int32Array;
  readonly children: Int32Array;
  readonly indegree: Int32Array;
  readonly roots: Int32Array;
  /** 1 for nodes that run only as a fallback or boundary handler. */
  readonly standby: Uint8Array;
  /** Number of nodes that are not standby. */
  readonly activeCount: number;
  /** Index of each node's fallback, or -1. */
  readonly fallbackOf: Int32Array;
  /** Boundary handler indices per guarded node index. */
  readonly boundariesOf: ReadonlyMap<number, readonly number[]>;
  /** Index of the branch that gates each node, or -1; `branchWhen` is 1 for `then`, 0 for `else`. */
  readonly branchGate: Int32Array;
  readonly branchWhen: Uint8Array;
  /** Group index per node, or -1. */
  readonly groupOf: Int32Array;
  readonly groups: readonly GroupDef[];
  /** Topological order of active nodes. */
  readonly topo: Int32Array;
}
