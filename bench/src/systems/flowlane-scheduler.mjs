// Flowlane with a scheduler (workload S1, see ../schedulers.mjs): the Flowlane system of flowlane.mjs — same workflow,
// same per-run checks — with one engine per scheduler case, all at a total of 8 nodes at once. Every node declares
// `resources: { cpu: 1 }` in every case (only the pools case reads it), so all cases run the identical workflow.
import { createRequire } from 'node:module';
import { loadBasedScheduler } from '@flowlane/scheduler-load-based';
import { createResourcePools, priorityScheduler } from '@flowlane/scheduler-priority';
import { roundRobinScheduler } from '@flowlane/scheduler-round-robin';
import { prepare as prepareFlowlane } from './flowlane.mjs';

const require = createRequire(import.meta.url);
const versionOf = (pkg) => require(`${pkg}/package.json`).version;

export const name = 'flowlane-scheduler';
export const version = versionOf('@flowlane/core');

const CONCURRENCY = 8;
/** Round-robin and load-based: 4 workers × capacity 2 = the same 8 nodes at once. */
const WORKERS = Array.from({ length: 4 }, (_, k) => ({ id: `w${k}`, capacity: 2 }));
const NODE_OPTIONS = { resources: { cpu: 1 } };

/** Every node.started event of the run names one of the configured workers. */
function placedOnWorkers(run) {
  let placed = 0;
  let started = 0;
  run.events$.subscribe((e) => {
    if (e.type !== 'node.started') return;
    started++;
    if (WORKERS.some((wk) => wk.id === e.workerId)) placed++;
  });
  if (started === 0 || placed !== started)
    throw new Error(`${placed}/${started} started nodes were placed on a worker`);
}

/**
 * The cases, in report order. `system` is the row's system name; `engine()` returns the createEngine options (and
 * optionally what to check after each run and to dispose at the end). `fifo` is the baseline every ratio is taken to.
 */
export const CASES = {
  fifo: {
    system: 'flowlane-fifo',
    what: 'createEngine({ concurrency: 8 }) — core FIFO scheduler (baseline)',
    package: '@flowlane/core',
    engine: () => ({ options: { concurrency: CONCURRENCY } }),
  },
  none: {
    system: 'flowlane',
    what: 'createEngine() — no scheduler, unbounded (for reference)',
    package: '@flowlane/core',
    engine: () => ({ options: {} }),
  },
  priority: {
    system: 'flowlane-priority',
    what: 'priorityScheduler({ concurrency: 8 })',
    package: '@flowlane/scheduler-priority',
    engine: () => ({ options: { plugins: [priorityScheduler({ concurrency: CONCURRENCY })] } }),
  },
  'priority-pools': {
    system: 'flowlane-priority-pools',
    what: 'priorityScheduler({ concurrency: 8, pools: { cpu: 8 } }), every node { cpu: 1 }: the pool never blocks',
    package: '@flowlane/scheduler-priority',
    engine: () => {
      const pools = createResourcePools({ capacity: { cpu: CONCURRENCY } });
      return {
        options: { plugins: [priorityScheduler({ concurrency: CONCURRENCY, pools })] },
        verify: () => {
          const free = pools.available().cpu;
          if (free !== CONCURRENCY) throw new Error(`pool not released after the run: ${free}/${CONCURRENCY} cpu free`);
        },
        dispose: () => pools.dispose(),
      };
    },
  },
  'round-robin': {
    system: 'flowlane-round-robin',
    what: 'roundRobinScheduler({ workers: 4 × capacity 2 })',
    package: '@flowlane/scheduler-round-robin',
    engine: () => ({ options: { plugins: [roundRobinScheduler({ workers: WORKERS })] }, verify: placedOnWorkers }),
  },
  'load-based': {
    system: 'flowlane-load-based',
    what: 'loadBasedScheduler({ workers: 4 × capacity 2 }), default load = in-flight ÷ capacity',
    package: '@flowlane/scheduler-load-based',
    engine: () => ({ options: { plugins: [loadBasedScheduler({ workers: WORKERS })] }, verify: placedOnWorkers }),
  },
};

export const caseVersion = (key) => versionOf(CASES[key].package);

/** `options.scheduler`: a key of CASES. */
export function prepare(w, options) {
  const c = CASES[options?.scheduler];
  if (c === undefined) throw new Error(`unknown scheduler case ${options?.scheduler}`);
  const { options: engine, verify, dispose } = c.engine();
  const impl = prepareFlowlane(w, { engine, node: NODE_OPTIONS, ...(verify ? { verify } : {}) });
  return {
    ...impl,
    async close() {
      await impl.close();
      dispose?.();
    },
  };
}
