// One child process = one system × one workload × one variant × one size. Prints one JSON line on stdout.
// Order: build the workload → warm the floor up (time-based; every hand-written form of it, then keep the fastest, see
// systems/floor.mjs) → record the floor's peak RSS → load and build the system → warm it up (same time) → alternate
// floor and system blocks, each checked against the reference checksum.
// Never calls gc(): a forced GC between repetitions deoptimises hot paths and would measure re-JIT instead.
import { performance } from 'node:perf_hooks';
import { reportAndExit } from './child-report.mjs';
import { systemModuleUrl } from './peers.mjs';
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

/** Rounds of the floor-form trial: each form once per round, alternating; the lowest median wins. */
const FORM_TRIAL_ROUNDS = 7;

/**
 * The floor of this workload: its only form, or — where it has several hand-written forms (async nodes) — every form
 * warmed up for the warm-up time, then timed in alternating rounds in this process, and the fastest kept.
 * Returns the floor and, when there was a choice, each form's median ms in the trial.
 */
async function tightestFloor() {
  const floorMod = await import('./systems/floor.mjs');
  const forms = floorMod.floorForms(w);
  const impls = forms.map((f) => floorMod.prepare(w, f));
  for (const impl of impls) await warmUp(impl, `floor (${impl.form})`);
  if (impls.length === 1) return { floor: impls[0], floorForms: undefined };
  const times = impls.map(() => []);
  for (let r = 0; r < FORM_TRIAL_ROUNDS; r++)
    for (let k = 0; k < impls.length; k++) times[k].push(await timed(impls[k], `floor (${impls[k].form})`));
  const medians = times.map(median);
  let best = 0;
  for (let k = 1; k < impls.length; k++) if (medians[k] < medians[best]) best = k;
  return { floor: impls[best], floorForms: Object.fromEntries(forms.map((f, k) => [f, medians[k]])) };
}

async function main() {
  const mod = await import(systemModuleUrl(system)); // peers: bench/peers/systems (peers.mjs)
  const skip = mod.skipReason?.(w);
  if (skip !== undefined) return { status: 'skipped', reason: skip, version: mod.version };

  const { floor, floorForms } = await tightestFloor();
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
    floorForm: floor.form,
    ...(floorForms === undefined ? {} : { floorForms }),
    systemMs: median(sysMs),
    floorRssMb,
    rssMb: rssMb(),
    totalNodes: w.totalNodes,
    node: process.version,
  };
}

reportAndExit(main());
