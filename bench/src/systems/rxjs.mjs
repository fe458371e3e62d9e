// Hand-composed RxJS: each node is a cold Observable (`defer` around the node function, `retry` where the workload
// retries), and a run is an Observable that drives the graph with in-degree counters and a ready-queue loop.
// The textbook `forkJoin(parents).pipe(map(f), shareReplay(1))` per node overflows the stack at depth ≈ 400 and hangs
// silently at depth ≥ 1,000 (DESIGN.md §2.2), so it cannot run W1/W5; this is the best pattern that survives 100k.
import { createRequire } from 'node:module';
import { defer, from, lastValueFrom, Observable, of, retry } from 'rxjs';
import { MOD } from '../workloads.mjs';

export const name = 'rxjs';
export const version = createRequire(import.meta.url)('rxjs/package.json').version;

function sum(vals, ps) {
  let s = 1;
  for (let k = 0; k < ps.length; k++) s += vals[ps[k]];
  return s % MOD;
}

const isPromise = (r) => r !== null && typeof r === 'object' && typeof r.then === 'function';

export function prepare(w) {
  const { parents, children, n } = w.graph;
  const isAsync = w.async;

  if (w.kind === 'cache') {
    const cache = new Map();
    const ttl = 60_000;
    const fn = isAsync ? async (x) => 1 + x : (x) => 1 + x;
    const node$ = (input) =>
      defer(() => {
        const now = Date.now();
        const e = cache.get('k');
        if (e !== undefined && e.exp > now) return of(e.v);
        const store = (v) => {
          cache.set('k', { v, exp: now + ttl });
          return v;
        };
        const r = fn(input.x);
        return isPromise(r) ? from(r.then(store)) : of(store(r));
      });
    return {
      async run() {
        let total = 0;
        for (let r = 0; r < w.runs; r++) total += await lastValueFrom(node$({ x: 1 }));
        return total;
      },
      check: (t) => t % MOD,
    };
  }

  const fnPlain = (i, vals) => sum(vals, parents[i]);
  const fnAsync = async (i, vals) => sum(vals, parents[i]);
  const fn = isAsync ? fnAsync : fnPlain;

  const run$ = () =>
    new Observable((subscriber) => {
      const vals = new Float64Array(n);
      const indeg = new Int32Array(n);
      for (let i = 0; i < n; i++) indeg[i] = parents[i].length;
      const failed = w.retry ? new Uint8Array(n) : undefined;
      const queue = new Int32Array(n);
      let head = 0;
      let tail = 0;
      let remaining = n;
      let draining = false;
      for (let i = 0; i < n; i++) if (indeg[i] === 0) queue[tail++] = i;

      const settle = (i, v) => {
        vals[i] = v;
        remaining--;
        const cs = children[i];
        for (let k = 0; k < cs.length; k++) if (--indeg[cs[k]] === 0) queue[tail++] = cs[k];
      };
      const node$ = (i) => {
        let o = defer(() => {
          if (failed !== undefined && failed[i] === 0) {
            failed[i] = 1;
            throw new Error('transient');
          }
          const r = fn(i, vals);
          return isPromise(r) ? from(r) : of(r);
        });
        if (failed !== undefined) o = o.pipe(retry({ count: 1 }));
        return o;
      };
      const drain = () => {
        if (draining) return;
        draining = true;
        while (head < tail) {
          const i = queue[head++];
          node$(i).subscribe({
            next: (v) => settle(i, v),
            error: (e) => subscriber.error(e),
            complete: () => {
              // Asynchronous completions re-enter the loop; synchronous ones are already in the queue.
              if (!draining) drain();
            },
          });
        }
        draining = false;
        if (remaining === 0) {
          subscriber.next(vals);
          subscriber.complete();
        }
      };
      drain();
    });

  return {
    run() {
      if (w.runs === 1) return lastValueFrom(run$()).then((v) => [v]);
      const all = new Array(w.runs);
      for (let r = 0; r < w.runs; r++) all[r] = lastValueFrom(run$());
      return Promise.all(all);
    },
    check(out) {
      let s = 0;
      for (const vals of out) for (const v of vals) s = (s + v) % MOD;
      return s;
    },
  };
}
