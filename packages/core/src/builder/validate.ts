import { type DefinitionProblem, ErrorCodes, WorkflowDefinitionError } from '../errors.js';
import { isTimerMs, timerReason } from '../options/timer-ms.js';
import { permissionProblems } from './check-permissions.js';
import type { GroupDef, NodeDef } from './node-def.js';
import type { NodeOptions, RetryPolicy } from './types.js';
import { checkCallOptions, checkGroupShape, checkNodeShape } from './validate-options.js';

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

const ON_ERROR = new Set(['fail', 'continue', 'fallback']);

function problem(code: keyof typeof ErrorCodes, details: never, nodeId?: string): DefinitionProblem {
  const format = ErrorCodes[code] as (d: never) => string;
  return { code, message: format(details), ...(nodeId === undefined ? {} : { nodeId }) };
}

const invalid = (nodeId: string | undefined, option: string, reason: string): DefinitionProblem =>
  problem('FL_INVALID_OPTION', { nodeId, option, reason } as never, nodeId);

const isPositive = (v: unknown): boolean => typeof v === 'number' && Number.isFinite(v) && v > 0;
const isNonNegative = (v: unknown): boolean => typeof v === 'number' && Number.isFinite(v) && v >= 0;
const isConcurrency = (v: unknown): boolean =>
  v === Number.POSITIVE_INFINITY || (typeof v === 'number' && Number.isInteger(v) && v >= 1);

/** `args`, `timeout`, `env` and `cwd` of a health check or rollback command. */
function checkCommandExtras(
  out: DefinitionProblem[],
  id: string,
  option: string,
  c: { args?: unknown; timeout?: unknown; env?: unknown; cwd?: unknown },
): void {
  if (c.args !== undefined && !(Array.isArray(c.args) && c.args.every((a) => typeof a === 'string')))
    out.push(invalid(id, `${option}.args`, 'expected an array of strings'));
  if (c.timeout !== undefined && !(isNonNegative(c.timeout) && (c.timeout as number) > 0))
    out.push(invalid(id, `${option}.timeout`, `expected a number of ms > 0, got ${String(c.timeout)}`));
  if (
    c.env !== undefined &&
    !(
      typeof c.env === 'object' &&
      c.env !== null &&
      !Array.isArray(c.env) &&
      Object.values(c.env).every((v) => typeof v === 'string')
    )
  )
    out.push(invalid(id, `${option}.env`, 'expected an object of string values'));
  if (c.cwd !== undefined && (typeof c.cwd !== 'string' || c.cwd === ''))
    out.push(invalid(id, `${option}.cwd`, 'expected a directory path'));
}

function checkRetry(id: string, r: RetryPolicy, out: DefinitionProblem[]): void {
  if (typeof r !== 'object' || r === null) {
    out.push(invalid(id, 'retry', 'expected an object like { maxAttempts: 3 }'));
    return;
  }
  if (!(typeof r.maxAttempts === 'number' && Number.isInteger(r.maxAttempts) && r.maxAttempts >= 1))
    out.push(invalid(id, 'retry.maxAttempts', `expected an integer ≥ 1, got ${String(r.maxAttempts)}`));
  if (r.initialInterval !== undefined && !isNonNegative(r.initialInterval))
    out.push(invalid(id, 'retry.initialInterval', `expected a number of ms ≥ 0, got ${String(r.initialInterval)}`));
  if (r.backoffCoefficient !== undefined && !isPositive(r.backoffCoefficient))
    out.push(invalid(id, 'retry.backoffCoefficient', `expected a number > 0, got ${String(r.backoffCoefficient)}`));
  if (r.maxInterval !== undefined && !isNonNegative(r.maxInterval))
    out.push(invalid(id, 'retry.maxInterval', `expected a number of ms ≥ 0, got ${String(r.maxInterval)}`));
  if (r.jitter !== undefined && typeof r.jitter !== 'boolean' && !(isNonNegative(r.jitter) && r.jitter <= 1))
    out.push(invalid(id, 'retry.jitter', `expected a boolean or a fraction between 0 and 1, got ${String(r.jitter)}`));
  if (r.onRetry !== undefined && typeof r.onRetry !== 'function')
    out.push(invalid(id, 'retry.onRetry', 'expected a function'));
}

function checkOptions(def: NodeDef, out: DefinitionProblem[]): void {
  const id = def.id;
  const o = def.options as NodeOptions;
  if (typeof o !== 'object' || o === null) {
    checkCallOptions(def, out);
    return;
  }
  checkNodeShape(def, out);
  if (typeof def.fn !== 'function') out.push(invalid(id, 'function', `expected a node function, got ${typeof def.fn}`));
  if (o.dependsOn !== undefined && !Array.isArray(o.dependsOn))
    out.push(invalid(id, 'dependsOn', 'expected an array of node ids'));
  if (o.timeout !== undefined && !isTimerMs(o.timeout)) out.push(invalid(id, 'timeout', timerReason(o.timeout)));
  if (o.retry !== undefined) checkRetry(id, o.retry, out);
  if (o.permissions !== undefined)
    for (const x of permissionProblems(o.permissions)) out.push(invalid(id, x.option, x.reason));
  if (o.condition !== undefined && typeof o.condition !== 'function')
    out.push(invalid(id, 'condition', 'expected a function'));
  if (o.onError !== undefined && !ON_ERROR.has(o.onError as string))
    out.push(invalid(id, 'onError', `expected 'fail', 'continue' or 'fallback', got ${String(o.onError)}`));
  if (o.onError === 'fallback' && o.fallback === undefined)
    out.push(invalid(id, 'onError', "'fallback' needs a fallback node: add fallback: '<node id>'"));
  if (o.fallback !== undefined && typeof o.fallback !== 'string')
    out.push(invalid(id, 'fallback', 'expected a node id'));
  if (o.cache !== undefined) {
    if (typeof o.cache !== 'object' || o.cache === null || !isPositive(o.cache.ttl))
      out.push(invalid(id, 'cache.ttl', `expected a number of ms > 0, got ${String(o.cache?.ttl)}`));
    else if (o.cache.keyFn !== undefined && typeof o.cache.keyFn !== 'function')
      out.push(invalid(id, 'cache.keyFn', 'expected a function'));
  }
  if (o.priority !== undefined && !(typeof o.priority === 'number' && Number.isFinite(o.priority)))
    out.push(invalid(id, 'priority', `expected a finite number, got ${String(o.priority)}`));
  if (o.estimatedMs !== undefined && !isNonNegative(o.estimatedMs))
    out.push(invalid(id, 'estimatedMs', `expected a number of ms ≥ 0, got ${String(o.estimatedMs)}`));
  if (o.healthCheck !== undefined) {
    const h = o.healthCheck;
    if (typeof h?.command !== 'string' || h.command === '')
      out.push(invalid(id, 'healthCheck.command', 'expected a command'));
    if (h?.retries !== undefined && !(Number.isInteger(h.retries) && h.retries >= 1))
      out.push(invalid(id, 'healthCheck.retries', 'expected an integer ≥ 1'));
    if (h?.interval !== undefined && !isNonNegative(h.interval))
      out.push(invalid(id, 'healthCheck.interval', 'expected ms ≥ 0'));
    checkCommandExtras(out, id, 'healthCheck', h);
  }
  if (o.rollback !== undefined && typeof o.rollback !== 'function') {
    const r = o.rollback as { command?: unknown; args?: unknown; timeout?: unknown; env?: unknown; cwd?: unknown };
    if (typeof r?.command !== 'string' || r.command === '')
      out.push(invalid(id, 'rollback', 'expected a function or { command }'));
    else checkCommandExtras(out, id, 'rollback', r);
  }
  if (o.artifacts !== undefined) {
    const a = o.artifacts;
    const okList = (list: unknown, keys: readonly string[]): boolean =>
      list === undefined ||
      (Array.isArray(list) &&
        list.every(
          (x) =>
            typeof x === 'object' &&
            x !== null &&
            keys.every(
              (k) => typeof (x as Record<string, unknown>)[k] === 'string' && (x as Record<string, string>)[k] !== '',
            ),
        ));
    if (typeof a !== 'object' || a === null || !okList(a.out, ['from', 'name']) || !okList(a.in, ['name', 'to']))
      out.push(
        invalid(id, 'artifacts', 'expected { out?: [{ from, name }], in?: [{ name, to }] } with non-empty strings'),
      );
    else if (o.cache !== undefined && (a.out?.length ?? 0) > 0)
      out.push(
        invalid(
          id,
          'artifacts',
          'a cached node cannot collect artifacts (a cache hit does not run it); remove cache or artifacts.out',
        ),
      );
  }
  if (o.meta !== undefined) {
    try {
      JSON.stringify(o.meta);
    } catch (e) {
      out.push(
        invalid(
          id,
          'meta',
          `must be JSON-serialisable (it is part of the workflow description): ${(e as Error).message}`,
        ),
      );
    }
  }
  const mismatch = def.parallelMismatch;
  if (typeof mismatch === 'number')
    out.push(
      invalid(
        id,
        'parallel',
        mismatch < 0 ? 'expected an array of functions' : `got ${mismatch} functions for a different number of ids`,
      ),
    );
  if (def.kind === 'forEach') {
    if (!isConcurrency(def.concurrency))
      out.push(invalid(id, 'concurrency', `expected an integer ≥ 1, got ${String(def.concurrency)}`));
    if (!Array.isArray(def.items) && typeof def.items !== 'function')
      out.push(invalid(id, 'items', 'expected an array or a function returning one'));
    if (def.failurePolicy !== 'fail-fast' && def.failurePolicy !== 'allSettled')
      out.push(invalid(id, 'failurePolicy', `expected 'fail-fast' or 'allSettled', got ${String(def.failurePolicy)}`));
  }
  if (def.kind === 'subworkflow' && (typeof def.child !== 'object' || def.child === null))
    out.push(invalid(id, 'subworkflow', 'expected a built workflow (call .build() on the child builder)'));
  if (def.kind === 'boundary' && (!Array.isArray(def.forNodes) || def.forNodes.length === 0))
    out.push(invalid(id, 'forNodes', 'an error boundary needs at least one node in forNodes'));
}

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
