import { randomUUID } from 'node:crypto';
import type { RunOptions } from '../contracts/run-types.js';
import { FlowlaneError } from '../errors.js';
import type { PropagationCarrier } from '../plugin/contracts/propagation.js';
import type {
  EnqueuedRun,
  EnqueueOptions,
  QueuedRun,
  QueuedRunResult,
  RunQueue,
} from '../plugin/contracts/run-queue.js';
import { internalsOf, type Workflow } from '../workflow.js';
import type { Durability } from './durability.js';

const ENQUEUE_KEYS = new Set(['executionId', 'actor', 'priority']);

/** `engine.enqueue`: checks the arguments and hands the run to the installed queue (`FL_NO_RUN_QUEUE` without one). */
export async function enqueueRun<TOut extends object>(
  queue: RunQueue | undefined,
  wf: Workflow<unknown, TOut>,
  input: unknown,
  options: EnqueueOptions = {},
  carrier: PropagationCarrier = {},
): Promise<EnqueuedRun<TOut>> {
  internalsOf(wf as Workflow<unknown, object>);
  if (queue === undefined) throw new FlowlaneError('FL_NO_RUN_QUEUE', { operation: 'engine.enqueue()' });
  if (typeof options !== 'object' || options === null)
    throw new FlowlaneError('FL_INVALID_OPTION', {
      where: 'engine.enqueue',
      option: 'enqueue options',
      reason: 'expected an object',
    });
  for (const k of Object.keys(options))
    if (!ENQUEUE_KEYS.has(k))
      throw new FlowlaneError('FL_INVALID_OPTION', {
        where: 'engine.enqueue',
        option: k,
        reason: `unknown engine.enqueue() option; known options: ${[...ENQUEUE_KEYS].join(', ')}`,
      });
  if (options.executionId !== undefined && (typeof options.executionId !== 'string' || options.executionId === ''))
    throw new FlowlaneError('FL_INVALID_OPTION', {
      where: 'engine.enqueue',
      option: 'executionId',
      reason: `expected a non-empty string, got ${String(options.executionId)}`,
    });
  if (options.priority !== undefined && !Number.isFinite(options.priority))
    throw new FlowlaneError('FL_INVALID_OPTION', {
      where: 'engine.enqueue',
      option: 'priority',
      reason: `expected a finite number, got ${String(options.priority)}`,
    });
  const executionId = options.executionId ?? randomUUID();
  const p = wf.flowControl?.priority;
  const priority = options.priority ?? (typeof p === 'function' ? p({ input, executionId, workflow: wf.name }) : p);
  await queue.enqueue({
    executionId,
    workflow: wf.name,
    version: wf.version,
    input,
    ...(options.actor === undefined ? {} : { actor: options.actor }),
    ...(priority === undefined ? {} : { priority }),
    ...(Object.keys(carrier).length === 0 ? {} : { carrier }),
  });
  return {
    executionId,
    result: (o) => queue.result(executionId, o) as Promise<QueuedRunResult<TOut>>,
  };
}

/** `engine.waitForResult`: the run's result through the installed queue (`FL_NO_RUN_QUEUE` without one). */
export function waitForQueuedResult(
  queue: RunQueue | undefined,
  executionId: string,
  options?: { readonly signal?: AbortSignal | undefined },
): Promise<QueuedRunResult> {
  if (queue === undefined)
    return Promise.reject(new FlowlaneError('FL_NO_RUN_QUEUE', { operation: 'engine.waitForResult()' }));
  return queue.result(executionId, options);
}

/**
 * A run a queue plugin took from its run queue (`api.runQueue.start`): the registered version of its workflow
 * (`FL_VERSION_NOT_REGISTERED` otherwise) and the run options it travelled with.
 */
export function dequeuedRun(
  durable: Pick<Durability, 'lookup' | 'versionsOf'>,
  q: QueuedRun,
): { wf: Workflow<unknown, object>; options: RunOptions; carrier: Readonly<Record<string, string>> | undefined } {
  const wf = durable.lookup(q.workflow, q.version);
  if (wf === undefined)
    throw new FlowlaneError('FL_VERSION_NOT_REGISTERED', {
      executionId: q.executionId,
      workflow: q.workflow,
      version: q.version ?? '(none)',
      registered: durable.versionsOf(q.workflow),
    });
  const { executionId, actor, priority } = q;
  return {
    wf,
    carrier: carrierOf(q.carrier),
    options: {
      executionId,
      ...(actor === undefined ? {} : { actor }),
      ...(priority === undefined ? {} : { priority }),
    },
  };
}

/** The string fields of a queued run's carrier (it crossed a process: anything else is dropped); none → undefined. */
function carrierOf(c: unknown): Readonly<Record<string, string>> | undefined {
  if (typeof c !== 'object' || c === null) return undefined;
  let out: Record<string, string> | undefined;
  for (const [k, v] of Object.entries(c)) if (typeof v === 'string') (out ??= {})[k] = v;
  return out;
}
