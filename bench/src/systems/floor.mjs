// The floor: one Promise per node awaiting Promise.all(parents), written by hand, no library.
import { MOD } from '../workloads.mjs';

export const name = 'floor';
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
    // A hand-written TTL cache in front of the node: a Map lookup and a clock read per run.
    const cache = new Map();
    const ttl = 60_000;
    const fn = isAsync ? async (x) => 1 + x : (x) => 1 + x;
    const runOnce = (input) =>
      Promise.all([]).then(() => {
        const now = Date.now();
        const e = cache.get('k');
        if (e !== undefined && e.exp > now) return e.v;
        const r = fn(input.x);
        if (!isAsync) {
          cache.set('k', { v: r, exp: now + ttl });
          return r;
        }
        return r.then((v) => {
          cache.set('k', { v, exp: now + ttl });
          return v;
        });
      });
    return {
      async run() {
        let sum = 0;
        for (let r = 0; r < w.runs; r++) sum += await runOnce({ x: 1 });
        return sum;
      },
      check: (sum) => sum % MOD,
    };
  }

  const runOnce = () => {
    const p = new Array(n);
    let task = node;
    if (w.retry) {
      // Zero-delay retry, maxAttempts 2; node i throws on its first attempt in each run.
      const failed = new Uint8Array(n);
      task = (i, vs) => {
        const attempt = () => {
          if (failed[i] === 0) {
            failed[i] = 1;
            if (isAsync) return Promise.reject(new Error('transient'));
            throw new Error('transient');
          }
          return node(vs);
        };
        if (isAsync) return attempt().catch(attempt);
        try {
          return attempt();
        } catch {
          return attempt();
        }
      };
      for (let i = 0; i < n; i++) {
        const ps = parents[i];
        const deps = new Array(ps.length);
        for (let k = 0; k < ps.length; k++) deps[k] = p[ps[k]];
        p[i] = Promise.all(deps).then((vs) => task(i, vs));
      }
    } else {
      for (let i = 0; i < n; i++) {
        const ps = parents[i];
        const deps = new Array(ps.length);
        for (let k = 0; k < ps.length; k++) deps[k] = p[ps[k]];
        p[i] = Promise.all(deps).then(task);
      }
    }
    return Promise.all(p);
  };

  return {
    run() {
      if (w.runs === 1) return runOnce().then((v) => [v]);
      const all = new Array(w.runs);
      for (let r = 0; r < w.runs; r++) all[r] = runOnce();
      return Promise.all(all);
    },
    check(out) {
      let sum = 0;
      for (const vals of out) for (const v of vals) sum = (sum + v) % MOD;
      return sum;
    },
  };
}
