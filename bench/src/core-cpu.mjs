// CPU-time A/B of two builds of @flowlane/core (issue 13, "Speed"): process CPU time (`process.cpuUsage()`, user +
// system) per run of a workload, in one fresh process per (case, repetition), started alternately (floor, A, B, floor,
// A, B, …) so slow drift of the shared machine spreads over all cases alike. CPU time is far less sensitive to other
// sessions' load than wall time (see monitor-cpu.mjs). A case's figure per process is the median per-run CPU time;
// the table shows the min and the median over processes, and each build's ratio to the floor (min ÷ min), then each
// case's peak RSS (`maxRSS` of its process, median over processes; for W5a/W5b this is the 100k-node figure).
//
//   node src/core-cpu.mjs --a ../path/to/core/dist/index.js --b ../packages/core/dist/index.js
//        [--workloads W1,W3] [--variants plain,async] [--repeats 5] [--runs 30] [--warmup 10] [--node system|PATH]
//        [--no-check]   (skip the per-run check: shows what a caller that never reads records or events pays)
//
// Cases: floor = the hand-written floor (systems/floor.mjs), the fastest of its forms in that process; a, b =
// `createEngine()` defaults from the given build, events and records on (the workflow is built once; each run is
// checked after the timed region: status, one record per node, events$ replaying one node.completed per node).
// A build outside this repository must sit where `rxjs` and `tsyringe` resolve from it (e.g. a copy of
// packages/core/dist next to packages/core/node_modules).
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { resolveNode } from './node-bin.mjs';

const { values: a } = parseArgs({
  options: {
    child: { type: 'string' },
    a: { type: 'string' },
    b: { type: 'string' },
    core: { type: 'string' },
    node: { type: 'string' },
    workload: { type: 'string' },
    variant: { type: 'string' },
    workloads: { type: 'string', default: 'W1,W3' },
    variants: { type: 'string', default: 'plain,async' },
    repeats: { type: 'string', default: '5' },
    'no-check': { type: 'boolean', default: false },
    runs: { type: 'string', default: '30' },
    warmup: { type: 'string', default: '10' },
  },
});

const median = (xs) => {
  const s = [...xs].sort((x, y) => x - y);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

async function measure(prep, runs, warmup) {
  const check = a['no-check'] ? () => {} : (o) => prep.check(o);
  for (let k = 0; k < warmup; k++) check(await prep.run());
  const times = [];
  for (let k = 0; k < runs; k++) {
    const t0 = cpuMs();
    const out = await prep.run();
    times.push(cpuMs() - t0);
    check(out);
  }
  return median(times);
}

async function flowlanePrep(coreUrl, w) {
  const { createEngine, workflow } = await import(coreUrl);
  const { MOD } = await import('./workloads.mjs');
  const engine = createEngine();
  const { parents, ids, n } = w.graph;
  let b = workflow(`${w.id}-${w.variant}`);
  if (w.kind === 'cache') {
    const fn = w.async ? async (ctx) => 1 + ctx.input.x : (ctx) => 1 + ctx.input.x;
    b = b.addNode('n0', fn, { cache: { ttl: 60_000, keyFn: () => 'k' } });
  } else
    for (let i = 0; i < n; i++) {
      const ps = parents[i].map((p) => ids[p]);
      const body = (ctx) => {
        const r = ctx.results;
        let s = 1;
        for (let k = 0; k < ps.length; k++) s += r[ps[k]];
        return s % MOD;
      };
      b = b.addNode(ids[i], w.async ? async (ctx) => body(ctx) : body, ps.length > 0 ? { dependsOn: ps } : {});
    }
  const wf = b.build();
  const checkOne = ([run, res]) => {
    if (res.status !== 'success') throw new Error(`run ${res.status}`);
    if (Object.keys(res.nodes).length !== n) throw new Error('records missing');
    let nodeEvents = 0;
    run.events$.subscribe((e) => {
      if (e.type === 'node.completed' || e.type === 'node.cache-hit') nodeEvents++;
    });
    if (nodeEvents < n) throw new Error(`events missing: ${nodeEvents}/${n}`);
  };
  // W8: sequential runs, each checked when it settles (as the bench does; the check is inside the timed region
  // here, for both builds alike). Others: `runs` concurrent runs, checked after the timed region.
  if (w.kind === 'cache')
    return {
      async run() {
        for (let r = 0; r < w.runs; r++) {
          const run = engine.run(wf, { x: 1 });
          checkOne([run, await run.result]);
        }
        return [];
      },
      check() {},
    };
  return {
    async run() {
      const handles = [];
      for (let r = 0; r < w.runs; r++) handles.push(engine.run(wf, { x: 1 }));
      return Promise.all(handles.map(async (run) => [run, await run.result]));
    },
    check(out) {
      for (const o of out) checkOne(o);
    },
  };
}

async function child() {
  const { instantiate } = await import('./workloads.mjs');
  const w = instantiate(a.workload, a.variant);
  const runs = Number(a.runs);
  const warmup = Number(a.warmup);
  let ms;
  if (a.child === 'floor') {
    const floor = await import('./systems/floor.mjs');
    const forms = floor.floorForms(w);
    const figures = [];
    for (const form of forms) {
      const prep = floor.prepare(w, form);
      const check = (sum) => {
        if (prep.check(sum) !== w.checksum) throw new Error('floor checksum');
      };
      figures.push(await measure({ run: () => prep.run(), check }, runs, warmup));
    }
    ms = Math.min(...figures);
  } else ms = await measure(await flowlanePrep(a.core, w), runs, warmup);
  process.stdout.write(JSON.stringify({ ms, rssMb: process.resourceUsage().maxRSS / 1024 }));
}

if (a.child !== undefined) await child();
else {
  if (a.a === undefined || a.b === undefined) throw new Error('--a and --b: paths of the two builds (dist/index.js)');
  const nodeBin = resolveNode(a.node);
  const self = fileURLToPath(import.meta.url);
  const cases = { floor: undefined, a: pathToFileURL(resolve(a.a)).href, b: pathToFileURL(resolve(a.b)).href };
  console.log(`core CPU A/B on ${nodeBin}: ${a.repeats} processes per case, ${a.runs} runs each (median), min/median`);
  console.log(`  a = ${a.a}\n  b = ${a.b}`);
  for (const workload of a.workloads.split(',')) {
    for (const variant of a.variants.split(',')) {
      const figures = { floor: [], a: [], b: [] };
      const rss = { floor: [], a: [], b: [] };
      for (let rep = 0; rep < Number(a.repeats); rep++) {
        for (const [key, core] of Object.entries(cases)) {
          const args = [self, '--child', key, '--workload', workload, '--variant', variant];
          args.push('--runs', a.runs, '--warmup', a.warmup);
          if (a['no-check']) args.push('--no-check');
          if (core !== undefined) args.push('--core', core);
          const r = spawnSync(nodeBin, args, { encoding: 'utf8' });
          if (r.status !== 0) throw new Error(`${key} ${workload} ${variant}: ${r.stderr}`);
          const out = JSON.parse(r.stdout);
          figures[key].push(out.ms);
          rss[key].push(out.rssMb);
        }
      }
      const f = (xs) => `${Math.min(...xs).toFixed(3)}/${median(xs).toFixed(3)} ms`;
      const ratio = (xs) => (Math.min(...xs) / Math.min(...figures.floor)).toFixed(3);
      console.log(
        `${workload} ${variant}: floor ${f(figures.floor)} · a ${f(figures.a)} ×${ratio(figures.a)} · ` +
          `b ${f(figures.b)} ×${ratio(figures.b)} · b/a ${(Math.min(...figures.b) / Math.min(...figures.a)).toFixed(3)}`,
      );
      const m = (xs) => median(xs).toFixed(0);
      const rr = (xs) => (median(xs) / median(rss.floor)).toFixed(2);
      console.log(
        `  peak RSS (median MB): floor ${m(rss.floor)} · a ${m(rss.a)} ×${rr(rss.a)} · b ${m(rss.b)} ×${rr(rss.b)}`,
      );
    }
  }
}
