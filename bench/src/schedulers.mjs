// Workload S1 (issue 6): the W3 random DAG (10k nodes, seed 42, plain and async) run by Flowlane with each scheduler
// plugin at a total of 8 nodes at once, reported as a ratio to core's FIFO scheduler (`createEngine({ concurrency: 8 })`).
// Same method as the rest of the bench: every case (FIFO included) is a system of its own, measured in fresh child
// processes (floor warm-up, system warm-up, alternating floor/system repetitions, every run checked against the
// reference checksum plus placement/pool checks, see systems/flowlane-scheduler.mjs). Process p of every case runs
// before process p + 1 of any, so slow drift of the machine spreads over all cases alike.
// Rows keep the schema of results/latest.json and add `ratioToFifo` = the case's median ÷ FIFO's median (medians over
// processes). FIFO is deliberately not measured inside the other cases' processes: a scheduler that leaves more
// garbage makes the next block in the same process slower, which inflated an in-process FIFO baseline by up to 2×.
import { CASES, caseVersion } from './systems/flowlane-scheduler.mjs';
import { instantiate } from './workloads.mjs';

export const ID = 'S1';
const NAME = 'schedulers 10k DAG';
const BASE = 'W3'; // the graph: W3's random DAG, 10k nodes
const BASELINE = 'fifo';
/** In report order; the first is the baseline. */
const ORDER = [BASELINE, 'none', 'priority', 'priority-pools', 'round-robin', 'load-based'];

/**
 * Runs S1 and returns its rows (floor, then each case, per variant).
 * ctx: { runChild(spec), method, variants, median, round, print(row, reason?) }.
 */
export async function runSchedulers(ctx) {
  const { method, median, round } = ctx;
  const rows = [];
  for (const variant of ctx.variants) {
    const label = `${ID} ${NAME} (${variant})`;
    const w = instantiate(BASE, variant);
    const runs = new Map(ORDER.map((key) => [key, []]));
    const failures = new Map();
    for (let p = 0; p < method.procs; p++) {
      for (const key of ORDER) {
        if (failures.has(key)) continue;
        const r = await ctx.runChild({
          system: 'flowlane-scheduler',
          workload: BASE,
          variant,
          size: w.size,
          warmupMs: method.warmupMs,
          minReps: method.reps,
          maxReps: method.reps,
          budgetMs: Number.POSITIVE_INFINITY,
          options: { scheduler: key },
        });
        if (r.status === 'ok') runs.get(key).push(r);
        else failures.set(key, r);
      }
    }
    const msOf = (key) => (failures.has(key) ? null : median(runs.get(key).map((r) => r.systemMs)));
    const fifoMs = msOf(BASELINE);
    const toFifo = (ms) => (ms === null || fifoMs === null ? null : round(ms / fifoMs));
    const all = [...runs.values()].flat();
    if (all.length > 0) {
      const floorMs = median(all.map((r) => r.floorMs));
      rows.push({
        workload: label,
        system: 'floor',
        version: 'hand-written',
        medianMs: round(floorMs),
        msPerNode: round(floorMs / w.totalNodes),
        rssMb: round(median(all.map((r) => r.floorRssMb))),
        ratioToFloor: 1,
        ratioToFifo: toFifo(floorMs),
        status: 'ok',
      });
    }
    for (const key of ORDER) {
      const failure = failures.get(key);
      const ms = msOf(key);
      const rs = runs.get(key);
      rows.push({
        workload: label,
        system: CASES[key].system,
        version: caseVersion(key),
        medianMs: round(ms),
        msPerNode: ms === null ? null : round(ms / w.totalNodes),
        rssMb: ms === null ? null : round(median(rs.map((r) => r.rssMb))),
        ratioToFloor: ms === null ? null : round(median(rs.map((r) => r.systemMs / r.floorMs))),
        ratioToFifo: toFifo(ms),
        status:
          failure === undefined ? 'ok' : failure.status === 'skipped' ? `skipped: ${failure.reason}` : failure.status,
      });
      ctx.print(rows.at(-1), failure?.reason);
    }
  }
  return rows;
}

/** The S1 rows as a small table: scheduler × variant, ratio to FIFO (and to the floor). */
export function schedulerTable(results) {
  const rows = results.filter((r) => r.workload.startsWith(`${ID} `));
  if (rows.length === 0) return '';
  const systems = [...new Set(rows.map((r) => r.system))];
  const variants = [...new Set(rows.map((r) => r.workload.replace(/^.*\((\w+)\)$/, '$1')))];
  const cell = (system, variant) => {
    const r = rows.find((x) => x.system === system && x.workload.endsWith(`(${variant})`));
    if (r === undefined) return '—';
    if (r.medianMs === null) return r.status;
    return `${r.medianMs} ms · ${r.ratioToFifo}× fifo · ${r.ratioToFloor}× floor`;
  };
  const what = (system) => Object.values(CASES).find((c) => c.system === system)?.what ?? 'hand-written Promises';
  const lines = [
    `${ID}: W3's random DAG (10k nodes) at 8 nodes at once; × fifo = median ÷ FIFO's median (each over processes)`,
    ...systems.map(
      (s) => `  ${s.padEnd(24)} ${variants.map((v) => `${v}: ${cell(s, v)}`.padEnd(48)).join(' ')} ${what(s)}`,
    ),
  ];
  return lines.join('\n');
}
