import type { FlowEvent, NodeOutcome, RunStatus, RunTracker, Scheduler, SystemEvent } from '@flowlane/core';
import { createRunTracker, createSeriesIndex } from '@flowlane/core';
import type { StatsD } from 'hot-shots';
import type { FlowTag, ResolvedOptions } from './options.js';
import { tagValue } from './options.js';

/** Internal: the part of a hot-shots client the exporter sends through. */
export type DogstatsdSink = Pick<StatsD, 'increment' | 'timing' | 'distribution' | 'gauge'>;

/**
 * The metric names (without prefix).
 *
 * @example
 * ```ts
 * import { METRIC_NAMES } from '@flowlane/metrics-datadog';
 * console.log(METRIC_NAMES.nodeDuration); // node.duration
 * ```
 */
export const METRIC_NAMES = {
  workflowRuns: 'workflow.run',
  workflowDuration: 'workflow.duration',
  nodeExecutions: 'node.executions',
  nodeDuration: 'node.duration',
  nodeRetries: 'node.retries',
  cacheHits: 'node.cache_hits',
  runsInFlight: 'workflow.in_flight',
  nodesInFlight: 'node.in_flight',
  queueDepth: 'scheduler.queue_depth',
  workerUp: 'worker.up',
  resourceExpirations: 'resource.expirations',
} as const;

/** Distinct workers `worker.up` tracks; later ones are ignored (worker ids come from configuration, not data). */
const MAX_WORKERS = 1000;

interface Count {
  readonly tags: readonly string[];
  value: number;
}

/** Duration values of one series since the last flush: all of them up to the cap, then a uniform sample. */
interface Durations {
  readonly tags: readonly string[];
  seen: number;
  readonly values: number[];
}

interface OutcomeSeries {
  readonly count: Count;
  readonly duration: Durations;
}

interface WorkflowSlot {
  readonly name: string;
  readonly tags: readonly string[];
  readonly runs: Readonly<Record<RunStatus, OutcomeSeries>>;
  runsInFlight: number;
  nodesInFlight: number;
}

interface NodeSlot {
  readonly workflow: WorkflowSlot;
  readonly name: string;
  readonly retries: Count;
  readonly cacheHits: Count;
  readonly byStatus: Partial<Record<NodeOutcome | 'skipped', OutcomeSeries>>;
}

/** One family of series, deduplicated by tag set (tags dropped by the allow-list make series share). */
class Family<S extends { readonly tags: readonly string[] }> {
  readonly series = new Map<string, S>();
  constructor(readonly name: string) {}
  get(tags: readonly string[], create: (tags: readonly string[]) => S): S {
    const key = tags.join(',');
    let s = this.series.get(key);
    if (s === undefined) this.series.set(key, (s = create(tags)));
    return s;
  }
}

const count = (tags: readonly string[]): Count => ({ tags, value: 0 });
const durations = (tags: readonly string[]): Durations => ({ tags, seen: 0, values: [] });

/**
 * Internal: aggregates engine events in memory (counts summed, duration values kept up to a cap per series) and
 * sends them through a DogStatsD client on {@link FlowAggregator.flush}. The hot path is a few `Map` lookups and
 * additions; the client is only called from `flush`, so its per-metric formatting never runs inside a run.
 */
export class FlowAggregator {
  readonly #o: ResolvedOptions;
  readonly #tracker: RunTracker;
  readonly #workflows: WorkflowSlot[] = [];
  readonly #runs: Family<Count>;
  readonly #runDurations: Family<Durations>;
  readonly #nodes: Family<Count>;
  readonly #nodeDurations: Family<Durations>;
  readonly #retries: Family<Count>;
  readonly #cacheHits: Family<Count>;
  readonly #scheduler: () => Scheduler | undefined;
  /** Worker health by `scheduler,worker` tags: 1 up, 0 down (sent as a gauge on every flush). */
  readonly #workers = new Map<string, { readonly tags: readonly string[]; up: number }>();
  readonly #expirations: Family<Count>;

  constructor(o: ResolvedOptions, scheduler: () => Scheduler | undefined) {
    this.#o = o;
    this.#scheduler = scheduler;
    const p = o.prefix;
    this.#runs = new Family(p + METRIC_NAMES.workflowRuns);
    this.#runDurations = new Family(p + METRIC_NAMES.workflowDuration);
    this.#nodes = new Family(p + METRIC_NAMES.nodeExecutions);
    this.#nodeDurations = new Family(p + METRIC_NAMES.nodeDuration);
    this.#retries = new Family(p + METRIC_NAMES.nodeRetries);
    this.#cacheHits = new Family(p + METRIC_NAMES.cacheHits);
    this.#expirations = new Family(p + METRIC_NAMES.resourceExpirations);
    const index = createSeriesIndex<WorkflowSlot, NodeSlot>(
      o,
      (name) => {
        const outcome = (status: RunStatus): OutcomeSeries => {
          const tags = this.#tags(name, undefined, status);
          return { count: this.#runs.get(tags, count), duration: this.#runDurations.get(tags, durations) };
        };
        const slot: WorkflowSlot = {
          name,
          tags: this.#tags(name, undefined, undefined),
          runs: { success: outcome('success'), failed: outcome('failed'), cancelled: outcome('cancelled') },
          runsInFlight: 0,
          nodesInFlight: 0,
        };
        this.#workflows.push(slot);
        return slot;
      },
      (workflow, name) => {
        const tags = this.#tags(workflow.name, name, undefined);
        return {
          workflow,
          name,
          retries: this.#retries.get(tags, count),
          cacheHits: this.#cacheHits.get(tags, count),
          byStatus: {},
        };
      },
    );
    this.#tracker = createRunTracker(index, {
      runStarted: (w) => void w.runsInFlight++,
      attemptStarted: (w) => void w.nodesInFlight++,
      attemptEnded: (w) => void w.nodesInFlight--,
      runEnded: (w, status, durationMs, nodesInFlight, tracked) => {
        if (tracked) {
          w.runsInFlight--;
          w.nodesInFlight -= nodesInFlight;
        }
        const s = w.runs[status];
        s.count.value++;
        this.#record(s.duration, durationMs);
      },
      nodeEnded: (node, status, durationMs) => {
        const s = this.#outcome(node, status);
        s.count.value++;
        this.#record(s.duration, durationMs);
      },
      nodeSkipped: (node) => void this.#outcome(node, 'skipped').count.value++,
      nodeRetried: (node) => void node.retries.value++,
      cacheHit: (node) => void node.cacheHits.value++,
    });
  }

  /** Records a system event (worker health, resource expiry). Synchronous; no client call. */
  handleSystem(e: SystemEvent): void {
    const scheduler = `scheduler:${tagValue(e.scheduler ?? 'unknown')}`;
    if (e.type === 'resource.expired') {
      this.#expirations.get([scheduler], count).value++;
      return;
    }
    const tags = [scheduler, `worker:${tagValue(e.workerId)}`];
    const key = tags.join(',');
    let w = this.#workers.get(key);
    if (w === undefined) {
      if (this.#workers.size >= MAX_WORKERS) return;
      this.#workers.set(key, (w = { tags, up: 0 }));
    }
    w.up = e.type === 'worker.up' ? 1 : 0;
  }

  /** Records one event. Synchronous; no client call. */
  handle(e: FlowEvent): void {
    this.#tracker.handle(e);
  }

  /**
   * Sends what was recorded since the last flush (counts > 0, every kept duration value) and the current gauges
   * (runs and nodes in flight per workflow seen, worker health, the scheduler's queue depth), then starts a new
   * window.
   */
  flush(client: DogstatsdSink): void {
    const o = this.#o;
    const global = o.globalTags;
    const withGlobal = (tags: readonly string[]): string[] => (global.length === 0 ? [...tags] : [...global, ...tags]);
    for (const family of [this.#runs, this.#nodes, this.#retries, this.#cacheHits, this.#expirations])
      for (const s of family.series.values()) {
        if (s.value === 0) continue;
        const n = s.value;
        s.value = 0;
        client.increment(family.name, n, withGlobal(s.tags));
      }
    for (const family of [this.#runDurations, this.#nodeDurations])
      for (const s of family.series.values()) {
        if (s.values.length === 0) continue;
        const tags = withGlobal(s.tags);
        for (const v of s.values)
          if (o.durationType === 'timing') client.timing(family.name, v, o.sampleRate, tags);
          else client.distribution(family.name, v, o.sampleRate, tags);
        s.values.length = 0;
        s.seen = 0;
      }
    const gauges = new Map<string, { tags: readonly string[]; runs: number; nodes: number }>();
    for (const w of this.#workflows) {
      const key = w.tags.join(',');
      const g = gauges.get(key);
      if (g === undefined) gauges.set(key, { tags: w.tags, runs: w.runsInFlight, nodes: w.nodesInFlight });
      else {
        g.runs += w.runsInFlight;
        g.nodes += w.nodesInFlight;
      }
    }
    for (const g of gauges.values()) {
      client.gauge(o.prefix + METRIC_NAMES.runsInFlight, g.runs, withGlobal(g.tags));
      client.gauge(o.prefix + METRIC_NAMES.nodesInFlight, g.nodes, withGlobal(g.tags));
    }
    for (const w of this.#workers.values()) client.gauge(o.prefix + METRIC_NAMES.workerUp, w.up, withGlobal(w.tags));
    const s = this.#scheduler();
    if (s !== undefined && typeof s.pending === 'function') {
      let depth: number | undefined;
      try {
        depth = s.pending();
      } catch {
        depth = undefined;
      }
      if (depth !== undefined && Number.isFinite(depth))
        client.gauge(o.prefix + METRIC_NAMES.queueDepth, depth, withGlobal([`scheduler:${tagValue(String(s.name))}`]));
    }
  }

  #tags(workflow: string, node: string | undefined, status: string | undefined): readonly string[] {
    const allowed = this.#o.allowed;
    const tags: string[] = [];
    if (allowed.has('workflow' satisfies FlowTag)) tags.push(`workflow:${tagValue(workflow)}`);
    if (node !== undefined && allowed.has('node')) tags.push(`node:${tagValue(node)}`);
    if (status !== undefined && allowed.has('status')) tags.push(`status:${status}`);
    return Object.freeze(tags);
  }

  #outcome(node: NodeSlot, status: NodeOutcome | 'skipped'): OutcomeSeries {
    let s = node.byStatus[status];
    if (s === undefined) {
      const tags = this.#tags(node.workflow.name, node.name, status);
      node.byStatus[status] = s = {
        count: this.#nodes.get(tags, count),
        duration: this.#nodeDurations.get(tags, durations),
      };
    }
    return s;
  }

  #record(d: Durations, ms: number): void {
    if (!(ms >= 0)) return;
    const cap = this.#o.maxDurationSamples;
    const seen = ++d.seen;
    if (seen <= cap) d.values.push(ms);
    else {
      // Reservoir sampling: every value of the window has the same chance to be sent.
      const j = Math.floor(Math.random() * seen);
      if (j < cap) d.values[j] = ms;
    }
  }
}
