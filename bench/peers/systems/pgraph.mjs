// p-graph: a PGraph built once from the node map and dependency list; each run passes a shared runner
// (`graph.run({ run })`, as p-graph's README recommends for reusing one graph) that writes into a per-run array.
import { createRequire } from 'node:module';
import { PGraph } from 'p-graph';
import { MOD } from '../../src/workloads.mjs';

export const name = 'p-graph';
export const version = createRequire(import.meta.url)('p-graph/package.json').version;

export function skipReason(w) {
  if (w.kind === 'cache') return 'p-graph has no result cache';
  if (w.retry) return 'p-graph has no retry policy';
  return undefined;
}

export function prepare(w) {
  const { parents, n } = w.graph;
  const nodeMap = new Map();
  const deps = [];
  for (let i = 0; i < n; i++) {
    nodeMap.set(String(i), {});
    for (const p of parents[i]) deps.push([String(p), String(i)]);
  }
  const graph = new PGraph(nodeMap, deps);
  const isAsync = w.async;
  const runOnce = async () => {
    const vals = new Float64Array(n);
    const compute = (i) => {
      const ps = parents[i];
      let s = 1;
      for (let k = 0; k < ps.length; k++) s += vals[ps[k]];
      vals[i] = s % MOD;
    };
    const run = isAsync
      ? async (id) => {
          compute(+id);
        }
      : (id) => {
          compute(+id);
        };
    await graph.run({ run });
    return vals;
  };
  return {
    run() {
      const all = new Array(w.runs);
      for (let r = 0; r < w.runs; r++) all[r] = runOnce();
      return Promise.all(all);
    },
    check(out) {
      let s = 0;
      for (const vals of out) for (const v of vals) s = (s + v) % MOD;
      return s;
    },
  };
}
