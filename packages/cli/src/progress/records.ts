import { describeLoggedRun, type ExecutionRecord, type WorkflowDescription } from '@flowlane/core';

/** What a run's log says about the run itself (from its `workflow.started` record). */
export interface RecordedRun {
  readonly executionId: string;
  readonly workflow: string;
  readonly nodeCount: number;
  /** The recorded graph (ids and dependencies; node options are not in the log). */
  readonly description: WorkflowDescription;
}

/** The run's workflow and graph, from the first record of its log (`'?'` and no nodes when it is not the start). */
export function recordedRun(executionId: string, records: readonly ExecutionRecord[]): RecordedRun {
  const description = describeLoggedRun(records[0]) ?? { name: '?', nodes: [], edges: [], groups: [] };
  return { executionId, workflow: description.name, nodeCount: description.nodes.length, description };
}
