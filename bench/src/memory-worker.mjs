// The memory pass (issue 13: "peak RSS at 100k nodes ≤ 1.2× the floor's"). One child process = ONE system × one
// workload × one variant, nothing else: build the workload → load and build the system → a fixed number of warm-up
// runs → a fixed number of measured runs (the same counts for every system, floor included), each checked like the
// timing pass checks it → the process's peak RSS (`resourceUsage().maxRSS`). The timing pass (worker.mjs) cannot give
// this figure: a system's process there also runs the floor, so its peak is the larger of the two.
// Started with --expose-gc; forced full GCs run only before the first run and after the peak is read, so they do not
// change it. The heap (`heapUsed` after a full GC): `heapBuiltMb` once the system and its workflow are built, before
// any run; `heapRunMb` = what the finished last run adds while its output (run handles and results, or the floor's
// values) is still referenced; `heapAfterDropMb` = what is left of it once the output is dropped (0 unless the system
// keeps finished runs). What the peak holds beyond built + run footprint is garbage not yet collected.
// Prints one JSON line on stdout.

import { reportAndExit } from './child-report.mjs';
import { systemModuleUrl } from './peers.mjs';
import { instantiate } from './workloads.mjs';

const spec = JSON.parse(process.argv[2]);
const { system, workload, variant, form, warmupRuns, runs } = spec;
const MB = 1024 * 1024;

async function main() {
  if (typeof global.gc !== 'function') throw new Error('memory-worker.mjs needs node --expose-gc');
  const w = instantiate(workload, variant);
  const mod = system === 'floor' ? await import('./systems/floor.mjs') : await import(systemModuleUrl(system));
  const skip = mod.skipReason?.(w);
  if (skip !== undefined) return { status: 'skipped', reason: skip };
  const impl = system === 'floor' ? mod.prepare(w, form ?? 'then') : await mod.prepare(w);
  global.gc();
  global.gc();
  const built = process.memoryUsage().heapUsed; // the system and its built workflow, before any run
  const last = await runAll(w, impl);
  const peakRssMb = process.resourceUsage().maxRSS / 1024;
  global.gc();
  global.gc();
  const withRun = process.memoryUsage().heapUsed;
  last.out = undefined;
  global.gc();
  global.gc();
  const without = process.memoryUsage().heapUsed;
  await impl.close?.();
  return {
    status: 'ok',
    peakRssMb,
    heapBuiltMb: built / MB,
    heapRunMb: (withRun - built) / MB,
    heapAfterDropMb: (without - built) / MB,
    form: system === 'floor' ? (form ?? 'then') : undefined,
    runs: warmupRuns + runs,
  };
}

/**
 * The warm-up and measured runs, each checked; returns the last run's output in a holder. In a function of its own so
 * that no stale interpreter register of the caller's frame keeps an output alive once the holder drops it.
 */
async function runAll(w, impl) {
  const last = { out: undefined };
  for (let r = 0; r < warmupRuns + runs; r++) {
    last.out = undefined; // the previous run is not kept alive during this one (a caller that drops its results)
    last.out = await impl.run();
    process.stderr.write('.'); // heartbeat for the parent's timeout
    const sum = impl.check(last.out);
    if (sum !== w.checksum) throw new Error(`${system}: checksum ${sum} !== reference ${w.checksum}`);
  }
  return last;
}

reportAndExit(main());
