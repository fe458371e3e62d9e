import { type DefinitionProblem, WorkflowDefinitionError } from '../errors.js';
import { checkOptions, invalid, isConcurrency, problem } from './check-node-options.js';
import type { CompiledGraph } from './compiled-graph.js';
import type { GroupDef, NodeDef } from './node-def.js';
import { checkGroupShape } from './validate-options.js';

export type { CompiledGraph } from './compiled-graph.js';

/*
 * Graph compilation of a workflow's definitions: ids, groups, fallbacks, boundaries and branches resolved to
 * indices; edges in CSR form; Kahn's topological order and the cycles left over; standby ancestry (a fallback's or
 * boundary's dependencies must be ancestors of the node it stands in for); artifact wiring. Every problem is
 * collected (with the node options' own checks) and thrown once as a WorkflowDefinitionError.
 */

/** Validates the definitions (collecting every problem) and compiles the graph. O(nodes + edges). */
export function validateAndCompile(
  name: string,
  defs: readonly NodeDef[],
  groups: readonly GroupDef[],
  workflowProblems: readonly DefinitionProblem[] = [],
): CompiledGraph {
  const problems: DefinitionProblem[] = [...workflowProblems];
  if (typeof name !== 'string' || name.trim() === '')
    problems.push(invalid(undefined, 'name', 'a workflow needs a non-empty name'));
  if (defs.length === 0) problems.push(problem('FL_EMPTY_WORKFLOW', { workflow: String(name) } as never));

  const n = defs.length;
  const index = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const d = defs[i]!;
    if (typeof d.id !== 'string' || d.id.trim() === '') {
      problems.push(
        invalid(undefined, 'node id', `expected a non-empty string, got ${JSON.stringify(d.id) ?? String(d.id)}`),
      );
      continue;
    }
    if (index.has(d.id)) problems.push(problem('FL_DUPLICATE_NODE', { nodeId: d.id } as never, d.id));
    else index.set(d.id, i);
    checkOptions(d, problems);
  }
  for (const g of groups) {
    checkGroupShape(g, problems);
    if (g.concurrency !== undefined && !isConcurrency(g.concurrency))
      problems.push(
        invalid(undefined, `concurrency of group "${g.id}"`, `expected an integer ≥ 1, got ${String(g.concurrency)}`),
      );
  }

  // Fallbacks, boundaries and branches.
  const fallbackOf = new Int32Array(n).fill(-1);
  const standby = new Uint8Array(n);
  const branchGate = new Int32Array(n).fill(-1);
  const branchWhen = new Uint8Array(n);
  const boundariesOf = new Map<number, number[]>();
  for (let i = 0; i < n; i++) {
    const d = defs[i]!;
    const fb = d.options?.fallback;
    if (typeof fb === 'string') {
      const j = index.get(fb);
      if (j === undefined) problems.push(problem('FL_UNKNOWN_FALLBACK', { nodeId: d.id, fallback: fb } as never, d.id));
      else {
        fallbackOf[i] = j;
        standby[j] = 1;
      }
    }
    if (d.kind === 'boundary') {
      standby[i] = 1;
      for (const target of d.forNodes ?? []) {
        const j = index.get(target);
        if (j === undefined)
          problems.push(problem('FL_UNKNOWN_BOUNDARY_TARGET', { nodeId: d.id, target } as never, d.id));
        else {
          const list = boundariesOf.get(j);
          if (list === undefined) boundariesOf.set(j, [i]);
          else list.push(i);
        }
      }
    }
    if (d.kind === 'branch') {
      const mark = (targets: readonly string[] | undefined, when: number): void => {
        for (const target of Array.isArray(targets) ? targets : []) {
          const j = index.get(target);
          if (j === undefined) problems.push(invalid(d.id, 'branch', `target "${target}" is not defined`));
          else if (branchGate[j] !== -1 && branchGate[j] !== i)
            problems.push(
              invalid(target, 'branch', `is the target of two branches ("${defs[branchGate[j]!]!.id}" and "${d.id}")`),
            );
          else {
            branchGate[j] = i;
            branchWhen[j] = when;
          }
        }
      };
      mark(d.branchThen, 1);
      mark(d.branchElse, 0);
    }
  }
  // Fallback cycles.
  const fbState = new Uint8Array(n); // 0 new, 1 on path, 2 done
  for (let i = 0; i < n; i++) {
    if (fbState[i] !== 0 || fallbackOf[i] === -1) continue;
    const path: number[] = [];
    let k = i;
    while (k !== -1 && fbState[k] === 0) {
      fbState[k] = 1;
      path.push(k);
      k = fallbackOf[k]!;
    }
    if (k !== -1 && fbState[k] === 1) {
      const start = path.indexOf(k);
      const cycle = [...path.slice(start), k].map((x) => defs[x]!.id);
      problems.push(problem('FL_FALLBACK_CYCLE', { path: cycle } as never, defs[k]!.id));
    }
    for (const p of path) fbState[p] = 2;
  }

  // Edges (dependsOn + branch gates), CSR.
  const parentCount = new Int32Array(n);
  const edgesFrom: number[] = [];
  const edgesTo: number[] = [];
  for (let i = 0; i < n; i++) {
    const d = defs[i]!;
    const deps = Array.isArray(d.options?.dependsOn) ? d.options.dependsOn : [];
    const seen = deps.length > 1 ? new Set<string>() : undefined;
    for (const dep of deps) {
      if (seen !== undefined) {
        if (seen.has(dep)) continue;
        seen.add(dep);
      }
      const j = index.get(dep);
      if (j === undefined) {
        problems.push(problem('FL_MISSING_DEPENDENCY', { nodeId: d.id, dependency: String(dep) } as never, d.id));
        continue;
      }
      // Fallbacks and boundaries run only in place of a failed node: their dependencies are not graph edges
      // (checkStandbyDependencies makes sure they are ancestors of the node they stand in for).
      if (standby[i] === 1) continue;
      if (standby[j] === 1) {
        problems.push(
          invalid(
            d.id,
            'dependsOn',
            `"${dep}" runs only as a fallback or error boundary; depend on the node it stands in for`,
          ),
        );
        continue;
      }
      edgesFrom.push(j);
      edgesTo.push(i);
      parentCount[i]!++;
    }
    const gate = branchGate[i]!;
    if (gate !== -1 && !deps.includes(defs[gate]!.id)) {
      edgesFrom.push(gate);
      edgesTo.push(i);
      parentCount[i]!++;
    }
  }
  const m = edgesFrom.length;
  const parentStart = new Int32Array(n + 1);
  const childStart = new Int32Array(n + 1);
  for (let e = 0; e < m; e++) childStart[edgesFrom[e]! + 1]!++;
  for (let i = 0; i < n; i++) {
    parentStart[i + 1] = parentStart[i]! + parentCount[i]!;
    childStart[i + 1] = childStart[i + 1]! + childStart[i]!;
  }
  const parents = new Int32Array(m);
  const children = new Int32Array(m);
  const pFill = parentStart.slice(0, n);
  const cFill = childStart.slice(0, n);
  for (let e = 0; e < m; e++) {
    const from = edgesFrom[e]!;
    const to = edgesTo[e]!;
    parents[pFill[to]!++] = from;
    children[cFill[from]!++] = to;
  }

  // Kahn: topological order, cycles among the rest.
  const indegree = Int32Array.from(parentCount);
  const deg = Int32Array.from(parentCount);
  const topo = new Int32Array(n);
  let head = 0;
  let tail = 0;
  for (let i = 0; i < n; i++) if (deg[i] === 0) topo[tail++] = i;
  while (head < tail) {
    const v = topo[head++]!;
    for (let e = childStart[v]!; e < childStart[v + 1]!; e++) {
      const c = children[e]!;
      if (--deg[c]! === 0) topo[tail++] = c;
    }
  }
  if (tail < n)
    for (const cycle of findCycles(n, deg, childStart, children))
      problems.push(problem('FL_CYCLE', { path: cycle.map((x) => defs[x]!.id) } as never, defs[cycle[0]!]!.id));

  // Fallbacks and boundaries run with the results of the node they stand in for: their own
  // dependencies must be ancestors of that node.
  if (problems.length === 0)
    checkStandbyDependencies(defs, index, fallbackOf, boundariesOf, parentStart, parents, problems);

  checkArtifacts(defs, parentStart, parents, problems);

  if (problems.length > 0) throw new WorkflowDefinitionError(String(name), problems);

  const groupIndex = new Map(groups.map((g, i) => [g.id, i]));
  const groupOf = new Int32Array(n).fill(-1);
  for (let i = 0; i < n; i++) {
    const g = defs[i]!.group;
    if (g !== undefined) groupOf[i] = groupIndex.get(g) ?? -1;
  }
  let activeCount = 0;
  const rootList: number[] = [];
  const activeTopo: number[] = [];
  for (let k = 0; k < n; k++) {
    const i = topo[k]!;
    if (standby[i] === 1) continue;
    activeCount++;
    activeTopo.push(i);
    if (indegree[i] === 0) rootList.push(i);
  }
  return {
    ids: defs.map((d) => d.id),
    index,
    defs,
    parentStart,
    parents,
    childStart,
    children,
    indegree,
    roots: Int32Array.from(rootList),
    standby,
    activeCount,
    fallbackOf,
    boundariesOf,
    branchGate,
    branchWhen,
    groupOf,
    groups,
    topo: Int32Array.from(activeTopo),
  };
}

/** Finds cycles among nodes left with in-degree > 0 after Kahn (iterative DFS, at most 10 reported). */
function findCycles(n: number, deg: Int32Array, childStart: Int32Array, children: Int32Array): number[][] {
  const color = new Uint8Array(n); // 0 white, 1 grey, 2 black
  const cycles: number[][] = [];
  const stack: number[] = [];
  const edgeAt: number[] = [];
  for (let s = 0; s < n && cycles.length < 10; s++) {
    if (deg[s] === 0 || color[s] !== 0) continue;
    stack.push(s);
    edgeAt.push(childStart[s]!);
    color[s] = 1;
    while (stack.length > 0) {
      const top = stack.length - 1;
      const v = stack[top]!;
      const e = edgeAt[top]!;
      if (e < childStart[v + 1]!) {
        edgeAt[top] = e + 1;
        const c = children[e]!;
        if (deg[c] === 0) continue;
        if (color[c] === 0) {
          color[c] = 1;
          stack.push(c);
          edgeAt.push(childStart[c]!);
        } else if (color[c] === 1 && cycles.length < 10) {
          const start = stack.indexOf(c);
          cycles.push([...stack.slice(start), c]);
        }
      } else {
        color[v] = 2;
        stack.pop();
        edgeAt.pop();
      }
    }
  }
  return cycles;
}

function checkStandbyDependencies(
  defs: readonly NodeDef[],
  index: ReadonlyMap<string, number>,
  fallbackOf: Int32Array,
  boundariesOf: ReadonlyMap<number, readonly number[]>,
  parentStart: Int32Array,
  parents: Int32Array,
  problems: DefinitionProblem[],
): void {
  const ancestorsOf = (i: number): Set<number> => {
    const seen = new Set<number>();
    const stack = [i];
    while (stack.length > 0) {
      const v = stack.pop()!;
      for (let e = parentStart[v]!; e < parentStart[v + 1]!; e++) {
        const p = parents[e]!;
        if (!seen.has(p)) {
          seen.add(p);
          stack.push(p);
        }
      }
    }
    return seen;
  };
  const check = (primary: number, standbyNode: number, role: string): void => {
    const deps = defs[standbyNode]!.options.dependsOn ?? [];
    if (deps.length === 0) return;
    const anc = ancestorsOf(primary);
    for (const dep of deps) {
      const j = index.get(dep);
      if (j !== undefined && !anc.has(j))
        problems.push(
          invalid(
            defs[standbyNode]!.id,
            'dependsOn',
            `as ${role} of "${defs[primary]!.id}" it may only depend on that node's ancestors, and "${dep}" is not one`,
          ),
        );
    }
  };
  for (let i = 0; i < defs.length; i++) {
    if (fallbackOf[i] === -1 || defs[i]!.kind === 'boundary') continue;
    if (fallbackOf.indexOf(i) !== -1) continue; // fallbacks of fallbacks are checked from the chain's head
    for (let k = fallbackOf[i]!; k !== -1; k = fallbackOf[k]!) check(i, k, 'fallback');
  }
  for (const [target, handlers] of boundariesOf) for (const h of handlers) check(target, h, 'error boundary');
}

/** Artifact names are unique per workflow, and a node may only receive artifacts its ancestors collect. */
function checkArtifacts(
  defs: readonly NodeDef[],
  parentStart: Int32Array,
  parents: Int32Array,
  problems: DefinitionProblem[],
): void {
  const producer = new Map<string, number>();
  const list = <T>(v: readonly T[] | undefined): readonly T[] => (Array.isArray(v) ? v : []);
  for (let i = 0; i < defs.length; i++)
    for (const o of list(defs[i]!.options?.artifacts?.out)) {
      const first = producer.get(o.name);
      if (first !== undefined)
        problems.push(
          invalid(
            defs[i]!.id,
            'artifacts',
            `artifact "${o.name}" is already collected by "${defs[first]!.id}"; use another name`,
          ),
        );
      else producer.set(o.name, i);
    }
  for (let i = 0; i < defs.length; i++) {
    const wanted = list(defs[i]!.options?.artifacts?.in);
    if (wanted.length === 0) continue;
    const ancestors = new Set<number>();
    const stack = [i];
    while (stack.length > 0) {
      const v = stack.pop()!;
      for (let e = parentStart[v]!; e < parentStart[v + 1]!; e++) {
        const p = parents[e]!;
        if (!ancestors.has(p)) {
          ancestors.add(p);
          stack.push(p);
        }
      }
    }
    for (const w of wanted) {
      const p = producer.get(w.name);
      if (p === undefined) problems.push(invalid(defs[i]!.id, 'artifacts', `no node collects artifact "${w.name}"`));
      else if (!ancestors.has(p))
        problems.push(
          invalid(
            defs[i]!.id,
            'artifacts',
            `artifact "${w.name}" is collected by "${defs[p]!.id}", which is not an ancestor: add it to dependsOn`,
          ),
        );
    }
  }
}
