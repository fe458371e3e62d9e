// One child process = one system × one workload × one variant × one size. Prints one JSON line on stdout.
// Order: build the workload → warm the floor up (time-based) → record the floor's peak RSS → load and build the system
// → warm it up (same time) → alternate floor and system blocks, each checked against the reference checksum.
// Never calls gc(): a forced GC between repetitions deoptimises hot paths and would measure re-JIT instead.
import { performance } from 'node:perf_hooks';
import { instantiate } from './workloads.mjs';

const spec = JSON.parse(process.argv[2]);
const { system, workload, variant, size, warmupMs, minReps, maxReps, options } = spec;
// JSON has no Infinity: the ratio cases' `budgetMs: Infinity` arrives as null (which compared as 0 and cut them to
// one repetition).
const budgetMs = spec.budgetMs ?? Number.POSITIVE_INFINITY;

const w = instantiate(workload, variant, size);
const rssMb = () => process.resourceUsage().maxRSS / 1024;

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2;
}

async function timed(impl, label) {
  const t0 = performance.now();
  const out = await impl.run();
  // Systems that must check each run inline (so finished runs are not kept alive) report the time they spent checking.
  const ms = performance.now() - t0 - (impl.excludedMs?.() ?? 0);
  process.stderr.write('.'); // heartbeat: the parent's timeout counts from the last finished run
  const sum = impl.check(out);
  if (sum !== w.checksum) throw new Error(`${label}: checksum ${sum} !== reference ${w.checksum}`);
  return ms;
}

async function warmUp(impl, label) {
  const t0 = performance.now();
  let runs = 0;
  while (runs === 0 || performance.now() - t0 < warmupMs) {
    await timed(impl, label);
    runs++;
  }
  return runs;
}

async function main() {
  const mod = await import(`./systems/${system}.mjs`);
  const skip = mod.skipReason?.(w);
  if (skip !== undefined) return { status: 'skipped', reason: skip, version: mod.version };

  const floor = (await import('./systems/floor.mjs')).prepare(w);
  await warmUp(floor, 'floor');
  const floorRssMb = rssMb();
  const impl = system === 'floor' ? floor : await mod.prepare(w, options); // options: S1's scheduler case
  const tStart = performance.now();
  await warmUp(impl, system);
  // A peer whose single run exceeds the whole budget (tens of seconds, 100×+ the floor) is measured with one
  // repetition after its warm-up run: the spread is irrelevant at that ratio and 3 more runs could take minutes.
  const reps = performance.now() - tStart > budgetMs ? 1 : minReps;

  const floorMs = [];
  const sysMs = [];
  for (let r = 0; r < maxReps; r++) {
    floorMs.push(await timed(floor, 'floor'));
    sysMs.push(await timed(impl, system));
    if (r + 1 >= reps && performance.now() - tStart > budgetMs) break;
  }
  await impl.close?.();
  return {
    status: 'ok',
    version: mod.version,
    reps: sysMs.length,
    floorMs: median(floorMs),
    systemMs: median(sysMs),
    floorRssMb,
    rssMb: rssMb(),
    totalNodes: w.totalNodes,
    node: process.version,
  };
}

main().then(
  (r) => {
    process.stdout.write(`${JSON.stringify(r)}\n`);
    process.exit(0);
  },
  (e) => {
    process.stdout.write(`${JSON.stringify({ status: 'failed', reason: String(e?.stack ?? e).slice(0, 800) })}\n`);
    process.exit(1);
  },
);
