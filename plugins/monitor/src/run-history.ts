import type { FlowEvent, WorkflowDescription } from '@flowlane/core';
import type { DurationStats, MonitorAlert, MonitorReport, RunSummary } from './protocol.js';

/** A run's recorded history: what a late subscriber receives first. */
export interface RunHistory {
  /** The run's live summary. */
  readonly run: RunSummary;
  /** Its workflow's graph. */
  readonly description?: WorkflowDescription | undefined;
  /** Its events so far, in order. */
  readonly events: readonly FlowEvent[];
  /** True when events past `maxEventsPerRun` were not kept. */
  readonly truncated: boolean;
}

/**
 * Where the monitor reads the history of a run it did not record itself (started by another process, or evicted
 * from its memory) — the seam for a durable execution log. The monitor asks it only for runs it does not hold, so
 * a source never races the live stream.
 *
 * @example
 * ```ts
 * import type { FlowEvent } from '@flowlane/core';
 * import type { HistorySource } from '@flowlane/monitor';
 *
 * const archived = new Map<string, FlowEvent[]>();
 * const source: HistorySource = {
 *   async read(executionId) {
 *     const events = archived.get(executionId);
 *     return events === undefined ? undefined : { events };
 *   },
 * };
 * ```
 */
export interface HistorySource {
  read(
    executionId: string,
  ):
    | { readonly events: readonly FlowEvent[]; readonly description?: WorkflowDescription | undefined }
    | undefined
    | Promise<
        { readonly events: readonly FlowEvent[]; readonly description?: WorkflowDescription | undefined } | undefined
      >;
}

interface RunRecord {
  summary: {
    -readonly [K in keyof RunSummary]: RunSummary[K];
  };
  description: WorkflowDescription | undefined;
  executors: Map<string, string> | undefined;
  /** Preallocated for the run's expected event count (two per node plus start and end); `count` are filled. */
  events: (FlowEvent | undefined)[];
  count: number;
  truncated: boolean;
}

class Stats {
  count = 0;
  sum = 0;
  max = 0;
  add(ms: number): void {
    this.count++;
    this.sum += ms;
    if (ms > this.max) this.max = ms;
  }
  toJSON(): DurationStats {
    return { count: this.count, avgMs: this.count === 0 ? 0 : this.sum / this.count, maxMs: this.max };
  }
}

/** Largest per-run event array allocated up front (more events still fit: the array then grows). */
const PREALLOCATE_MAX = 50_000;

/** Final node statuses counted by the report, by index. */
const FINAL_NAMES = ['success', 'failed', 'skipped', 'cancelled'] as const;

/** Index into {@link FINAL_NAMES} of an event that settles a node, else -1 (a switch: no dictionary lookup). */
function finalIndex(type: FlowEvent['type']): number {
  switch (type) {
    case 'node.completed':
      return 0;
    case 'node.failed':
      return 1;
    case 'node.skipped':
      return 2;
    case 'node.cancelled':
      return 3;
    default:
      return -1;
  }
}

const countsToRecord = (c: Float64Array): Record<string, number> => {
  const out: Record<string, number> = {};
  for (let i = 0; i < FINAL_NAMES.length; i++) if (c[i]! > 0) out[FINAL_NAMES[i]!] = c[i]!;
  return out;
};

/** Executor name of a node from its description (`local` unless it names one). */
function executorOf(options: Readonly<Record<string, unknown>>): string {
  const ex = options.executor;
  if (typeof ex === 'string') return ex;
  if (typeof ex === 'object' && ex !== null && typeof (ex as { name?: unknown }).name === 'string')
    return (ex as { name: string }).name;
  return 'local';
}

/** Non-`local` executors by node id, per description (core returns one cached description per workflow). */
const executorCache = new WeakMap<WorkflowDescription, Map<string, string> | null>();

/** The executor of every node that does not run locally (`undefined` when all do), computed once per workflow. */
function executorsOf(description: WorkflowDescription): Map<string, string> | undefined {
  let m = executorCache.get(description);
  if (m === undefined) {
    m = null;
    for (const n of description.nodes) {
      const ex = executorOf(n.options);
      if (ex !== 'local') (m ??= new Map()).set(n.id, ex);
    }
    executorCache.set(description, m);
  }
  return m ?? undefined;
}

/**
 * The monitor's in-memory record of recent runs: per-run events (bounded), live summaries and the report, all
 * updated in O(1) per event. Oldest settled runs are evicted beyond `maxRuns`.
 */
export class RunRecorder {
  readonly #runs = new Map<string, RunRecord>();
  readonly #maxRuns: number;
  readonly #maxEvents: number;
  readonly #maxTotal: number;
  #total = 0;
  readonly #runStatus: Record<RunSummary['status'], number> = { running: 0, success: 0, failed: 0, cancelled: 0 };
  readonly #nodes = new Float64Array(FINAL_NAMES.length);
  /** Counts by executor; `local` (most nodes) has its own array so the common case needs no lookup. */
  readonly #local = new Float64Array(FINAL_NAMES.length);
  readonly #byExecutor = new Map<string, Float64Array>([['local', this.#local]]);
  /** The run of the previous event (and its id): consecutive events mostly belong to one run. */
  #last: RunRecord | undefined;
  #lastId: string | undefined;
  readonly #runDur = new Stats();
  readonly #nodeDur = new Stats();

  constructor(maxRuns: number, maxEventsPerRun: number, maxEvents: number) {
    this.#maxRuns = maxRuns;
    this.#maxEvents = maxEventsPerRun;
    this.#maxTotal = maxEvents;
  }

  /** Records one event; returns the run's summary. */
  append(e: FlowEvent, description: WorkflowDescription | undefined): RunSummary | undefined {
    const id = e.executionId;
    const type = e.type;
    let rec = id === this.#lastId ? this.#last : this.#runs.get(id);
    if (type === 'workflow.started') {
      if (rec !== undefined) this.#forget(e.executionId, rec);
      const executors = description === undefined ? undefined : executorsOf(description);
      rec = {
        summary: {
          executionId: e.executionId,
          workflow: e.workflow,
          status: 'running',
          startedAt: e.timestamp,
          nodeCount: e.nodeCount,
          settledNodes: 0,
          failedNodes: 0,
          ...(e.parentExecutionId === undefined ? {} : { parentExecutionId: e.parentExecutionId }),
        },
        description,
        executors,
        // Sized once: growing a 20,000-slot array by appends copies it a dozen times.
        events: new Array<FlowEvent | undefined>(Math.min(this.#maxEvents, e.nodeCount * 2 + 2, PREALLOCATE_MAX)),
        count: 0,
        truncated: false,
      };
      this.#runs.set(e.executionId, rec);
      this.#runStatus.running++;
      this.#evict();
    }
    if (rec === undefined) return undefined; // a run that started before the monitor: nothing to attach it to
    this.#last = rec;
    this.#lastId = id;
    if (rec.count < this.#maxEvents) {
      rec.events[rec.count++] = e;
      if (++this.#total > this.#maxTotal) this.#evict();
    } else rec.truncated = true;
    const s = rec.summary;
    const final = finalIndex(type);
    if (final >= 0) {
      s.settledNodes++;
      if (final === 1) s.failedNodes++;
      this.#nodes[final]!++;
      const ex = rec.executors?.get((e as { nodeId: string }).nodeId);
      let byStatus: Float64Array = this.#local;
      if (ex !== undefined) {
        let c = this.#byExecutor.get(ex);
        if (c === undefined) this.#byExecutor.set(ex, (c = new Float64Array(FINAL_NAMES.length)));
        byStatus = c;
      }
      byStatus[final]!++;
      const ms = (e as { durationMs?: number }).durationMs;
      if (ms !== undefined) this.#nodeDur.add(ms);
    } else if (type === 'workflow.completed' || type === 'workflow.failed' || type === 'workflow.cancelled') {
      this.#runStatus[s.status]--;
      s.status = type === 'workflow.completed' ? 'success' : type === 'workflow.failed' ? 'failed' : 'cancelled';
      this.#runStatus[s.status]++;
      s.endedAt = e.timestamp;
      if (rec.events.length > rec.count) rec.events.length = rec.count; // a run cut short frees its unused slots
      s.durationMs = e.durationMs;
      this.#runDur.add(e.durationMs);
    }
    return s;
  }

  /** The history of a run this recorder holds. */
  history(executionId: string): RunHistory | undefined {
    const rec = this.#runs.get(executionId);
    if (rec === undefined) return undefined;
    return {
      run: { ...rec.summary },
      description: rec.description,
      events: rec.events.slice(0, rec.count) as FlowEvent[],
      truncated: rec.truncated,
    };
  }

  /** The description of a run this recorder holds. */
  description(executionId: string): WorkflowDescription | undefined {
    return this.#runs.get(executionId)?.description;
  }

  /** Summaries, newest first, optionally of one workflow. */
  runs(workflow?: string): RunSummary[] {
    const out: RunSummary[] = [];
    for (const rec of this.#runs.values())
      if (workflow === undefined || rec.summary.workflow === workflow) out.push({ ...rec.summary });
    return out.reverse();
  }

  report(alerts: readonly MonitorAlert[]): MonitorReport {
    return {
      runs: { ...this.#runStatus },
      nodes: countsToRecord(this.#nodes),
      byExecutor: Object.fromEntries(
        [...this.#byExecutor].filter(([, c]) => c.some((n) => n > 0)).map(([k, c]) => [k, countsToRecord(c)]),
      ),
      runDurations: this.#runDur.toJSON(),
      nodeDurations: this.#nodeDur.toJSON(),
      alerts,
    };
  }

  /** Drops the oldest settled runs beyond `maxRuns` or `maxEvents` kept events (running runs are kept). */
  #evict(): void {
    const over = () => this.#runs.size > this.#maxRuns || this.#total > this.#maxTotal;
    if (!over()) return;
    for (const [id, rec] of this.#runs) {
      if (!over()) return;
      if (rec.summary.status !== 'running') this.#forget(id, rec);
    }
  }

  /** Removes a run: run counts cover the runs kept; node counts and durations keep covering everything seen. */
  #forget(id: string, rec: RunRecord): void {
    this.#runs.delete(id);
    if (this.#last === rec) {
      this.#last = undefined;
      this.#lastId = undefined;
    }
    this.#total -= rec.count;
    this.#runStatus[rec.summary.status]--;
  }
}
