// The floor: one Promise per node awaiting Promise.all(parents), written by hand, no library.
//
// Plain nodes: `Promise.all(parents).then(fn)` (the callback returns a value: one promise hop per node).
// Async nodes have more than one hand-written form, and the obvious one is not the tightest: `.then(asyncFn)` returns a
// promise from a `then` callback, so every node pays a promise-adoption step (a NewPromiseResolveThenableJob and two
// more microtask ticks) that an engine calling `fn(ctx).then(settle)` does not pay. So that the async floor never
// flatters a system, the worker measures every form of `floorForms(w)` after the warm-up, in the same process, and
// uses the fastest as the floor (its name is reported as `floorForm`):
//   then   — `Promise.all(parents).then(asyncFn)` (the previous floor; adopts the node's promise)
//   await  — an async function per node: `await Promise.all(parents)`, then `await asyncFn(values)` (no adoption)
//   direct — the node's own promise where there is nothing to wait for: a source node is `asyncFn([])` itself, a
//            single-parent node `parent.then((v) => asyncFn([v]))` (no Promise.all), others as `then`
import { MOD } from '../workloads.mjs';

export const name = 'floor';
export const version = 'hand-written';

const EMPTY = Object.freeze([]);

function values(vs) {
  let s = 1;
  for (let k = 0; k < vs.length; k++) s += vs[k];
  return s % MOD;
}

/** The hand-written forms of this workload's floor; the worker keeps the fastest (the first is the default). */
export function floorForms(w) {
  if (!w.async) return ['then'];
  return w.kind === 'cache' ? ['then', 'await'] : ['then', 'await', 'direct'];
}

export function prepare(w, form = 'then') {
  if (!floorForms(w).includes(form)) throw new Error(`floor: no form "${form}" for ${w.id} (${w.variant})`);
  const { parents, n } = w.graph;
  const isAsync = w.async;
  const node = isAsync ? async (vs) => values(vs) : values;

  if (w.kind === 'cache') {
    // A hand-written TTL cache in front of the node: a Map lookup and a clock read per run.
    const cache = new Map();
    const ttl = 60_000;
    const fn = isAsync ? async (x) => 1 + x : (x) => 1 + x;
    const runOnce =
      form === 'await'
        ? async (input) => {
            const now = Date.now();
            const e = cache.get('k');
            if (e !== undefined && e.exp > now) return e.v;
            const v = await fn(input.x);
            cache.set('k', { v, exp: now + ttl });
            return v;
          }
        : (input) =>
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
      form,
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
    let task = (_i, vs) => node(vs);
    if (w.retry) {
      // Zero-delay retry, maxAttempts 2; node i throws on its first attempt in each run.
      const failed = new Uint8Array(n);
      const attempt = (i, vs) => {
        if (failed[i] === 0) {
          failed[i] = 1;
          if (isAsync) return Promise.reject(new Error('transient'));
          throw new Error('transient');
        }
        return node(vs);
      };
      task = isAsync
        ? (i, vs) => attempt(i, vs).catch(() => attempt(i, vs))
        : (i, vs) => {
            try {
              return attempt(i, vs);
            } catch {
              return attempt(i, vs);
            }
          };
      if (form === 'await') {
        const step = async (i, deps) => {
          const vs = await Promise.all(deps);
          try {
            return await attempt(i, vs);
          } catch {
            return await attempt(i, vs);
          }
        };
        for (let i = 0; i < n; i++) p[i] = step(i, depsOf(p, parents[i]));
        return Promise.all(p);
      }
    }
    if (form === 'await') {
      const step = async (deps) => await node(await Promise.all(deps));
      for (let i = 0; i < n; i++) p[i] = step(depsOf(p, parents[i]));
    } else if (form === 'direct') {
      for (let i = 0; i < n; i++) {
        const ps = parents[i];
        if (ps.length === 0) p[i] = task(i, EMPTY);
        else if (ps.length === 1) p[i] = p[ps[0]].then((v) => task(i, [v]));
        else p[i] = Promise.all(depsOf(p, ps)).then((vs) => task(i, vs));
      }
    } else if (w.retry) {
      for (let i = 0; i < n; i++) p[i] = Promise.all(depsOf(p, parents[i])).then((vs) => task(i, vs));
    } else {
      for (let i = 0; i < n; i++) p[i] = Promise.all(depsOf(p, parents[i])).then(node);
    }
    return Promise.all(p);
  };

  return {
    form,
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

function depsOf(p, ps) {
  const deps = new Array(ps.length);
  for (let k = 0; k < ps.length; k++) deps[k] = p[ps[k]];
  return deps;
}
