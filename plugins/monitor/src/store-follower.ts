import {
  describeLoggedRun,
  type ExecutionRecord,
  type FlowEvent,
  type RunsApi,
  recordToEvent,
  type WorkflowDescription,
} from '@flowlane/core';
import type { HistorySource } from './run-history.js';

/** A log read back as the monitor's events and graph. */
function fromLog(
  executionId: string,
  records: readonly ExecutionRecord[],
): { events: FlowEvent[]; description: WorkflowDescription | undefined } {
  const description = describeLoggedRun(records[0]);
  const workflow = description?.name ?? '?';
  const run = { executionId, workflow, nodeCount: description?.nodes.length ?? 0 };
  return {
    description,
    events: records.flatMap((r) => {
      const e = recordToEvent(r, run);
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
      const description = seen === undefined ? describeLoggedRun(records[0]) : undefined;
      const workflow = seen?.workflow ?? description?.name ?? s.workflow;
      const nodes = seen?.nodes ?? description?.nodes.length ?? 0;
      const run = { executionId: s.executionId, workflow, nodeCount: nodes };
      for (const r of records.slice(from)) {
        const e = recordToEvent(r, run);
        if (e !== undefined) this.push(e, e.type === 'workflow.started' ? description : undefined);
      }
      this.#seen.set(s.executionId, { count: records.length, workflow, nodes });
    }
    // Forget runs that left both lists (finished long ago, or removed by retention).
    for (const id of this.#seen.keys()) if (!byId.has(id)) this.#seen.delete(id);
  }
}
