import type { RunStatus } from '../contracts/events.js';
import type { NodeRecord, RunResult } from '../contracts/run-types.js';
import type { FlowlaneError } from '../errors.js';

/**
 * Runs of fewer nodes build their records when they end. An object with an accessor costs V8 about as much as a few
 * hundred records (it is made in dictionary mode), and a caller that reads every run's records (the bench's check)
 * paid more CPU for a lazy 1,000-node chain of async nodes than for an eager one (×1.17 of eager, `core-cpu.mjs`).
 */
export const LAZY_RECORDS_MIN_NODES = 2048;

/** The fields of a run's result other than its records. */
export interface ResultFields {
  readonly executionId: string;
  readonly workflow: string;
  readonly status: RunStatus;
  readonly outputs: Record<string, unknown>;
  readonly error: FlowlaneError | undefined;
  readonly durationMs: number;
}

/**
 * A run's result whose `nodes` (one record per node) is built on first read, not when the run ends: most callers
 * read `outputs` or `status` only, and building 100k records costs more than the engine's own work on a plain node.
 *
 * `nodes` is an enumerable own accessor in the place a data property would have (`executionId, workflow, status,
 * outputs, nodes[, error], durationMs`), so `Object.keys`, `{ ...result }`, `JSON.stringify` and deep equality see
 * what they saw when it was built eagerly. The first read replaces it with a plain data property (writable,
 * enumerable, configurable, as an object literal's), or keeps the records in the closure when the result was frozen.
 * `build` must read only state that no longer changes (the run has ended).
 */
export function lazyRunResult(f: ResultFields, build: () => Record<string, NodeRecord>): RunResult {
  let records: Record<string, NodeRecord> | undefined;
  const nodes = function (this: RunResult): Record<string, NodeRecord> {
    if (records !== undefined) return records;
    records = build();
    if (Object.isExtensible(this) && Object.getOwnPropertyDescriptor(this, 'nodes')?.configurable === true)
      Object.defineProperty(this, 'nodes', { value: records, writable: true, enumerable: true, configurable: true });
    return records;
  };
  // Two literals rather than a conditional spread: one shape each, `error` absent (not undefined) when unset.
  return f.error === undefined
    ? {
        executionId: f.executionId,
        workflow: f.workflow,
        status: f.status,
        outputs: f.outputs,
        get nodes() {
          return nodes.call(this);
        },
        durationMs: f.durationMs,
      }
    : {
        executionId: f.executionId,
        workflow: f.workflow,
        status: f.status,
        outputs: f.outputs,
        get nodes() {
          return nodes.call(this);
        },
        error: f.error,
        durationMs: f.durationMs,
      };
}
