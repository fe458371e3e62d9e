import type { ExecutionRecord, FlowEvent, WorkflowDescription } from '@flowlane/core';

/** What a run's log says about the run itself (from its `workflow.started` record). */
export interface RecordedRun {
  readonly executionId: string;
  readonly workflow: string;
  readonly nodeIds: readonly string[];
}

/**
 * The event a record was written for (records are the durable form of events: same `type`, `at` for `timestamp`), or
 * `undefined` for facts that are not events (signals, timers, storage writes, takeovers). Feeds the progress views
 * from a log read back from the store.
 */
export function recordToEvent(record: ExecutionRecord, run: RecordedRun): FlowEvent | undefined {
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
        ...(record.type === 'workflow.started' ? { nodeCount: run.nodeIds.length } : {}),
        executionId: run.executionId,
        workflow: run.workflow,
        timestamp: at,
      } as unknown as FlowEvent;
    }
  }
}

/** The run's workflow and node ids, from the first record of its log. */
export function recordedRun(executionId: string, records: readonly ExecutionRecord[]): RecordedRun {
  const first = records[0];
  if (first?.type !== 'workflow.started') return { executionId, workflow: '?', nodeIds: [] };
  return { executionId, workflow: first.workflow, nodeIds: Object.keys(first.graph) };
}

/**
 * A description good enough for the progress rows when only the log is at hand: the nodes of the recorded graph,
 * in graph order, without edges or groups (the workflow file has those; the log keeps ids and dependencies).
 */
export function describeRecordedGraph(run: RecordedRun): WorkflowDescription {
  return {
    name: run.workflow,
    nodes: run.nodeIds.map((id) => ({ id, standby: false })),
    edges: [],
    groups: [],
  } as unknown as WorkflowDescription;
}
