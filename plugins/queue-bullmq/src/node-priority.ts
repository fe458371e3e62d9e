import type { Middleware } from '@flowlane/core';
import { BullmqError } from './errors.js';
import { MAX_PRIORITY } from './protocol.js';

/** Whether BullMQ can hold Flowlane priority `p` (rounded) without clamping it: -1,048,575 … 1,048,575. */
export const isBullPriority = (p: number): boolean => Math.abs(Math.round(p)) <= MAX_PRIORITY;

/**
 * Middleware ahead of the dispatch: a node attempt bound for a worker group (`runOn: '<group>'`, or no `runOn` with
 * `defaultGroup`) whose `priority` BullMQ cannot hold fails with `FL_BULLMQ_INVALID_OPTION` before anything is
 * queued, instead of being clamped to the end of BullMQ's range (where it would silently tie with every other
 * out-of-range priority). Core's `build()` already refuses a priority that is not a finite number; the range is
 * BullMQ's, so it is checked where a node goes to BullMQ. In-process nodes (`runOn: 'local'`, no group) keep any
 * finite priority.
 */
export function nodePriorityCheck(defaultGroup: string | undefined): Middleware {
  return (ctx, next) => {
    const p = ctx.node.options.priority;
    if (typeof p !== 'number' || isBullPriority(p)) return next();
    const runOn = ctx.node.options.runOn as string | undefined;
    if (runOn === 'local' || ctx.node.kind === 'subworkflow' || (runOn ?? defaultGroup) === undefined) return next();
    return Promise.reject(
      new BullmqError('FL_BULLMQ_INVALID_OPTION', {
        where: `workflow "${ctx.workflow}" node "${ctx.nodeId}"`,
        option: 'priority',
        reason: `expected a number from -${MAX_PRIORITY} to ${MAX_PRIORITY} for a node sent to worker group "${runOn ?? defaultGroup}" (BullMQ priorities are 1 … 2^21−1), got ${String(p)}; use a priority in that range, or run the node in-process with runOn: 'local'`,
      }),
    );
  };
}
