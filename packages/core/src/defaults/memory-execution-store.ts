import { FlowlaneError } from '../errors.js';
import { allKeys } from '../options/all-keys.js';
import { unknownKeyHint, unknownKeys } from '../options/unknown-keys.js';
import type {
  ExecutionFence,
  ExecutionPage,
  ExecutionQuery,
  ExecutionRecord,
  ExecutionStatus,
  ExecutionStore,
  ExecutionSummary,
  RunStartedRecord,
} from '../plugin/contracts/execution-store.js';

/** Options of {@link createMemoryExecutionStore}. */
export interface MemoryExecutionStoreOptions {
  /** Wall clock for lease expiry and retention. Default `Date.now`. */
  readonly now?: (() => number) | undefined;
  /** Finished runs are removed this many ms after they finished. Default (or `0`): kept until the store is disposed. */
  readonly retentionMs?: number | undefined;
  /** At most this many finished runs are kept (oldest removed first). Default 10 000. */
  readonly maxFinished?: number | undefined;
}

interface Entry {
  readonly id: string;
  readonly order: number;
  records: ExecutionRecord[];
  summary: ExecutionSummary;
  leaseUntil: number;
  /** The store's clock when the run finished (retention counts from here, not from the engine clock). */
  finishedAt?: number;
}

/** The status a finishing record gives a run, or undefined for other records. */
export function finishedStatus(r: ExecutionRecord): ExecutionStatus | undefined {
  if (r.type === 'workflow.completed') return 'success';
  if (r.type === 'workflow.failed') return 'failed';
  if (r.type === 'workflow.cancelled') return 'cancelled';
  return undefined;
}

/**
 * An {@link ExecutionStore} in this process's memory: the log of each run, leases with epochs, listing and
 * retention. Synchronous (a journal on it adds no promise hop). It survives nothing — use it for tests, for
 * `engine.runs` in one process, and as the reference implementation; use `@flowlane/store-redis` to survive crashes.
 *
 * @example
 * ```ts
 * import { createEngine, createMemoryExecutionStore } from '@flowlane/core';
 *
 * const engine = createEngine({ executions: createMemoryExecutionStore({ retentionMs: 86_400_000 }) });
 * await engine.close();
 * ```
 */
export function createMemoryExecutionStore(options: MemoryExecutionStoreOptions = {}): ExecutionStore {
  checkOptions(options);
  const now = options.now ?? Date.now;
  const retention = options.retentionMs === 0 ? undefined : options.retentionMs;
  const maxFinished = options.maxFinished ?? 10_000;
  const runs = new Map<string, Entry>();
  const finished: string[] = [];
  let order = 0;

  const prune = (): void => {
    const t = now();
    while (finished.length > 0) {
      const first = runs.get(finished[0]!);
      const expired =
        first === undefined ||
        finished.length > maxFinished ||
        (retention !== undefined && (first.finishedAt ?? 0) + retention <= t);
      if (!expired) break;
      finished.shift();
      if (first !== undefined) runs.delete(first.id);
    }
  };

  const summaryOf = (e: Entry): ExecutionSummary => ({ ...e.summary, records: e.records.length });

  const fenced = (id: string, e: Entry, fence: ExecutionFence): FlowlaneError<'FL_EXECUTION_FENCED'> =>
    new FlowlaneError('FL_EXECUTION_FENCED', { executionId: id, epoch: fence.epoch, current: e.summary.epoch });

  return {
    name: 'memory',
    create(id, records, lease) {
      prune();
      if (runs.has(id)) throw new FlowlaneError('FL_DUPLICATE_EXECUTION', { executionId: id });
      const first = records[0];
      if (first === undefined || first.type !== 'workflow.started')
        throw new FlowlaneError('FL_INVALID_OPTION', {
          option: 'records',
          reason: 'the first record of a run must be workflow.started',
        });
      const start = first as RunStartedRecord;
      const e: Entry = {
        id,
        order: order++,
        records: [],
        leaseUntil: now() + lease.leaseMs,
        summary: {
          executionId: id,
          workflow: start.workflow,
          ...(start.version === undefined ? {} : { version: start.version }),
          graphHash: start.graphHash,
          status: 'running',
          startedAt: start.at,
          owner: lease.owner,
          epoch: 1,
          records: 0,
        },
      };
      runs.set(id, e);
      push(e, records);
    },
    append(id, records, fence) {
      const e = runs.get(id);
      if (e === undefined) throw new FlowlaneError('FL_EXECUTION_NOT_FOUND', { executionId: id });
      if (e.summary.epoch !== fence.epoch || e.summary.status !== 'running') throw fenced(id, e, fence);
      push(e, records);
    },
    read: (id) => {
      prune();
      const e = runs.get(id);
      return e === undefined ? undefined : e.records.slice();
    },
    get: (id) => {
      prune();
      const e = runs.get(id);
      return e === undefined ? undefined : summaryOf(e);
    },
    list(query: ExecutionQuery = {}): ExecutionPage {
      prune();
      const limit = query.limit ?? 100;
      const before = query.cursor === undefined ? Number.POSITIVE_INFINITY : Number(query.cursor);
      if (!(before === Number.POSITIVE_INFINITY || Number.isSafeInteger(before)))
        throw new FlowlaneError('FL_INVALID_OPTION', {
          where: 'engine.runs.list',
          option: 'cursor',
          reason: `not a cursor of this store: ${JSON.stringify(query.cursor)}; pass the cursor of the previous page`,
        });
      const out: ExecutionSummary[] = [];
      const all = [...runs.values()].sort((a, b) => b.order - a.order);
      let last: Entry | undefined;
      for (const e of all) {
        if (e.order >= before) continue;
        if (query.status !== undefined && e.summary.status !== query.status) continue;
        if (query.workflow !== undefined && e.summary.workflow !== query.workflow) continue;
        if (out.length === limit) return { runs: out, cursor: String(last!.order) };
        out.push(summaryOf(e));
        last = e;
      }
      return { runs: out };
    },
    claim(id, o) {
      const e = runs.get(id);
      if (e === undefined || e.summary.status !== 'running') return undefined;
      if (o.force !== true && e.leaseUntil > now()) return undefined;
      e.leaseUntil = now() + o.leaseMs;
      e.summary = { ...e.summary, owner: o.owner, epoch: e.summary.epoch + 1 };
      return e.summary.epoch;
    },
    renew(id, fence, leaseMs) {
      const e = runs.get(id);
      if (e === undefined || e.summary.status !== 'running' || e.summary.epoch !== fence.epoch) return false;
      e.leaseUntil = now() + leaseMs;
      return true;
    },
    // No dispose: the log lives as long as this object (engines sharing one store close independently).
  };

  function push(e: Entry, records: readonly ExecutionRecord[]): void {
    let lastSeq = e.records.length === 0 ? 0 : e.records[e.records.length - 1]!.seq;
    for (const r of records) {
      if (r.seq <= lastSeq) continue;
      e.records.push(r);
      lastSeq = r.seq;
      const status = finishedStatus(r);
      if (status !== undefined) {
        e.summary = { ...e.summary, status, finishedAt: r.at };
        e.leaseUntil = 0;
        e.finishedAt = now();
        finished.push(e.id);
      }
    }
  }
}

const MEMORY_STORE_KEYS = allKeys<MemoryExecutionStoreOptions>()(['now', 'retentionMs', 'maxFinished']);

/** Unknown keys and bad values throw `FL_INVALID_OPTION` naming the option. */
function checkOptions(options: MemoryExecutionStoreOptions): void {
  const where = 'createMemoryExecutionStore';
  const fail = (option: string, reason: string): never => {
    throw new FlowlaneError('FL_INVALID_OPTION', { where, option, reason });
  };
  if (typeof options !== 'object' || options === null || Array.isArray(options)) fail('options', 'expected an object');
  const [u] = unknownKeys(options, MEMORY_STORE_KEYS);
  if (u !== undefined) fail(u.key, `unknown option; ${unknownKeyHint(u, MEMORY_STORE_KEYS)}`);
  const { now, retentionMs, maxFinished } = options;
  if (now !== undefined && typeof now !== 'function') fail('now', 'expected a function returning ms since the epoch');
  if (
    retentionMs !== undefined &&
    !(typeof retentionMs === 'number' && Number.isFinite(retentionMs) && retentionMs >= 0)
  )
    fail('retentionMs', `expected a number of ms ≥ 0 (0 keeps finished runs), got ${String(retentionMs)}`);
  if (maxFinished !== undefined && !(Number.isSafeInteger(maxFinished) && maxFinished >= 0))
    fail('maxFinished', `expected an integer ≥ 0, got ${String(maxFinished)}`);
}
