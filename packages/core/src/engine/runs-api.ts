import { graphSignature } from '../builder/graph-hash.js';
import { FlowlaneError } from '../errors.js';
import { allKeys } from '../options/all-keys.js';
import { unknownKeyHint, unknownKeys } from '../options/unknown-keys.js';
import type {
  ExecutionPage,
  ExecutionQuery,
  ExecutionRecord,
  ExecutionStore,
  ExecutionSummary,
} from '../plugin/contracts/execution-store.js';
import type { Execution } from './execution.js';

/** `engine.runs`: runs read back from the execution store (any process sharing it), finished ones included. */
export interface RunsApi {
  /**
   * Runs, newest first, filtered by status and workflow; page with `cursor`. Without an execution store: this
   * engine's active runs (status `running`, `epoch` and `records` 0 — nothing is logged).
   */
  list(query?: ExecutionQuery): Promise<ExecutionPage>;
  /** One run's summary, or undefined. */
  get(executionId: string): Promise<ExecutionSummary | undefined>;
  /** One run's log, or undefined. */
  records(executionId: string): Promise<readonly ExecutionRecord[] | undefined>;
}

/**
 * `engine.runs` over the engine's execution store (`store()` returns it, or undefined, and throws `FL_ENGINE_CLOSED`
 * when the engine is closed: each call asks once before its wait for readiness and once after); without a store,
 * this engine's active runs.
 */
export function createRunsApi(
  store: () => ExecutionStore | undefined,
  active: () => Iterable<Execution>,
  ready: () => Promise<void>,
): RunsApi {
  return {
    list: async (query = {}) => {
      store();
      checkQuery(query);
      await ready();
      const s = store();
      if (s !== undefined) return s.list(query);
      const limit = query.limit ?? 100;
      const runs: ExecutionSummary[] = [];
      for (const x of active()) {
        const r = summaryOf(x);
        if (query.status !== undefined && query.status !== r.status) continue;
        if (query.workflow !== undefined && query.workflow !== r.workflow) continue;
        runs.push(r);
      }
      return { runs: runs.reverse().slice(0, limit) };
    },
    get: async (id) => {
      store();
      await ready();
      const s = store();
      if (s !== undefined) return s.get(id);
      for (const x of active()) if (x.executionId === id) return summaryOf(x);
      return undefined;
    },
    records: async (id) => {
      store();
      await ready();
      const s = store();
      return s === undefined ? undefined : s.read(id);
    },
  };
}

function summaryOf(x: Execution): ExecutionSummary {
  const wf = x.workflowRef;
  return {
    executionId: x.executionId,
    workflow: wf.name,
    ...(wf.version === undefined ? {} : { version: wf.version }),
    graphHash: graphSignature(wf).hash,
    status: 'running',
    startedAt: x.startedAt,
    epoch: 0,
    records: 0,
  };
}

const QUERY_KEYS = allKeys<ExecutionQuery>()(['status', 'workflow', 'limit', 'cursor']);
const STATUSES = ['running', 'success', 'failed', 'cancelled'];

/** `engine.runs.list(query)`: unknown keys and bad values throw `FL_INVALID_OPTION` before the store is asked. */
function checkQuery(query: unknown): void {
  const fail = (option: string, reason: string): never => {
    throw new FlowlaneError('FL_INVALID_OPTION', { where: 'engine.runs.list', option, reason });
  };
  if (typeof query !== 'object' || query === null || Array.isArray(query))
    fail('query', 'expected an object like { status, workflow, limit, cursor }');
  const q = query as Record<string, unknown>;
  const [u] = unknownKeys(q, QUERY_KEYS);
  if (u !== undefined) fail(u.key, `unknown option; ${unknownKeyHint(u, QUERY_KEYS)}`);
  if (q.status !== undefined && !STATUSES.includes(q.status as string))
    fail('status', `expected one of ${STATUSES.join(', ')}, got ${JSON.stringify(q.status)}`);
  if (q.workflow !== undefined && (typeof q.workflow !== 'string' || q.workflow === ''))
    fail('workflow', 'expected a workflow name');
  if (q.limit !== undefined && !(Number.isSafeInteger(q.limit) && (q.limit as number) >= 1))
    fail('limit', `expected an integer ≥ 1, got ${String(q.limit)}`);
  if (q.cursor !== undefined && (typeof q.cursor !== 'string' || q.cursor === ''))
    fail('cursor', 'expected the cursor string of the previous page');
}
