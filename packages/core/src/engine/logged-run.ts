import type { WorkflowDescription } from '../contracts/descriptions.js';
import type { FlowEvent } from '../contracts/events.js';
import type { ExecutionRecord } from '../plugin/contracts/execution-store.js';

/**
 * The event a log record was written for (records are the durable form of events: same `type`, `at` for
 * `timestamp`), or `undefined` for facts that are not events (signals, timers, storage writes, takeovers). For tools
 * that show a run read back from an {@link ExecutionStore} (`engine.runs.records(id)`): the CLI, the monitor.
 *
 * @example
 * ```ts
 * import { recordToEvent, type Engine } from '@flowlane/core';
 *
 * declare const engine: Engine; // with an execution store
 * declare const executionId: string;
 * const records = (await engine.runs.records(executionId)) ?? [];
 * const run = { executionId, workflow: 'release', nodeCount: 3 };
 * const events = records.flatMap((r) => recordToEvent(r, run) ?? []);
 * ```
 */
export function recordToEvent(
  record: ExecutionRecord,
  run: { readonly executionId: string; readonly workflow: string; readonly nodeCount: number },
): FlowEvent | undefined {
  switch (record.type) {
    case 'signal.received':
    case 'signal.consumed':
    case 'timer.started':
    case 'storage.set':
    case 'storage.deleted':
    case 'workflow.resumed':
      return undefined;
    default: {
      const { seq: _seq, at, ...rest } = record as ExecutionRecord & Record<string, unknown>;
      return {
        ...rest,
        ...(record.type === 'workflow.started' ? { nodeCount: run.nodeCount } : {}),
        executionId: run.executionId,
        workflow: run.workflow,
        timestamp: at,
      } as unknown as FlowEvent;
    }
  }
}

/**
 * The graph of a logged run from its first record (`workflow.started`): node ids and dependencies, in graph order
 * (node options are not in the log), or `undefined` when the log does not start with the run's start.
 *
 * @example
 * ```ts
 * import { describeLoggedRun, type Engine } from '@flowlane/core';
 *
 * declare const engine: Engine; // with an execution store
 * declare const executionId: string;
 * const description = describeLoggedRun((await engine.runs.records(executionId))?.[0]);
 * ```
 */
export function describeLoggedRun(first: ExecutionRecord | undefined): WorkflowDescription | undefined {
  if (first?.type !== 'workflow.started') return undefined;
  const ids = Object.keys(first.graph);
  return {
    name: first.workflow,
    ...(first.version === undefined ? {} : { version: first.version }),
    nodes: ids.map((id) => ({
      id,
      kind: 'task' as const,
      dependsOn: [...(first.graph[id]?.dependsOn ?? [])],
      standby: false,
      options: {},
    })),
    edges: ids.flatMap((id) =>
      (first.graph[id]?.dependsOn ?? []).map((from) => ({ from, to: id, kind: 'dependency' as const })),
    ),
    groups: [],
  };
}
