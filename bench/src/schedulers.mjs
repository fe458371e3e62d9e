// Workload S1 (issue 6): the W3 random DAG (10k nodes, seed 42, plain and async) run by Flowlane with each scheduler
// plugin at a total of 8 nodes at once, reported as a ratio to core's FIFO scheduler (`createEngine({ concurrency: 8 })`).
// Same method as the rest of the bench: every case (FIFO included) is a system of its own, measured in fresh child
// processes (floor warm-up, system warm-up, alternating floor/system repetitions, every run checked against the
// reference checksum plus placement/pool checks, see systems/flowlane-scheduler.mjs). Process p of every case runs
// before process p + 1 of any, so slow drift of the machine spreads over all cases alike.
// Rows keep the schema of results/latest.json and add `ratioToFifo` = the case's median ÷ FIFO's median (medians over
// processes). FIFO is deliberately not measured inside the other cases' processes: a scheduler that leaves more
// garbage makes the next block in the same process slower, which inflated an in-process FIFO baseline by up to 2×.
import { defineRatioCase } from './ratio-case.mjs';
import { CASES, caseVersion } from './systems/flowlane-scheduler.mjs';

const S1 = defineRatioCase({
  id: 'S1',
  name: 'schedulers 10k DAG',
  base: 'W3', // the graph: W3's random DAG, 10k nodes
  system: 'flowlane-scheduler',
  optionKey: 'scheduler',
  /** In report order; the first is the baseline. */
  order: ['fifo', 'none', 'priority', 'priority-pools', 'round-robin', 'load-based'],
  cases: CASES,
  caseVersion,
  ratioField: 'ratioToFifo',
  ratioLabel: 'fifo',
  header: "S1: W3's random DAG (10k nodes) at 8 nodes at once; × fifo = median ÷ FIFO's median (each over processes)",
  pad: 24,
});

export const ID = S1.ID;
/** Runs S1 and returns its rows (floor, then each case, per variant). */
export const runSchedulers = S1.run;
/** The S1 rows as a small table: scheduler × variant, ratio to FIFO (and to the floor). */
export const schedulerTable = S1.table;
