import type { FlowKeyContext, WorkflowFlowOptions } from '../../contracts/flow-control.js';
import { FlowlaneError, serializeError } from '../../errors.js';

/** Whether a backend answered with a promise (the memory backend answers synchronously: no promise hop). */
export function isPromise<T>(v: T | Promise<T>): v is Promise<T> {
  return typeof (v as { then?: unknown } | null)?.then === 'function';
}

/**
 * A run's (or node attempt's) key under a flow-control option: `'*'` without a key function; `FL_INVALID_OPTION`
 * when the function throws or returns anything but a non-empty string or a finite number.
 */
export function keyOf(
  fn: ((ctx: FlowKeyContext) => string | number) | undefined,
  ctx: FlowKeyContext,
  option: string,
): string {
  if (fn === undefined) return '*';
  let k: unknown;
  try {
    k = fn(ctx);
  } catch (e) {
    throw new FlowlaneError(
      'FL_INVALID_OPTION',
      { where: ctx.workflow, option, reason: `the key function threw: ${serializeError(e, { stack: false }).message}` },
      { cause: e },
    );
  }
  if ((typeof k === 'string' && k !== '') || (typeof k === 'number' && Number.isFinite(k))) return String(k);
  throw new FlowlaneError('FL_INVALID_OPTION', {
    where: ctx.workflow,
    option,
    reason: `the key function must return a non-empty string or a finite number, got ${k === null ? 'null' : typeof k}`,
  });
}

/** A run's priority under the workflow's `priority` option (0 without one). */
export function priorityOf(p: WorkflowFlowOptions['priority'], ctx: FlowKeyContext): number {
  if (p === undefined) return 0;
  const v = typeof p === 'function' ? p(ctx) : p;
  if (typeof v !== 'number' || !Number.isFinite(v))
    throw new FlowlaneError('FL_INVALID_OPTION', {
      where: ctx.workflow,
      option: 'priority',
      reason: `expected a finite number, got ${typeof v}`,
    });
  return v;
}
