// Workload E1 (issue 7): the W3 random DAG (10k nodes, seed 42, plain and async) run by Flowlane with each metrics
// exporter plugin, reported as a ratio to the same engine without an exporter (target ≤ 1.2×). Same method as S1
// (schedulers.mjs): every case is a system of its own in fresh child processes (floor warm-up, system warm-up,
// alternating floor/system repetitions, every run checked against the reference checksum, records and events), and
// process p of every case runs before process p + 1 of any. Cases: systems/flowlane-plugins.mjs.
// Rows keep the schema of results/latest.json and add `ratioToNone` = the case's median ÷ the no-exporter median
// (medians over processes).
import { defineRatioCase } from './ratio-case.mjs';
import { EXPORTERS, exporterVersion } from './systems/flowlane-plugins.mjs';

const E1 = defineRatioCase({
  id: 'E1',
  name: 'exporters 10k DAG',
  base: 'W3',
  system: 'flowlane-plugins',
  optionKey: 'exporter',
  order: ['none', 'prometheus', 'datadog'],
  cases: EXPORTERS,
  caseVersion: exporterVersion,
  ratioField: 'ratioToNone',
  ratioLabel: 'none',
  header:
    "E1: W3's random DAG (10k nodes) with each exporter; × none = median ÷ the no-exporter median (target ≤ 1.2×)",
  pad: 20,
});

export const ID = E1.ID;
/** Runs E1 and returns its rows (floor, then each case, per variant). */
export const runExporters = E1.run;
/** The E1 rows as a small table: exporter × variant, ratio to no exporter (and to the floor). */
export const exporterTable = E1.table;
