import type {
  FlowEvent,
  RunStatus,
  WorkflowCancelledEvent,
  WorkflowCompletedEvent,
  WorkflowFailedEvent,
  WorkflowStartedEvent,
} from '../../contracts/events.js';

/* Plugin contracts: a run's own event log, read without a subscription. */

/**
 * A read-only view of one run's event log — the events core keeps for `run.events$` replay — given to plugins by
 * `PluginApi.runEvents(executionId)`. It lets a plugin that shows history (a monitor) keep whole runs by reference
 * and read them when someone asks, instead of copying every event as it is emitted. The view stays readable after
 * the run settles, for as long as the plugin holds it (and only then: core keeps nothing for it).
 *
 * @example
 * ```ts
 * import { definePlugin, type RunEventsView } from '@flowlane/core';
 *
 * const kept = new Map<string, RunEventsView>();
 * const history = definePlugin({
 *   name: 'history',
 *   version: '1.0.0',
 *   flowlane: '^0.1.0',
 *   setup(api) {
 *     api.watchRuns({ name: 'history', started: (run) => void kept.set(run.executionId, run) });
 *   },
 * });
 * // Later, on demand: kept.get(id)?.events() — every event of that run so far, in order.
 * ```
 */
export interface RunEventsView {
  /** The run's id. */
  readonly executionId: string;
  /** Its workflow's name. */
  readonly workflow: string;
  /** How many events the log holds so far (its subworkflow runs' included), without materialising them. */
  readonly count: number;
  /** True once the run is final: the log no longer grows. */
  readonly final: boolean;
  /**
   * The run's events so far, in order, exactly as `run.events$` replays them: the run's own events and those of its
   * subworkflow runs (which carry `parentExecutionId`). Read-only; may be the live log or a copy — call it again
   * for events emitted since.
   */
  events(): readonly FlowEvent[];
  /**
   * The run's own events so far, folded into counts, durations and per-node states — without making event objects
   * when the log still holds them compact (a run nobody listened to), so a plugin can keep summaries and reports of
   * every run cheaply and call {@link events} only for the runs someone looks at. The result is the same whichever
   * form the log is in. Each call folds only the events emitted since the previous one; subworkflow runs' events are
   * left out (each has a view of its own).
   */
  summary(): RunEventsSummary;
}

/** Where a node stands in a {@link RunEventsSummary} (as its last event of the run left it). */
export type RunNodeState = 'pending' | 'running' | 'retrying' | 'success' | 'failed' | 'skipped' | 'cancelled';

/** One node in a {@link RunEventsSummary}. */
export interface RunNodeSummary {
  /** `pending` before its first event; `success` after `node.completed`, `failed` after `node.failed`, … */
  readonly state: RunNodeState;
  /** The highest attempt seen (`node.started`, `node.completed`, `node.failed`); 0 before any. */
  readonly attempts: number;
  /** `durationMs` of its last `node.completed`, `node.failed` or `node.cancelled`. */
  readonly durationMs?: number | undefined;
  /** The fallback that produced its output (`node.fell-back`, or `fallbackUsed` of `node.completed`). */
  readonly fallbackUsed?: string | undefined;
  /** True after a `node.cache-hit`. */
  readonly cacheHit: boolean;
}

/**
 * A run's own events folded — what `RunEventsView.summary()` returns. The numbers are a snapshot of the log when it
 * was called; {@link node} answers as of the latest `summary()` call of the same view.
 *
 * @example
 * ```ts
 * import { definePlugin } from '@flowlane/core';
 *
 * const report = definePlugin({
 *   name: 'report',
 *   version: '1.0.0',
 *   flowlane: '^0.1.0',
 *   setup(api) {
 *     api.watchRuns({
 *       name: 'report',
 *       settled(run) {
 *         const s = run.summary(); // no event objects made
 *         api.logger.info('run settled', { id: s.executionId, status: s.status, failed: s.settled.failed });
 *       },
 *     });
 *   },
 * });
 * ```
 */
export interface RunEventsSummary {
  /** The run's id. */
  readonly executionId: string;
  /** Its workflow's name. */
  readonly workflow: string;
  /** `running` until the run's final event (`workflow.completed`, `.failed`, `.cancelled`). */
  readonly status: 'running' | RunStatus;
  /** `timestamp` of its `workflow.started`. */
  readonly startedAt?: number | undefined;
  /** `timestamp` of its final event. */
  readonly endedAt?: number | undefined;
  /** `durationMs` of its final event. */
  readonly durationMs?: number | undefined;
  /** How many of the run's own events were folded. */
  readonly events: number;
  /** Node-settling events by outcome: `node.completed`, `node.failed`, `node.skipped`, `node.cancelled`. */
  readonly settled: {
    readonly success: number;
    readonly failed: number;
    readonly skipped: number;
    readonly cancelled: number;
  };
  /** `durationMs` of every `node.completed`, `node.failed` and `node.cancelled`: how many, their sum, the largest. */
  readonly nodeDurations: { readonly count: number; readonly totalMs: number; readonly maxMs: number };
  /** `node.retrying` events. */
  readonly retries: number;
  /** `node.cache-hit` events. */
  readonly cacheHits: number;
  /** Nodes whose fallback produced their output. */
  readonly fallbacks: number;
  /** One node's state, or `undefined` for an id the run does not know. */
  node(nodeId: string): RunNodeSummary | undefined;
}

/**
 * Told when each run of the engine (a subworkflow run too) starts and settles, with its {@link RunEventsView} —
 * registered with `PluginApi.watchRuns`. Unlike a metrics exporter's `handle`, it is not called per event: a plugin
 * that keeps runs by reference and reads their logs on demand costs the engine nothing per event. Called
 * synchronously; keep it cheap and non-throwing (a throw is caught and logged with the watcher's name).
 */
export interface RunWatcher {
  /** Names the watcher in failure logs; unique per engine (`FL_PLUGIN_CONFLICT` otherwise). */
  readonly name: string;
  /** The run began: its `workflow.started` event is the first of its log. Not called for a run that never began. */
  started?(run: RunEventsView, event: WorkflowStartedEvent): void;
  /** The run is final (`run.final` is true): its last event is in its log. Called once per run `started` saw. */
  settled?(run: RunEventsView, event: WorkflowCompletedEvent | WorkflowFailedEvent | WorkflowCancelledEvent): void;
}
