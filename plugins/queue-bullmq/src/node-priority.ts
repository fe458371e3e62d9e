import type { MiddlewareContext } from '@flowlane/core';
import { BullmqError } from './errors.js';
import { isBullPriority, MAX_PRIORITY } from './protocol.js';

/**
 * The error for a node attempt bound for worker group `group` whose `priority` BullMQ cannot hold, or `undefined`.
 * The dispatch throws it before anything is queued, instead of clamping the priority to the end of BullMQ's range
 * (where it would silently tie with every other out-of-range priority). Core's `build()` already refuses a priority
 * that is not a finite number; the range is BullMQ's, so it is checked where a node goes to BullMQ. In-process nodes
 * (`runOn: 'local'`, no group) keep any finite priority.
 */
export function priorityError(ctx: MiddlewareContext, group: string): BullmqError | undefined {
  const p = ctx.node.options.priority;
  if (typeof p !== 'number' || isBullPriority(p)) return undefined;
  return new BullmqError('FL_BULLMQ_INVALID_OPTION', {
    where: `workflow "${ctx.workflow}" node "${ctx.nodeId}"`,
    option: 'priority',
    reason: `expected a number from -${MAX_PRIORITY} to ${MAX_PRIORITY} for a node sent to worker group "${group}" (BullMQ priorities are 1 … 2^21−1), got ${String(p)}; use a priority in that range, or run the node in-process with runOn: 'local'`,
  });
}
