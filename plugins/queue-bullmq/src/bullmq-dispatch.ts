import { definePlugin, type FlowlanePlugin, type PluginApi } from '@flowlane/core';
import { type BullmqDispatchOptions, bullmqDispatch as dispatchPlugin } from './dispatch.js';
import { nodePriorityCheck } from './node-priority.js';

/**
 * Coordinator side of distributed execution: nodes run as BullMQ jobs on worker processes made with
 * {@link createWorker}. A node with `runOn: '<group>'` (or any node, with `defaultGroup`) is sent to that group's
 * queue; `runOn: 'local'` runs in-process. The engine awaits the job like a local node, so retries, timeouts,
 * fallbacks, boundaries, caching and events are unchanged; cancelling the run or a timeout aborts the job on its
 * worker. Worker heartbeats appear on `engine.systemEvents$` as `worker.up` / `worker.down`. A node sent to a group
 * must have a `priority` from -1,048,575 to 1,048,575 (`FL_BULLMQ_INVALID_OPTION` before anything is queued).
 *
 * @example
 * ```ts
 * const engine = createEngine({ plugins: [bullmqDispatch({ connection: 'redis://127.0.0.1:6379', groups: ['gpu'] })] });
 * ```
 */
export function bullmqDispatch(options: BullmqDispatchOptions): FlowlanePlugin {
  // The dispatch plugin (dispatch.ts) checks the options; the node checks run ahead of its middleware.
  const dispatch = dispatchPlugin(options);
  const check = nodePriorityCheck(options.defaultGroup);
  return definePlugin({
    name: dispatch.name,
    version: dispatch.version,
    flowlane: dispatch.flowlane,
    setup(api: PluginApi) {
      api.middleware.use(check);
      return dispatch.setup(api);
    },
  });
}
