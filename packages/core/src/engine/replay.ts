import type { SerializedError } from '../errors.js';
import type { ExecutionRecord, RunStartedRecord } from '../plugin/contracts/execution-store.js';

/** A node whose outcome is final in the log: a resumed run does not run it again. */
export interface ReplayedNode {
  readonly status: 'success' | 'skipped' | 'failed';
  readonly output?: unknown;
  readonly attempts: number;
  readonly durationMs: number;
  readonly reason?: 'condition' | 'dependency-skipped' | 'branch' | undefined;
  readonly error?: SerializedError | undefined;
  readonly fallbackUsed?: string | undefined;
  readonly handledBy?: string | undefined;
  readonly cacheHit?: boolean | undefined;
}

/** The state of a run rebuilt from its log. */
export interface ReplayState {
  readonly started: RunStartedRecord;
  /** Highest `seq` in the log: the resumed run appends from `lastSeq + 1`. */
  readonly lastSeq: number;
  /** Final status when the log is finished. */
  readonly finished: 'success' | 'failed' | 'cancelled' | undefined;
  /** Nodes with a final outcome (completed, skipped, failed with `onError: 'continue'`). */
  readonly nodes: ReadonlyMap<string, ReplayedNode>;
  /** Nodes that started and have no final outcome: they were in flight and run again (at-least-once). */
  readonly inFlight: ReadonlySet<string>;
  /** Last attempt logged of each node in flight (the resumed run's first attempt is the next one). */
  readonly attempts: Map<string, number>;
  /**
   * Failed attempts logged (`node.retrying`) of each node in flight: they count against `retry.maxAttempts` and the
   * backoff goes on from them. An attempt cut short by the crash logged no failure and is not counted.
   */
  readonly failures: ReadonlyMap<string, number>;
  /** Nodes in flight whose last fact was `node.retrying`: when their next attempt is due (engine clock). */
  readonly retryAt: Map<string, number>;
  /** Signals received and not taken by a node with a final outcome, per name, in arrival order. */
  readonly signals: ReadonlyMap<string, { readonly index: number; readonly payload: unknown }[]>;
  /** Per name, how many signals were received in all (the journal's counters continue from here). */
  readonly signalsReceived: ReadonlyMap<string, number>;
  /** Signal-wait deadlines of nodes in flight, by `nodeId\0name`. */
  readonly deadlines: ReadonlyMap<string, number>;
  /** `ctx.storage` as the log left it (`undefined` value = deleted). */
  readonly storage: ReadonlyMap<string, { readonly value: unknown; readonly deleted: boolean }>;
  /** Last custom event per name (for `ctx.getEvent`). */
  readonly custom: ReadonlyMap<
    string,
    { readonly nodeId?: string | undefined; readonly payload: unknown; readonly at: number }
  >;
}

/**
 * Folds a run's log into the state a resumed run starts from. Pure: the same records always give the same state.
 * Returns `undefined` when the log does not start with `workflow.started`.
 */
export function replay(records: readonly ExecutionRecord[]): ReplayState | undefined {
  const first = records[0];
  if (first === undefined || first.type !== 'workflow.started') return undefined;
  const nodes = new Map<string, ReplayedNode>();
  const started = new Set<string>();
  const attempts = new Map<string, number>();
  const received = new Map<string, Map<number, unknown>>();
  const consumers = new Map<string, Map<number, string>>();
  const deadlines = new Map<string, number>();
  const storage = new Map<string, { value: unknown; deleted: boolean }>();
  const custom = new Map<string, { nodeId?: string | undefined; payload: unknown; at: number }>();
  const fallbackOf = new Map<string, string>();
  const retryAt = new Map<string, number>();
  const failed = new Map<string, number>();
  const cacheHits = new Set<string>();
  let finished: ReplayState['finished'];
  let lastSeq = 0;
  for (const r of records) {
    if (r.seq > lastSeq) lastSeq = r.seq;
    switch (r.type) {
      case 'node.started':
        started.add(r.nodeId);
        attempts.set(r.nodeId, Math.max(attempts.get(r.nodeId) ?? 0, r.attempt));
        retryAt.delete(r.nodeId);
        break;
      case 'node.retrying':
        retryAt.set(r.nodeId, r.at + r.delayMs);
        failed.set(r.nodeId, (failed.get(r.nodeId) ?? 0) + 1);
        break;
      case 'node.completed':
        nodes.set(r.nodeId, {
          status: 'success',
          output: r.output,
          attempts: r.attempt,
          durationMs: r.durationMs,
          ...(r.fallbackUsed === undefined ? {} : { fallbackUsed: r.fallbackUsed }),
          ...(r.handledBy === undefined ? {} : { handledBy: r.handledBy }),
          ...(cacheHits.has(r.nodeId) ? { cacheHit: true } : {}),
        });
        break;
      case 'node.cache-hit':
        cacheHits.add(r.nodeId);
        break;
      case 'node.fell-back':
        fallbackOf.set(r.nodeId, String(r.fallbackId));
        break;
      case 'node.failed':
        // Only a failure the run goes on from is final for the node; others are handled (fallback, boundary)
        // or end the run.
        if (r.continued === true)
          nodes.set(r.nodeId, { status: 'failed', attempts: r.attempt, durationMs: r.durationMs, error: r.error });
        break;
      case 'node.skipped':
        nodes.set(r.nodeId, { status: 'skipped', attempts: 0, durationMs: 0, reason: r.reason });
        break;
      case 'signal.received': {
        const m = received.get(r.name) ?? new Map<number, unknown>();
        m.set(r.index, r.payload);
        received.set(r.name, m);
        break;
      }
      case 'signal.consumed': {
        const m = consumers.get(r.name) ?? new Map<number, string>();
        m.set(r.index, r.nodeId);
        consumers.set(r.name, m);
        break;
      }
      case 'timer.started':
        deadlines.set(`${r.nodeId}\0${r.name}`, r.deadline);
        break;
      case 'storage.set':
        storage.set(r.key, { value: r.value, deleted: false });
        break;
      case 'storage.deleted':
        storage.set(r.key, { value: undefined, deleted: true });
        break;
      case 'custom':
        custom.set(r.name, { nodeId: r.nodeId, payload: r.payload, at: r.at });
        break;
      case 'workflow.completed':
        finished = 'success';
        break;
      case 'workflow.failed':
        finished = 'failed';
        break;
      case 'workflow.cancelled':
        finished = 'cancelled';
        break;
      default:
        break;
    }
  }
  const inFlight = new Set<string>();
  const inFlightAttempts = new Map<string, number>();
  const failures = new Map<string, number>();
  for (const id of started)
    if (!nodes.has(id)) {
      inFlight.add(id);
      inFlightAttempts.set(id, attempts.get(id) ?? 0);
      const f = failed.get(id);
      if (f !== undefined) failures.set(id, f);
    }
  for (const id of [...retryAt.keys()]) if (!inFlight.has(id)) retryAt.delete(id);
  // A signal taken by a node whose outcome is final stays taken; one taken by a node in flight goes back to the
  // buffer, in arrival order (the node runs again and takes it again).
  const signals = new Map<string, { index: number; payload: unknown }[]>();
  const signalsReceived = new Map<string, number>();
  for (const [name, payloads] of received) {
    signalsReceived.set(name, payloads.size);
    const takers = consumers.get(name);
    const left: { index: number; payload: unknown }[] = [];
    for (const index of [...payloads.keys()].sort((a, b) => a - b)) {
      const taker = takers?.get(index);
      if (taker === undefined || !nodes.has(taker)) left.push({ index, payload: payloads.get(index) });
    }
    signals.set(name, left);
  }
  for (const key of [...deadlines.keys()]) if (nodes.has(key.slice(0, key.indexOf('\0')))) deadlines.delete(key);
  return {
    started: first,
    lastSeq,
    finished,
    nodes,
    inFlight,
    attempts: inFlightAttempts,
    failures,
    retryAt,
    signals,
    signalsReceived,
    deadlines,
    storage,
    custom,
  };
}
