import type { ExecutionRecord, FlowEvent, RunsApi, WorkflowDescription } from '@flowlane/core';
import type { HistorySource } from './run-history.js';

/**
 * The event a record was written for (records are the durable form of events: same `type`, `at` for `timestamp`), or
 * `undefined` for facts that are not events (signals, timers, storage writes, takeovers).
 */
function toEvent(r: ExecutionRecord, executionId: string, workflow: string, nodeCount: number): FlowEvent | undefined {
  switch (r.type) {
    case 'signal.received':
    case 'signal.consumed':
    case 'timer.started':
    case 'storage.set':
    case 'storage.deleted':
    case 'workflow.resumed':
      return undefined;
    default: {
      const { seq: _seq, at, ...rest } = r as ExecutionRecord & Record<string, unknown>;
      return {
        ...rest,
        ...(r.type === 'workflow.started' ? { nodeCount } : {}),
        executionId,
        workflow,
        timestamp: at,
      } as unknown as FlowEvent;
    }
  }
}

/** The graph of a logged run (ids and dependencies; node options are not in the log). */
function describeLogged(first: ExecutionRecord | undefined): WorkflowDescription | undefined {
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

/** A log read back as the monitor's events and graph. */
function fromLog(
  executionId: string,
  records: readonly ExecutionRecord[],
): { events: FlowEvent[]; description: WorkflowDescription | undefined } {
  const description = describeLogged(records[0]);
  const workflow = description?.name ?? '?';
  const n = description?.nodes.length ?? 0;
  return {
    description,
    events: records.flatMap((r) => {
      const e = toEvent(r, executionId, workflow, n);
      return e === undefined ? [] : [e];
    }),
  };
}

/**
 * History from the engine's execution store (`engine.runs.records`): what a late subscriber gets for a run the
 * monitor did not see — run by another process sharing the store, or evicted from the monitor's memory.
 */
export function storeHistory(runs: () => RunsApi): HistorySource {
  return {
    async read(executionId) {
      const records = await runs().records(executionId);
      return records === undefined ? undefined : fromLog(executionId, records);
    },
  };
}

/**
 * Follows runs recorded in the execution store by other processes: every `intervalMs`, one `list` of the newest runs
 * and one of the running ones (summaries carry their record counts), then reads the log only of runs whose count
 * grew, and pushes the new records as events. Runs this engine executes itself (`isLocal`) come live from its event
 * stream and are skipped.
 */
export class StoreFollower {
  readonly #seen = new Map<string, { count: number; workflow: string; nodes: number }>();
  #timer: NodeJS.Timeout | undefined;
  #ticking: Promise<void> | undefined;
  #stopped = false;

  constructor(
    private readonly runs: () => RunsApi,
    private readonly push: (e: FlowEvent, d: WorkflowDescription | undefined) => void,
    private readonly isLocal: (executionId: string) => boolean,
    private readonly intervalMs: number,
    private readonly maxRuns: number,
    private readonly onError: (error: unknown) => void,
  ) {}

  start(): void {
    const loop = (): void => {
      if (this.#stopped) return;
      this.#ticking = this.tick()
        .catch(this.onError)
        .finally(() => {
          if (!this.#stopped) this.#timer = setTimeout(loop, this.intervalMs);
        });
    };
    loop();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#ticking;
  }

  /** One poll of the store. */
  async tick(): Promise<void> {
    const api = this.runs();
    const [recent, running] = await Promise.all([
      api.list({ limit: this.maxRuns }),
      api.list({ status: 'running', limit: this.maxRuns }),
    ]);
    const byId = new Map([...running.runs, ...recent.runs].map((r) => [r.executionId, r]));
    // Oldest first, so the run list fills in the order the runs started.
    const summaries = [...byId.values()].sort((a, b) => a.startedAt - b.startedAt);
    for (const s of summaries) {
      if (this.#stopped) return;
      if (this.isLocal(s.executionId)) continue;
      const seen = this.#seen.get(s.executionId);
      if (seen !== undefined && s.records <= seen.count) continue;
      const records = await api.records(s.executionId);
      if (records === undefined) continue;
      const from = seen?.count ?? 0;
      if (records.length <= from) continue;
      const description = seen === undefined ? describeLogged(records[0]) : undefined;
      const workflow = seen?.workflow ?? description?.name ?? s.workflow;
      const nodes = seen?.nodes ?? description?.nodes.length ?? 0;
      for (const r of records.slice(from)) {
        const e = toEvent(r, s.executionId, workflow, nodes);
        if (e !== undefined) this.push(e, e.type === 'workflow.started' ? description : undefined);
      }
      this.#seen.set(s.executionId, { count: records.length, workflow, nodes });
    }
    // Forget runs that left both lists (finished long ago, or removed by retention).
    for (const id of this.#seen.keys()) if (!byId.has(id)) this.#seen.delete(id);
  }
}
