// A benchmark case that runs W3's graph with several variants of one Flowlane system (schedulers for S1, metrics
// exporters for E1) and reports each as a ratio to one of them (the baseline). Same method as the rest of the bench:
// every case is a system of its own in fresh child processes (floor warm-up, system warm-up, alternating floor/system
// repetitions, every run checked against the reference checksum), and process p of every case runs before process
// p + 1 of any, so slow drift of the machine spreads over all cases alike. Rows keep the schema of
// results/latest.json and add `<ratioField>` = the case's median ÷ the baseline's median (medians over processes).
import { instantiate } from './workloads.mjs';

/**
 * spec: { id, name, base, system (the worker system), optionKey (its option naming the case), order (baseline
 * first), cases ({ [key]: { system, what } }), caseVersion(key), ratioField, ratioLabel, header, pad }.
 * Returns { ID, run(ctx), table(results) }; ctx: { runChild(spec), method, variants, median, round, print(row, reason?) }.
 */
export function defineRatioCase(spec) {
  const run = async (ctx) => {
    const toBase = (ms, baseMs) => (ms === null || baseMs === null ? null : ctx.round(ms / baseMs));
    const rows = [];
    for (const variant of ctx.variants) {
      const w = instantiate(spec.base, variant);
      rows.push(
        ...(await measureCases(ctx, {
          label: `${spec.id} ${spec.name} (${variant})`,
          base: spec.base,
          variant,
          w,
          system: spec.system,
          order: spec.order,
          options: (key) => ({ [spec.optionKey]: key }),
          describe: (key) => ({ system: spec.cases[key].system, version: spec.caseVersion(key) }),
          floorExtra: (floorMs, baseMs) => ({ [spec.ratioField]: toBase(floorMs, baseMs) }),
          extra: (ms, baseMs) => ({ [spec.ratioField]: toBase(ms, baseMs) }),
        })),
      );
    }
    return rows;
  };

  /** The rows as a small table: case × variant, ratio to the baseline (and to the floor). */
  const table = (results) => {
    const rows = results.filter((r) => r.workload.startsWith(`${spec.id} `));
    if (rows.length === 0) return '';
    const systems = [...new Set(rows.map((r) => r.system))];
    const variants = [...new Set(rows.map((r) => r.workload.replace(/^.*\((\w+)\)$/, '$1')))];
    const cell = (system, variant) => {
      const r = rows.find((x) => x.system === system && x.workload.endsWith(`(${variant})`));
      if (r === undefined) return '—';
      if (r.medianMs === null) return r.status;
      return `${r.medianMs} ms · ${r[spec.ratioField]}× ${spec.ratioLabel} · ${r.ratioToFloor}× floor`;
    };
    const what = (system) =>
      Object.values(spec.cases).find((c) => c.system === system)?.what ?? 'hand-written Promises';
    return [
      spec.header,
      ...systems.map(
        (s) => `  ${s.padEnd(spec.pad)} ${variants.map((v) => `${v}: ${cell(s, v)}`.padEnd(48)).join(' ')} ${what(s)}`,
      ),
    ].join('\n');
  };

  return { ID: spec.id, run, table };
}

/**
 * One workload instance `w` (of `base`, `variant`) run by `system` once per case key of `order` (the first is the
 * baseline), in fresh child processes with `options(key)`: process p of every case runs before process p + 1 of any,
 * and a case that fails once is not run again. Returns the floor row (when any run succeeded), then a row per case
 * (printed with `ctx.print`); `describe(key)` gives a case row's system and version, `floorExtra(floorMs, baseMs)` and
 * `extra(ms, baseMs)` the fields a case adds before `status` (ms null for a failed case, baseMs null for a failed
 * baseline). ctx: { runChild(spec), method, median, round, print(row, reason?) }.
 */
export async function measureCases(ctx, m) {
  const { method, median, round } = ctx;
  const runs = new Map(m.order.map((key) => [key, []]));
  const failures = new Map();
  for (let p = 0; p < method.procs; p++) {
    for (const key of m.order) {
      if (failures.has(key)) continue;
      const r = await ctx.runChild({
        system: m.system,
        workload: m.base,
        variant: m.variant,
        size: m.w.size,
        warmupMs: method.warmupMs,
        minReps: method.reps,
        maxReps: method.reps,
        budgetMs: Number.POSITIVE_INFINITY,
        options: m.options(key),
      });
      if (r.status === 'ok') runs.get(key).push(r);
      else failures.set(key, r);
    }
  }
  const rows = [];
  const msOf = (key) => (failures.has(key) ? null : median(runs.get(key).map((r) => r.systemMs)));
  const baseMs = msOf(m.order[0]);
  const all = [...runs.values()].flat();
  if (all.length > 0) {
    const floorMs = median(all.map((r) => r.floorMs));
    rows.push({
      workload: m.label,
      system: 'floor',
      version: 'hand-written',
      medianMs: round(floorMs),
      msPerNode: round(floorMs / m.w.totalNodes),
      rssMb: round(median(all.map((r) => r.floorRssMb))),
      ratioToFloor: 1,
      ...m.floorExtra(floorMs, baseMs),
      status: 'ok',
    });
  }
  for (const key of m.order) {
    const failure = failures.get(key);
    const ms = msOf(key);
    const rs = runs.get(key);
    rows.push({
      workload: m.label,
      ...m.describe(key),
      medianMs: round(ms),
      msPerNode: ms === null ? null : round(ms / m.w.totalNodes),
      rssMb: ms === null ? null : round(median(rs.map((r) => r.rssMb))),
      ratioToFloor: ms === null ? null : round(median(rs.map((r) => r.systemMs / r.floorMs))),
      ...m.extra(ms, baseMs),
      status:
        failure === undefined ? 'ok' : failure.status === 'skipped' ? `skipped: ${failure.reason}` : failure.status,
    });
    ctx.print(rows.at(-1), failure?.reason);
  }
  return rows;
}
