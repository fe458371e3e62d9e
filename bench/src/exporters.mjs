// Workload E1 (issue 7): the W3 random DAG (10k nodes, seed 42, plain and async) run by Flowlane with each metrics
// exporter plugin, reported as a ratio to the same engine without an exporter (target ≤ 1.2×). Same method as S1
// (schedulers.mjs): every case is a system of its own in fresh child processes (floor warm-up, system warm-up,
// alternating floor/system repetitions, every run checked against the reference checksum, records and events), and
// process p of every case runs before process p + 1 of any. Cases: systems/flowlane-plugins.mjs.
// Rows keep the schema of results/latest.json and add `ratioToNone` = the case's median ÷ the no-exporter median
// (medians over processes).
import { EXPORTERS, exporterVersion } from './systems/flowlane-plugins.mjs';
import { instantiate } from './workloads.mjs';

export const ID = 'E1';
const NAME = 'exporters 10k DAG';
const BASE = 'W3';
const BASELINE = 'none';
const ORDER = [BASELINE, 'prometheus', 'datadog'];

/** Runs E1 and returns its rows (floor, then each case, per variant). ctx as for runSchedulers. */
export async function runExporters(ctx) {
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
          system: 'flowlane-plugins',
          workload: BASE,
          variant,
          size: w.size,
          warmupMs: method.warmupMs,
          minReps: method.reps,
          maxReps: method.reps,
          budgetMs: Number.POSITIVE_INFINITY,
          options: { exporter: key },
        });
        if (r.status === 'ok') runs.get(key).push(r);
        else failures.set(key, r);
      }
    }
    const msOf = (key) => (failures.has(key) ? null : median(runs.get(key).map((r) => r.systemMs)));
    const baseMs = msOf(BASELINE);
    const toBase = (ms) => (ms === null || baseMs === null ? null : round(ms / baseMs));
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
        ratioToNone: toBase(floorMs),
        status: 'ok',
      });
    }
    for (const key of ORDER) {
      const failure = failures.get(key);
      const ms = msOf(key);
      const rs = runs.get(key);
      rows.push({
        workload: label,
        system: EXPORTERS[key].system,
        version: exporterVersion(key),
        medianMs: round(ms),
        msPerNode: ms === null ? null : round(ms / w.totalNodes),
        rssMb: ms === null ? null : round(median(rs.map((r) => r.rssMb))),
        ratioToFloor: ms === null ? null : round(median(rs.map((r) => r.systemMs / r.floorMs))),
        ratioToNone: toBase(ms),
        status:
          failure === undefined ? 'ok' : failure.status === 'skipped' ? `skipped: ${failure.reason}` : failure.status,
      });
      ctx.print(rows.at(-1), failure?.reason);
    }
  }
  return rows;
}

/** The E1 rows as a small table: exporter × variant, ratio to no exporter (and to the floor). */
export function exporterTable(results) {
  const rows = results.filter((r) => r.workload.startsWith(`${ID} `));
  if (rows.length === 0) return '';
  const systems = [...new Set(rows.map((r) => r.system))];
  const variants = [...new Set(rows.map((r) => r.workload.replace(/^.*\((\w+)\)$/, '$1')))];
  const cell = (system, variant) => {
    const r = rows.find((x) => x.system === system && x.workload.endsWith(`(${variant})`));
    if (r === undefined) return '—';
    if (r.medianMs === null) return r.status;
    return `${r.medianMs} ms · ${r.ratioToNone}× none · ${r.ratioToFloor}× floor`;
  };
  const what = (system) => Object.values(EXPORTERS).find((c) => c.system === system)?.what ?? 'hand-written Promises';
  return [
    `${ID}: W3's random DAG (10k nodes) with each exporter; × none = median ÷ the no-exporter median (target ≤ 1.2×)`,
    ...systems.map(
      (s) => `  ${s.padEnd(20)} ${variants.map((v) => `${v}: ${cell(s, v)}`.padEnd(48)).join(' ')} ${what(s)}`,
    ),
  ].join('\n');
}
