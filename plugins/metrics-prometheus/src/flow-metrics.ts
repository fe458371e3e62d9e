import type { FlowEvent, NodeOutcome, RunStatus, RunTracker, Scheduler, SystemEvent } from '@flowlane/core';
import { createRunTracker, createSeriesIndex } from '@flowlane/core';
import type { Registry, RegistryContentType } from 'prom-client';
import {
  CounterCollector,
  GaugeCollector,
  type HistogramCell,
  HistogramCollector,
  type Labels,
  observe,
  type ValueCell,
} from './collectors.js';
import { PrometheusMetricsError } from './errors.js';
import type { FlowLabel, ResolvedOptions } from './options.js';

type NodeLabelStatus = NodeOutcome | 'skipped';

/**
 * The series of one (workflow, status) or (workflow, node, status) label set: the counter exists from the slot's
 * first use, the histogram only once a duration was observed (skipped nodes have none).
 */
interface OutcomeCells {
  readonly labels: Labels;
  readonly count: ValueCell;
  duration: HistogramCell | undefined;
}

interface WorkflowSlot {
  readonly name: string;
  readonly runs: Readonly<Record<RunStatus, OutcomeCells>>;
  readonly runsInFlight: ValueCell;
  readonly nodesInFlight: ValueCell;
}

interface NodeSlot {
  readonly workflow: WorkflowSlot;
  readonly name: string;
  /** Labels of the per-node series without status. */
  readonly labels: Labels;
  /** Created on first use, like every per-node series: nodes that never retry export no retry series. */
  retries: ValueCell | undefined;
  cacheHits: ValueCell | undefined;
  /** Cells by final status, created on first use. */
  readonly byStatus: Partial<Record<NodeLabelStatus, OutcomeCells>>;
}

/**
 * The metric names (without prefix), in exposition order.
 *
 * @example
 * ```ts
 * import { METRIC_NAMES } from '@flowlane/metrics-prometheus';
 * console.log(METRIC_NAMES[0]); // workflow_runs_total
 * ```
 */
export const METRIC_NAMES = [
  'workflow_runs_total',
  'workflow_duration_seconds',
  'node_executions_total',
  'node_duration_seconds',
  'node_retries_total',
  'cache_hits_total',
  'runs_in_flight',
  'nodes_in_flight',
  'scheduler_queue_depth',
  'worker_up',
  'resource_expirations_total',
] as const;

/** Distinct workers `worker_up` tracks; later ones are ignored (worker ids come from configuration, not data). */
const MAX_WORKERS = 1000;

/**
 * Internal: the exporter's metric families in one registry, updated synchronously from engine events. Each series'
 * cells are found once (a slot per workflow and per node, bounded by the series index) and then updated with plain
 * additions; samples are built only when the registry is collected. The scheduler queue depth is read at collection.
 */
export class FlowMetrics {
  readonly #registry: Registry<RegistryContentType>;
  readonly #names: string[];
  readonly #runs: CounterCollector;
  readonly #runDuration: HistogramCollector;
  readonly #nodes: CounterCollector;
  readonly #nodeDuration: HistogramCollector;
  readonly #retries: CounterCollector;
  readonly #cacheHits: CounterCollector;
  readonly #runsInFlight: GaugeCollector;
  readonly #nodesInFlight: GaugeCollector;
  readonly #workerUp: GaugeCollector;
  readonly #expirations: CounterCollector;
  readonly #workers = new Map<string, ValueCell>();
  readonly #tracker: RunTracker;
  readonly #keep: (label: FlowLabel) => boolean;
  readonly #static: Labels;

  constructor(registry: Registry<RegistryContentType>, o: ResolvedOptions, scheduler: () => Scheduler | undefined) {
    this.#registry = registry;
    this.#names = METRIC_NAMES.map((n) => `${o.prefix}${n}`);
    for (const name of this.#names)
      if (registry.getSingleMetric(name) !== undefined)
        throw new PrometheusMetricsError('FL_PROMETHEUS_METRIC_CONFLICT', { metric: name });
    this.#keep = (label) => o.allowed.has(label);
    this.#static = { ...o.staticLabels };
    const [
      runs,
      runDuration,
      nodes,
      nodeDuration,
      retries,
      cacheHits,
      runsInFlight,
      nodesInFlight,
      queue,
      workerUp,
      expirations,
    ] = this.#names as [string, string, string, string, string, string, string, string, string, string, string];

    this.#runs = new CounterCollector(runs, 'Finished workflow runs by final status.');
    this.#runDuration = new HistogramCollector(
      runDuration,
      'Duration of finished workflow runs in seconds, by final status.',
      o.workflowBuckets,
    );
    this.#nodes = new CounterCollector(
      nodes,
      'Finished nodes by final status (all attempts of a node count once; skipped nodes have status "skipped").',
    );
    this.#nodeDuration = new HistogramCollector(
      nodeDuration,
      'Duration of finished nodes in seconds (first attempt start to end, retries included), by final status.',
      o.nodeBuckets,
    );
    this.#retries = new CounterCollector(retries, 'Node attempts that failed and were retried.');
    this.#cacheHits = new CounterCollector(
      cacheHits,
      'Node outputs served from the cache instead of running the node.',
    );
    this.#runsInFlight = new GaugeCollector(runsInFlight, 'Workflow runs executing now.');
    this.#nodesInFlight = new GaugeCollector(nodesInFlight, 'Node attempts executing now.');
    const queueDepth = new GaugeCollector(
      queue,
      "Nodes waiting for the engine's scheduler to admit them (present when the scheduler reports it).",
      () => {
        const s = scheduler();
        if (s === undefined || typeof s.pending !== 'function') return [];
        try {
          const depth = s.pending();
          return Number.isFinite(depth)
            ? [{ labels: { scheduler: String(s.name), ...this.#static }, value: depth }]
            : [];
        } catch {
          return [];
        }
      },
    );
    this.#workerUp = new GaugeCollector(
      workerUp,
      "1 while a scheduler's worker is in the rotation, 0 after a failed health check (worker.up / worker.down).",
    );
    this.#expirations = new CounterCollector(
      expirations,
      'Resource leases reclaimed from nodes that held them longer than the pools allow (resource.expired).',
    );
    for (const c of [
      this.#runs,
      this.#runDuration,
      this.#nodes,
      this.#nodeDuration,
      this.#retries,
      this.#cacheHits,
      this.#runsInFlight,
      this.#nodesInFlight,
      queueDepth,
      this.#workerUp,
      this.#expirations,
    ])
      c.registerIn(registry);

    const index = createSeriesIndex<WorkflowSlot, NodeSlot>(
      { maxWorkflows: o.maxWorkflows, maxNodeIds: o.maxNodeIds },
      (name) => {
        // Every run status is counted from the workflow's first run on, so rates and ratios over it are defined.
        const outcome = (status: RunStatus): OutcomeCells => {
          const labels = this.#labels(name, undefined, status);
          return { labels, count: this.#runs.cell(labels), duration: undefined };
        };
        const plain = this.#labels(name, undefined, undefined);
        return {
          name,
          runs: { success: outcome('success'), failed: outcome('failed'), cancelled: outcome('cancelled') },
          runsInFlight: this.#runsInFlight.cell(plain),
          nodesInFlight: this.#nodesInFlight.cell(plain),
        };
      },
      (workflow, name) => ({
        workflow,
        name,
        labels: this.#labels(workflow.name, name, undefined),
        retries: undefined,
        cacheHits: undefined,
        byStatus: {},
      }),
    );
    this.#tracker = createRunTracker(index, {
      runStarted: (w) => void w.runsInFlight.value++,
      attemptStarted: (w) => void w.nodesInFlight.value++,
      attemptEnded: (w) => void w.nodesInFlight.value--,
      runEnded: (w, status, durationMs, nodesInFlight, tracked) => {
        if (tracked) {
          w.runsInFlight.value--;
          w.nodesInFlight.value -= nodesInFlight;
        }
        const cells = w.runs[status];
        cells.count.value++;
        if (durationMs >= 0)
          observe(
            (cells.duration ??= this.#runDuration.cell(cells.labels)),
            this.#runDuration.bounds,
            durationMs / 1000,
          );
      },
      nodeEnded: (node, status, durationMs) => {
        const cells = this.#outcome(node, status);
        cells.count.value++;
        if (durationMs >= 0)
          observe(
            (cells.duration ??= this.#nodeDuration.cell(cells.labels)),
            this.#nodeDuration.bounds,
            durationMs / 1000,
          );
      },
      nodeSkipped: (node) => void this.#outcome(node, 'skipped').count.value++,
      nodeRetried: (node) => void (node.retries ??= this.#retries.cell(node.labels)).value++,
      cacheHit: (node) => void (node.cacheHits ??= this.#cacheHits.cell(node.labels)).value++,
    });
  }

  /** Full names of the registered metrics. */
  get names(): readonly string[] {
    return this.#names;
  }

  /** Updates the series from one event. Synchronous and allocation-free once a series exists. */
  handle(e: FlowEvent): void {
    this.#tracker.handle(e);
  }

  /** Updates worker and resource series from a system event (scheduler worker health, resource expiry). */
  handleSystem(e: SystemEvent): void {
    const scheduler = e.scheduler ?? 'unknown';
    if (e.type === 'resource.expired') {
      this.#expirations.cell({ scheduler, ...this.#static }).value++;
      return;
    }
    const key = `${scheduler}\u0000${e.workerId}`;
    let cell = this.#workers.get(key);
    if (cell === undefined) {
      if (this.#workers.size >= MAX_WORKERS) return;
      cell = this.#workerUp.cell({ scheduler, worker: e.workerId, ...this.#static });
      this.#workers.set(key, cell);
    }
    cell.value = e.type === 'worker.up' ? 1 : 0;
  }

  /** Removes this exporter's metrics from the registry. */
  unregister(): void {
    for (const name of this.#names) this.#registry.removeSingleMetric(name);
  }

  #labels(workflow: string, node: string | undefined, status: string | undefined): Labels {
    const l: Record<string, string> = {};
    if (this.#keep('workflow')) l.workflow = workflow;
    if (node !== undefined && this.#keep('node')) l.node = node;
    if (status !== undefined && this.#keep('status')) l.status = status;
    return Object.assign(l, this.#static);
  }

  #outcome(node: NodeSlot, status: NodeLabelStatus): OutcomeCells {
    let cells = node.byStatus[status];
    if (cells === undefined) {
      const labels = this.#labels(node.workflow.name, node.name, status);
      node.byStatus[status] = cells = { labels, count: this.#nodes.cell(labels), duration: undefined };
    }
    return cells;
  }
}
