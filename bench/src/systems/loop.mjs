// The physical limit, for reference: no scheduler, no Promise per node — a plain loop over the nodes in topological
// order (the workloads number nodes so that parents come first), calling the same node function on the parents'
// values. With `async` nodes the loop awaits each node's own promise in turn (one promise per node, made by the node
// function itself, and one `await`): what a run costs with nothing but the nodes' own work.
// Retry (W7): try/catch around the call, as the floor does; cache (W8): the floor's Map + TTL check, in the loop.
import { MOD } from '../workloads.mjs';

export const name = 'loop';
export const version = 'hand-written';

function values(vs) {
  let s = 1;
  for (let k = 0; k < vs.length; k++) s += vs[k];
  return s % MOD;
}

export function prepare(w) {
  const { parents, n } = w.graph;
  const isAsync = w.async;
  const node = isAsync ? async (vs) => values(vs) : values;

  if (w.kind === 'cache') {
    const cache = new Map();
    const ttl = 60_000;
    const fn = isAsync ? async (x) => 1 + x : (x) => 1 + x;
    const lookup = (now) => {
      const e = cache.get('k');
      return e !== undefined && e.exp > now ? e : undefined;
    };
    return {
      run: isAsync
        ? async () => {
            let sum = 0;
            for (let r = 0; r < w.runs; r++) {
              const now = Date.now();
              const e = lookup(now);
              let v;
              if (e !== undefined) v = e.v;
              else {
                v = await fn(1);
                cache.set('k', { v, exp: now + ttl });
              }
              sum += v;
            }
            return sum;
          }
        : () => {
            let sum = 0;
            for (let r = 0; r < w.runs; r++) {
              const now = Date.now();
              const e = lookup(now);
              let v;
              if (e !== undefined) v = e.v;
              else {
                v = fn(1);
                cache.set('k', { v, exp: now + ttl });
              }
              sum += v;
            }
            return sum;
          },
      check: (sum) => sum % MOD,
    };
  }

  const attempt = (failed, i, vs) => {
    if (failed !== undefined && failed[i] === 0) {
      failed[i] = 1;
      if (isAsync) return Promise.reject(new Error('transient'));
      throw new Error('transient');
    }
    return node(vs);
  };
  const parentValues = (vals, ps) => {
    const vs = new Array(ps.length);
    for (let k = 0; k < ps.length; k++) vs[k] = vals[ps[k]];
    return vs;
  };
  const runSync = () => {
    const vals = new Float64Array(n);
    const failed = w.retry ? new Uint8Array(n) : undefined;
    for (let i = 0; i < n; i++) {
      const vs = parentValues(vals, parents[i]);
      if (failed === undefined) vals[i] = node(vs);
      else
        try {
          vals[i] = attempt(failed, i, vs);
        } catch {
          vals[i] = attempt(failed, i, vs);
        }
    }
    return vals;
  };
  const runAsync = async () => {
    const vals = new Float64Array(n);
    const failed = w.retry ? new Uint8Array(n) : undefined;
    for (let i = 0; i < n; i++) {
      const vs = parentValues(vals, parents[i]);
      if (failed === undefined) vals[i] = await node(vs);
      else
        try {
          vals[i] = await attempt(failed, i, vs);
        } catch {
          vals[i] = await attempt(failed, i, vs);
        }
    }
    return vals;
  };

  return {
    run: isAsync
      ? async () => {
          const all = new Array(w.runs);
          for (let r = 0; r < w.runs; r++) all[r] = await runAsync();
          return all;
        }
      : () => {
          const all = new Array(w.runs);
          for (let r = 0; r < w.runs; r++) all[r] = runSync();
          return all;
        },
    check(out) {
      let sum = 0;
      for (const vals of out) for (const v of vals) sum = (sum + v) % MOD;
      return sum;
    },
  };
}
