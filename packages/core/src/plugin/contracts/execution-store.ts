import type { SerializedError } from '../../errors.js';

/** The run's actor as the log keeps it (the fields of `Actor`; kept here so the log's types stand alone). */
export interface RecordedActor {
  readonly id: string;
  readonly roles?: readonly string[] | undefined;
  readonly mfa?: boolean | undefined;
}

/**
 * The JSON-safe signature of one node in a run's graph, recorded in `workflow.started` so that a resume can say
 * exactly what changed (`FL_VERSION_MISMATCH`).
 */
export interface GraphNodeSignature {
  readonly dependsOn: readonly string[];
  /** Hash of the node's kind and behaviour-changing options (retry, timeout, fallback, onError, cache, …). */
  readonly hash: string;
}

/** Fields every execution record carries. */
export interface RecordBase {
  /** 1-based position in the run's log, assigned by the engine; stores keep records in `seq` order, once each. */
  readonly seq: number;
  /** Engine clock time (ms since epoch with the default clock). */
  readonly at: number;
}

/** The first record of a run. */
export interface RunStartedRecord extends RecordBase {
  readonly type: 'workflow.started';
  readonly workflow: string;
  readonly version?: string | undefined;
  readonly graphHash: string;
  readonly graph: Readonly<Record<string, GraphNodeSignature>>;
  /** The run's input, redacted. */
  readonly input: unknown;
  readonly actor?: RecordedActor | undefined;
}

/** A run was taken over (explicit `engine.resume` or `resume: 'auto'`) by `owner` with lease `epoch`. */
export interface RunResumedRecord extends RecordBase {
  readonly type: 'workflow.resumed';
  readonly owner: string;
  readonly epoch: number;
}

/** The last record of a run. */
export interface RunFinishedRecord extends RecordBase {
  readonly type: 'workflow.completed' | 'workflow.failed' | 'workflow.cancelled';
  readonly durationMs: number;
  readonly error?: SerializedError | undefined;
  readonly nodeId?: string | undefined;
  readonly reason?: string | undefined;
}

/** An attempt of a node started. */
export interface NodeStartedRecord extends RecordBase {
  readonly type: 'node.started';
  readonly nodeId: string;
  readonly attempt: number;
}

/** A node completed; `output` is redacted (a secret resolved in the run never reaches a store). */
export interface NodeCompletedRecord extends RecordBase {
  readonly type: 'node.completed';
  readonly nodeId: string;
  readonly attempt: number;
  readonly durationMs: number;
  readonly output: unknown;
  readonly fallbackUsed?: string | undefined;
  readonly handledBy?: string | undefined;
}

/** A node failed (after its own retries); final for the node only with `continued: true`. */
export interface NodeFailedRecord extends RecordBase {
  readonly type: 'node.failed';
  readonly nodeId: string;
  readonly attempt: number;
  readonly durationMs: number;
  readonly error: SerializedError;
  readonly handledBy?: string | undefined;
  readonly continued?: boolean | undefined;
}

/** Attempt `attempt` failed; the next one is due `delayMs` after `at`. */
export interface NodeRetryingRecord extends RecordBase {
  readonly type: 'node.retrying';
  readonly nodeId: string;
  readonly attempt: number;
  readonly delayMs: number;
  readonly error: SerializedError;
}

/** A node was skipped (condition, branch, or a skipped parent). */
export interface NodeSkippedRecord extends RecordBase {
  readonly type: 'node.skipped';
  readonly nodeId: string;
  readonly reason: 'condition' | 'dependency-skipped' | 'branch';
}

/** Other node facts kept as they were emitted (timed out, fell back, cancelled, cache hit). */
export interface NodeFactRecord extends RecordBase {
  readonly type: 'node.timed-out' | 'node.fell-back' | 'node.cancelled' | 'node.cache-hit';
  readonly nodeId: string;
  readonly [field: string]: unknown;
}

/** `run.signal(name, payload)` reached the run (payload redacted). */
export interface SignalReceivedRecord extends RecordBase {
  readonly type: 'signal.received';
  readonly name: string;
  /** 0-based arrival number among this run's signals of `name`. */
  readonly index: number;
  readonly payload: unknown;
}

/** A node took the signal `name` number `index`. */
export interface SignalConsumedRecord extends RecordBase {
  readonly type: 'signal.consumed';
  readonly name: string;
  readonly index: number;
  readonly nodeId: string;
}

/** A node started waiting for a signal with a timeout: the absolute deadline, kept across a resume. */
export interface TimerStartedRecord extends RecordBase {
  readonly type: 'timer.started';
  readonly nodeId: string;
  readonly name: string;
  readonly deadline: number;
}

/** `ctx.emitEvent(name, payload)` (payload redacted). */
export interface CustomRecord extends RecordBase {
  readonly type: 'custom';
  readonly name: string;
  readonly nodeId?: string | undefined;
  readonly payload: unknown;
}

/** `ctx.storage.set` / `ctx.storage.delete` (value redacted). */
export interface StorageRecord extends RecordBase {
  readonly type: 'storage.set' | 'storage.deleted';
  readonly key: string;
  readonly value?: unknown;
}

/**
 * One fact of a run, as written to an {@link ExecutionStore}: the durable form of the run's events (same `type`
 * names) plus the facts that are not events (signals, timers, storage writes, takeovers). JSON-safe.
 */
export type ExecutionRecord =
  | RunStartedRecord
  | RunResumedRecord
  | RunFinishedRecord
  | NodeStartedRecord
  | NodeCompletedRecord
  | NodeFailedRecord
  | NodeRetryingRecord
  | NodeSkippedRecord
  | NodeFactRecord
  | SignalReceivedRecord
  | SignalConsumedRecord
  | TimerStartedRecord
  | CustomRecord
  | StorageRecord;

/** Where a run stands, as stores report it. */
export type ExecutionStatus = 'running' | 'success' | 'failed' | 'cancelled';

/** One run as `engine.runs.list/get` and stores report it. */
export interface ExecutionSummary {
  readonly executionId: string;
  readonly workflow: string;
  readonly version?: string | undefined;
  readonly graphHash: string;
  readonly status: ExecutionStatus;
  /** Engine clock time of `workflow.started`. */
  readonly startedAt: number;
  readonly finishedAt?: number | undefined;
  /** The engine instance that holds (or last held) the run's lease. */
  readonly owner?: string | undefined;
  /** The lease epoch (fencing token): incremented by every takeover. */
  readonly epoch: number;
  /** Number of records in the log. */
  readonly records: number;
}

/** The lease of one run: who may append to its log. */
export interface ExecutionFence {
  readonly owner: string;
  readonly epoch: number;
}

/** Filter of {@link ExecutionStore.list}. */
export interface ExecutionQuery {
  readonly status?: ExecutionStatus | undefined;
  readonly workflow?: string | undefined;
  /** At most this many runs per page. Default 100. */
  readonly limit?: number | undefined;
  /** `cursor` of the previous page. */
  readonly cursor?: string | undefined;
}

/** One page of {@link ExecutionStore.list}, newest run first. */
export interface ExecutionPage {
  readonly runs: readonly ExecutionSummary[];
  /** Pass to the next `list` call; absent on the last page. */
  readonly cursor?: string | undefined;
}

/**
 * Durable execution log: an append-only list of {@link ExecutionRecord}s per run, plus the run's lease (owner,
 * epoch, expiry) used for fencing and automatic resume. Set one with `createEngine({ executions })` or
 * `api.executions.setStore(store)`; `@flowlane/testing`'s `executionStoreConformance` checks an implementation.
 *
 * Methods may answer synchronously (the in-memory store does, so a journal on it costs no promise hop).
 */
export interface ExecutionStore {
  readonly name: string;
  /**
   * Create a run's log with its first records (the first is `workflow.started`) and give `owner` the lease with
   * epoch 1 for `leaseMs`. Rejects with `FL_DUPLICATE_EXECUTION` when the id exists.
   */
  create(
    executionId: string,
    records: readonly ExecutionRecord[],
    lease: { readonly owner: string; readonly leaseMs: number },
  ): void | Promise<void>;
  /**
   * Append records (in `seq` order) when `fence.epoch` is the run's current epoch, else reject with
   * `FL_EXECUTION_FENCED` and write nothing. Records whose `seq` is already stored are ignored (a resent batch is
   * not duplicated). A `workflow.completed|failed|cancelled` record marks the run finished and drops its lease.
   */
  append(executionId: string, records: readonly ExecutionRecord[], fence: ExecutionFence): void | Promise<void>;
  /**
   * Optional: whether an error thrown by `create` / `append` may go away when the same write is retried (connection
   * lost, server loading or failing over). The engine retries transient failures with backoff without limit and fails
   * the run with `FL_STORE_WRITE_FAILED` on the others. Without it, errors carrying `transient: true|false` or a
   * network error code (`ECONNRESET`, …) are classified by those, typed Flowlane errors and programming errors are
   * permanent, and other errors are retried 8 times before the run is failed.
   */
  isTransientError?(error: unknown): boolean;
  /** Every record of a run in `seq` order; `undefined` when unknown (or removed by retention). */
  read(executionId: string): readonly ExecutionRecord[] | undefined | Promise<readonly ExecutionRecord[] | undefined>;
  get(executionId: string): ExecutionSummary | undefined | Promise<ExecutionSummary | undefined>;
  /** Runs, newest first. */
  list(query?: ExecutionQuery): ExecutionPage | Promise<ExecutionPage>;
  /**
   * Take a running run's lease for `owner` (epoch + 1). Without `force`, only when the lease has expired (or was
   * never renewed); with `force`, at once. Resolves the new epoch, or `undefined` when the run is unknown, finished,
   * or (without `force`) still held. Atomic: of several concurrent claims at most one succeeds per epoch.
   */
  claim(
    executionId: string,
    options: { readonly owner: string; readonly leaseMs: number; readonly force?: boolean | undefined },
  ): number | undefined | Promise<number | undefined>;
  /** Extend the lease when `fence` still holds it; false when another owner took over (or the run finished). */
  renew(executionId: string, fence: ExecutionFence, leaseMs: number): boolean | Promise<boolean>;
  dispose?(): void | Promise<void>;
}
