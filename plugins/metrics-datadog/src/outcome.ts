import type { NodeFailedEvent, NodeStatus } from '@flowlane/core';

/** Final status of a node attempt series as reported in the `status` label. */
export type NodeOutcome = Exclude<NodeStatus, 'skipped'>;

/** Internal: the status label of a `node.failed` event (`timeout` and `cancelled` from the error code). */
export function failedOutcome(e: NodeFailedEvent): NodeOutcome {
  const code = e.error.code;
  return code === 'FL_TIMEOUT' ? 'timeout' : code === 'FL_CANCELLED' ? 'cancelled' : 'failed';
}
