import type {
  FlowEvent,
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
