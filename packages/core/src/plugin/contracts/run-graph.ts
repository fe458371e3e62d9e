import type { WorkflowDescription } from '../../contracts/descriptions.js';

/* Plugin contracts: the graph of a run's workflow, described on demand. */

/**
 * The graph of a run's workflow, given to plugins by `PluginApi.runGraph(executionId)` — for a plugin that draws runs
 * (a dashboard) but only sometimes needs to. Asking for the handle builds nothing: the description is made on the
 * first {@link describe} or {@link json} call and then kept by core for the workflow's lifetime (one handle per
 * workflow, shared by its runs). Unlike `PluginApi.describeRun`, the handle stays usable after the run settles, so a
 * plugin can keep it with the run and describe the graph only when someone asks for it.
 *
 * @example
 * ```ts
 * import { definePlugin, type RunGraph } from '@flowlane/core';
 *
 * const graphs = new Map<string, RunGraph>();
 * const drawer = definePlugin({
 *   name: 'drawer',
 *   version: '1.0.0',
 *   flowlane: '^0.1.0',
 *   setup(api) {
 *     api.watchRuns({
 *       name: 'drawer',
 *       started(run) {
 *         const graph = api.runGraph(run.executionId); // nothing is described yet
 *         if (graph !== undefined) graphs.set(run.executionId, graph);
 *       },
 *     });
 *   },
 * });
 * // Later, when a viewer opens a run: graphs.get(id)?.json() — its workflow's description as JSON text.
 * ```
 */
export interface RunGraph {
  /** The workflow's name. */
  readonly workflow: string;
  /**
   * The workflow's JSON-safe description (nodes, edges, groups), as `workflow.toJSON()` and `describeRun` return it:
   * the same object every call, built on the first and kept with the workflow. A large workflow's description is
   * many objects (≈ 0.5 KB per node), which every later major garbage collection traces; prefer {@link json} to send
   * it somewhere.
   */
  describe(): WorkflowDescription;
  /**
   * The same description as JSON text (`JSON.stringify` of {@link describe}'s result, byte for byte), built on the
   * first call and kept with the workflow as one string — which the garbage collector does not trace. Building it
   * does not keep the description's objects (unless {@link describe} or `toJSON()` was called).
   */
  json(): string;
  /**
   * The executor of each node whose `executor` option names one other than `local`, by node id (the selector's
   * `name` for `{ name, target }`); a node not in the map runs on the built-in `local` executor. Read from the
   * workflow's options once per workflow, without describing it; empty when every node runs locally.
   */
  executors(): ReadonlyMap<string, string>;
}
