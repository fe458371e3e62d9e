// Workload M1 (issue 17): the W3 random DAG (10k nodes, seed 42, plain and async) run by Flowlane with the live
// monitor, with no client and with a client that never reads, reported as a ratio to the same engine without a
// monitor (goal: within 10 %, ≤ 1.1×). Same method as E1 (exporters.mjs, via ratio-case.mjs). Cases:
// systems/flowlane-monitor.mjs. Rows add `ratioToNone` = the case's median ÷ the no-monitor median.
import { defineRatioCase } from './ratio-case.mjs';
import { MONITOR_CASES, monitorVersion } from './systems/flowlane-monitor.mjs';

const M1 = defineRatioCase({
  id: 'M1',
  name: 'monitor 10k DAG',
  base: 'W3',
  system: 'flowlane-monitor',
  optionKey: 'monitor',
  order: ['none', 'monitor', 'slow'],
  cases: MONITOR_CASES,
  caseVersion: monitorVersion,
  ratioField: 'ratioToNone',
  ratioLabel: 'none',
  header:
    "M1: W3's random DAG (10k nodes) with the live monitor; × none = median ÷ the no-monitor median (goal ≤ 1.1×)",
  pad: 24,
});

export const ID = M1.ID;
/** Runs M1 and returns its rows (floor, then each case, per variant). */
export const runMonitor = M1.run;
/** The M1 rows as a small table: case × variant, ratio to no monitor (and to the floor). */
export const monitorTable = M1.table;
