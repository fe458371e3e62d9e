import type {
  FlowEvent,
  RunEventsSummary,
  RunEventsView,
  RunGraph,
  WorkflowDescription,
  WorkflowStartedEvent,
} from '@flowlane/core';
import type { MonitorAlert, MonitorReport, RunSummary } from './protocol.js';
import { type GraphRef, graphExecutors } from './run-graph-text.js';
import { countsToRecord, executorsOf, FINAL_NAMES, finalIndex, finalStateIndex, Stats } from './run-stats.js';

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

/** A run's history as the recorder gives it to the hub: {@link RunHistory} with the graph not described yet. */
export interface RecordedHistory {
  readonly run: RunSummary;
  /** Its workflow's graph: core's handle (described when sent) or a description read from the store. */
  readonly graph: GraphRef | undefined;
  readonly events: readonly FlowEvent[];
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
  readonly id: string;
  summary: {
    -readonly [K in keyof RunSummary]: RunSummary[K];
  };
  /** Its workflow's graph, described only when a client asks for it. */
  graph: GraphRef | undefined;
  /** Nodes not run locally, by id (`undefined` when all are). */
  executors: ReadonlyMap<string, string> | undefined;
  /** A run of this engine: core's own log of the run, read when someone asks (nothing is copied per event). */
  view: RunEventsView | undefined;
  /** A run followed from the store: its events, kept here. */
  own: FlowEvent[] | undefined;
  /** A run followed from the store: events `[0, folded)` of `own` are in its summary and in the report. */
  folded: number;
  /**
   * A run of this engine: what of core's summary of it (`view.summary()`) is in the report already — its last
   * summary, and its nodes' final states by executor (those not run locally).
   */
  last: RunEventsSummary | undefined;
  lastByExecutor: Map<string, Float64Array> | undefined;
  /** The run's final event was seen. */
  final: boolean;
  /** What this run counts against `maxEvents`. */
  weight: number;
  truncated: boolean;
}

const isFinalRunEvent = (type: FlowEvent['type']): boolean =>
  type === 'workflow.completed' || type === 'workflow.failed' || type === 'workflow.cancelled';

/**
 * The monitor's in-memory record of recent runs, bounded by `maxRuns`, `maxEventsPerRun` and `maxEvents` (oldest
 * settled runs are evicted first; a running run never is).
 *
 * A run of this engine is kept by reference to core's own log of it (`PluginApi.runEvents`): the engine hands the
 * monitor nothing per event while no client is connected, only each run's start and end. Core folds each log
 * (`RunEventsView.summary()`: a compact log is read as numbers, no event objects are made, each event once) when the
 * run settles, or earlier when a client asks (it subscribes, a batch is sent to `all` subscribers), and only what
 * changed since the previous fold is added to the report — so node counts and durations keep covering every run
 * seen, evicted ones included. A run's events are made into objects only for a client's `history`. Runs followed from
 * the execution store are recorded event by event here.
 */
export class RunRecorder {
  readonly #runs = new Map<string, RunRecord>();
  readonly #maxRuns: number;
  readonly #maxEvents: number;
  readonly #maxTotal: number;
  /** Sum of the kept runs' weights. */
  #total = 0;
  readonly #nodes = new Float64Array(FINAL_NAMES.length);
  /** Counts by executor; `local` (most nodes) has its own array so the common case needs no lookup. */
  readonly #local = new Float64Array(FINAL_NAMES.length);
  readonly #byExecutor = new Map<string, Float64Array>([['local', this.#local]]);
  readonly #runDur = new Stats();
  readonly #nodeDur = new Stats();
  /** Events folded: every event of every run seen, once. */
  #seen = 0;

  constructor(maxRuns: number, maxEventsPerRun: number, maxEvents: number) {
    this.#maxRuns = maxRuns;
    this.#maxEvents = maxEventsPerRun;
    this.#maxTotal = maxEvents;
  }

  /**
   * A run of this engine started: kept by reference to its log (`view`, from `PluginApi.runEvents`) and to its
   * workflow's graph (`graph`, from `PluginApi.runGraph`: nothing is described until a client asks). Until it
   * settles it counts as two events per node against `maxEvents`.
   */
  start(e: WorkflowStartedEvent, graph: RunGraph | undefined, view: RunEventsView | undefined): void {
    this.#add(e, graph, view, view === undefined ? [e] : undefined);
  }

  /**
   * A run of this engine settled (its final event is in its log): folded into its summary and the report by core
   * (`view.summary()`, no event objects); its log stays in core's form until a client asks for its history.
   */
  settle(executionId: string): void {
    const rec = this.#runs.get(executionId);
    if (rec === undefined || rec.final) return;
    rec.final = true;
    const view = rec.view;
    if (view !== undefined) {
      const weight = view.count;
      this.#total += weight - rec.weight;
      rec.weight = weight;
      // Folded now, while its log is still in the CPU's caches (core reads compact logs as numbers).
      this.#fold(rec);
    }
    this.#evict();
  }

  /** Records one event of a run this recorder keeps itself (followed from the store); returns false if unknown. */
  append(e: FlowEvent, description: WorkflowDescription | undefined): boolean {
    if (e.type === 'workflow.started') {
      this.#add(e, description, undefined, [e]);
      return true;
    }
    const rec = this.#runs.get(e.executionId);
    if (rec?.own === undefined || rec.view !== undefined) return false;
    // Folded as it comes: events past `maxEventsPerRun` are not kept but still counted.
    this.#fold(rec);
    this.#foldEvent(rec, e);
    if (rec.own.length < this.#maxEvents) {
      rec.own.push(e);
      rec.folded++;
      rec.weight++;
      if (++this.#total > this.#maxTotal) this.#evict();
    } else rec.truncated = true;
    if (isFinalRunEvent(e.type)) {
      rec.final = true;
      this.#evict();
    }
    return true;
  }

  /** How many events of the runs seen there were (their own events; the kept runs are folded first). */
  seen(): number {
    for (const rec of this.#runs.values()) this.#fold(rec);
    return this.#seen;
  }

  /** The history of a run this recorder holds. */
  history(executionId: string): RecordedHistory | undefined {
    const rec = this.#runs.get(executionId);
    if (rec === undefined) return undefined;
    this.#fold(rec);
    let events: FlowEvent[];
    let truncated = rec.truncated;
    if (rec.view === undefined) events = rec.own!.slice();
    else {
      // The only place a run of this engine is made into event objects: a client asked for this run.
      events = ownEvents(rec.view.events(), executionId);
      if (events.length > this.#maxEvents) {
        events.length = this.#maxEvents;
        truncated = true;
      }
    }
    return { run: { ...rec.summary }, graph: rec.graph, events, truncated };
  }

  /** Summaries, newest first, optionally of one workflow. */
  runs(workflow?: string): RunSummary[] {
    const out: RunSummary[] = [];
    for (const rec of this.#runs.values())
      if (workflow === undefined || rec.summary.workflow === workflow) {
        this.#fold(rec);
        out.push({ ...rec.summary });
      }
    return out.reverse();
  }

  report(alerts: readonly MonitorAlert[]): MonitorReport {
    const runs: Record<RunSummary['status'], number> = { running: 0, success: 0, failed: 0, cancelled: 0 };
    for (const rec of this.#runs.values()) {
      this.#fold(rec);
      runs[rec.summary.status]++;
    }
    return {
      runs,
      nodes: countsToRecord(this.#nodes),
      byExecutor: Object.fromEntries(
        [...this.#byExecutor].filter(([, c]) => c.some((n) => n > 0)).map(([k, c]) => [k, countsToRecord(c)]),
      ),
      runDurations: this.#runDur.toJSON(),
      nodeDurations: this.#nodeDur.toJSON(),
      alerts,
    };
  }

  #add(
    e: WorkflowStartedEvent,
    graph: GraphRef | undefined,
    view: RunEventsView | undefined,
    own: FlowEvent[] | undefined,
  ): void {
    const id = e.executionId;
    const old = this.#runs.get(id);
    if (old !== undefined) this.#forget(old);
    const weight = view === undefined ? 1 : e.nodeCount * 2 + 2;
    this.#runs.set(id, {
      id,
      summary: {
        executionId: id,
        workflow: e.workflow,
        status: 'running',
        startedAt: e.timestamp,
        nodeCount: e.nodeCount,
        settledNodes: 0,
        failedNodes: 0,
        ...(e.parentExecutionId === undefined ? {} : { parentExecutionId: e.parentExecutionId }),
      },
      graph,
      executors: graph === undefined ? undefined : graphExecutors(graph, executorsOf),
      view,
      own,
      folded: 0,
      last: undefined,
      lastByExecutor: undefined,
      final: false,
      weight,
      truncated: false,
    });
    this.#total += weight;
    this.#evict();
  }

  /** Brings what `rec` adds to its summary and to the report up to date. */
  #fold(rec: RunRecord): void {
    if (rec.view !== undefined) this.#foldView(rec, rec.view);
    else this.#foldOwn(rec);
  }

  /**
   * A run of this engine: core folds its log (`view.summary()`, reading a compact log as numbers — no event objects)
   * and only what changed since the previous fold is added to the report.
   */
  #foldView(rec: RunRecord, view: RunEventsView): void {
    const s = view.summary();
    const last = rec.last;
    if (last !== undefined && s.events === last.events) return;
    rec.last = s;
    const d = s.settled;
    const p = last?.settled;
    const dSuccess = d.success - (p?.success ?? 0);
    const dFailed = d.failed - (p?.failed ?? 0);
    const dSkipped = d.skipped - (p?.skipped ?? 0);
    const dCancelled = d.cancelled - (p?.cancelled ?? 0);
    const nodes = this.#nodes;
    nodes[0]! += dSuccess;
    nodes[1]! += dFailed;
    nodes[2]! += dSkipped;
    nodes[3]! += dCancelled;
    // By executor: nodes not run locally are counted by their final state; every other settled node is `local`.
    const local = this.#local;
    local[0]! += dSuccess;
    local[1]! += dFailed;
    local[2]! += dSkipped;
    local[3]! += dCancelled;
    const executors = rec.executors;
    if (executors !== undefined) {
      const now = new Map<string, Float64Array>();
      for (const [nodeId, ex] of executors) {
        const i = finalStateIndex(s.node(nodeId)?.state);
        if (i < 0) continue;
        let c = now.get(ex);
        if (c === undefined) now.set(ex, (c = new Float64Array(FINAL_NAMES.length)));
        c[i]!++;
      }
      for (const [ex, c] of now) {
        const was = rec.lastByExecutor?.get(ex);
        const into = this.#byExecutorOf(ex);
        for (let i = 0; i < c.length; i++) {
          const delta = c[i]! - (was?.[i] ?? 0);
          into[i]! += delta;
          local[i]! -= delta;
        }
      }
      rec.lastByExecutor = now;
    }
    const dur = s.nodeDurations;
    this.#nodeDur.merge(
      dur.count - (last?.nodeDurations.count ?? 0),
      dur.totalMs - (last?.nodeDurations.totalMs ?? 0),
      dur.maxMs,
    );
    const sum = rec.summary;
    sum.settledNodes = d.success + d.failed + d.skipped + d.cancelled;
    sum.failedNodes = d.failed;
    if (s.status !== 'running' && sum.status === 'running') {
      sum.status = s.status;
      sum.endedAt = s.endedAt!;
      sum.durationMs = s.durationMs!;
      this.#runDur.add(s.durationMs!);
    }
    this.#seen += s.events - (last?.events ?? 0);
  }

  /** A run followed from the store: folds the events of `rec.own` not folded yet (the loop of {@link #foldEvent}). */
  #foldOwn(rec: RunRecord): void {
    const events = rec.own!;
    const n = events.length;
    let k = rec.folded;
    if (k >= n) return;
    for (; k < n; k++) this.#foldEvent(rec, events[k]!);
    rec.folded = n;
  }

  #byExecutorOf(ex: string): Float64Array {
    let c = this.#byExecutor.get(ex);
    if (c === undefined) this.#byExecutor.set(ex, (c = new Float64Array(FINAL_NAMES.length)));
    return c;
  }

  #foldEnd(s: RunRecord['summary'], e: FlowEvent): void {
    if (s.status !== 'running') return;
    const end = e as Extract<FlowEvent, { type: 'workflow.completed' | 'workflow.failed' | 'workflow.cancelled' }>;
    s.status = end.type === 'workflow.completed' ? 'success' : end.type === 'workflow.failed' ? 'failed' : 'cancelled';
    s.endedAt = end.timestamp;
    s.durationMs = end.durationMs;
    this.#runDur.add(end.durationMs);
  }

  /** Folds one event of `rec` (its own) that is not in its event list. */
  #foldEvent(rec: RunRecord, e: FlowEvent): void {
    this.#seen++;
    const s = rec.summary;
    const final = finalIndex(e.type);
    if (final < 0) {
      if (isFinalRunEvent(e.type)) this.#foldEnd(s, e);
      return;
    }
    s.settledNodes++;
    if (final === 1) s.failedNodes++;
    this.#nodes[final]!++;
    const ex = rec.executors?.get((e as { nodeId: string }).nodeId);
    (ex === undefined ? this.#local : this.#byExecutorOf(ex))[final]!++;
    const ms = (e as { durationMs?: number }).durationMs;
    if (ms !== undefined) this.#nodeDur.add(ms);
  }

  /** Drops the oldest settled runs beyond `maxRuns` or `maxEvents` kept events (running runs are kept). */
  #evict(): void {
    const over = () => this.#runs.size > this.#maxRuns || this.#total > this.#maxTotal;
    if (!over()) return;
    for (const rec of this.#runs.values()) {
      if (!over()) return;
      if (rec.final) this.#forget(rec);
    }
  }

  /** Removes a run, folded first: run counts cover the runs kept; node counts and durations everything seen. */
  #forget(rec: RunRecord): void {
    this.#fold(rec);
    this.#runs.delete(rec.id);
    this.#total -= rec.weight;
  }
}

/** The events of run `id` in a log that may also hold its subworkflow runs' events. */
function ownEvents(events: readonly FlowEvent[], id: string): FlowEvent[] {
  const out: FlowEvent[] = [];
  for (let k = 0; k < events.length; k++) if (events[k]!.executionId === id) out.push(events[k]!);
  return out;
}
