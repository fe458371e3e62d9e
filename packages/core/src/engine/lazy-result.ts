import type { RunStatus } from '../contracts/events.js';
import type { NodeRecord, RunResult } from '../contracts/run-types.js';
import type { FlowlaneError } from '../errors.js';

/**
 * Runs of fewer nodes build their records when they end (a lazy result costs a WeakMap entry and, when read, a
 * property redefinition: more than a small run's records). From 256 nodes on, lazy records cost less even for a
 * caller that reads every run's records (bench W1, a 1,000-node chain, with its check in the timed region: ×0.87–0.97
 * of eager, `core-cpu.mjs`).
 */
export const LAZY_RECORDS_MIN_NODES = 256;

/** The fields of a run's result other than its records. */
export interface ResultFields {
  readonly executionId: string;
  readonly workflow: string;
  readonly status: RunStatus;
  readonly outputs: Record<string, unknown>;
  readonly error: FlowlaneError | undefined;
  readonly durationMs: number;
}

/** A lazy result's builder, then its records once built. */
interface Pending {
  build: (() => Record<string, NodeRecord>) | undefined;
  records: Record<string, NodeRecord> | undefined;
}

/**
 * The key of a lazy result's {@link Pending}: a non-enumerable own property, so that `Object.keys`, spreading, JSON
 * and `structuredClone` do not see it, while a read through a `Proxy` of the result (a reactive store's), an object
 * that inherits from it or a copy of its property descriptors still finds it (a WeakMap keyed by the result did not:
 * those read an empty `nodes`).
 */
const PENDING = Symbol('flowlane.lazyNodes');

type Lazy = { readonly [PENDING]?: Pending };

/**
 * The getter of every lazy `nodes`: one function for all results, so that all of them share one hidden class. A
 * getter made per result (an object literal's `get nodes()`) gives each result a map of its own (the getter is a
 * constant of the map), and maps live in the old generation: everything the getter reached (the run's state, then
 * its records) outlived the young generation with it. That cost more than building the records eagerly.
 */
function nodesGetter(this: Lazy): Record<string, NodeRecord> {
  const p = this[PENDING];
  if (p === undefined) return Object.create(null) as Record<string, NodeRecord>;
  if (p.records !== undefined) return p.records;
  const records = p.build!();
  p.build = undefined;
  p.records = records;
  if (Object.isExtensible(this) && Object.getOwnPropertyDescriptor(this, 'nodes')?.configurable === true)
    Object.defineProperty(this, 'nodes', { value: records, writable: true, enumerable: true, configurable: true });
  return records;
}

/** Assigning `result.nodes` replaces the accessor with a data property, as assigning a data property would. */
function nodesSetter(this: object, value: unknown): void {
  Object.defineProperty(this, 'nodes', { value, writable: true, enumerable: true, configurable: true });
}

const NODES: PropertyDescriptor = { get: nodesGetter, set: nodesSetter, enumerable: true, configurable: true };

/**
 * A run's result whose `nodes` (one record per node) is built on first read, not when the run ends: most callers
 * read `outputs` or `status` only, and building 100k records costs more than the engine's own work on a plain node.
 *
 * `nodes` is an enumerable own accessor in the place a data property would have (`executionId, workflow, status,
 * outputs, nodes[, error], durationMs`), so `Object.keys`, `{ ...result }`, `JSON.stringify` and deep equality see
 * what they saw when it was built eagerly. The first read replaces it with a plain data property (writable,
 * enumerable, configurable, as an object literal's), or keeps the records aside when the result was frozen.
 * `build` must read only state that no longer changes (the run has ended).
 */
export function lazyRunResult(f: ResultFields, build: () => Record<string, NodeRecord>): RunResult {
  const r = { executionId: f.executionId, workflow: f.workflow, status: f.status, outputs: f.outputs };
  Object.defineProperty(r, 'nodes', NODES);
  // `error` absent (not undefined) when unset; every result without one has one shape, every one with one another.
  if (f.error !== undefined) (r as { error?: FlowlaneError }).error = f.error;
  (r as { durationMs?: number }).durationMs = f.durationMs;
  Object.defineProperty(r, PENDING, { value: { build, records: undefined } satisfies Pending });
  return r as unknown as RunResult;
}
