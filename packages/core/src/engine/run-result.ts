import type { CompiledGraph } from '../builder/compiled-graph.js';
import type { NodeRecord } from '../contracts/run-types.js';
import { FlowlaneError, type SerializedError } from '../errors.js';
import type { Redactor } from '../runtime/redactor.js';
import { type NodeExtra, PENDING, SKIPPED, STATUS_NAMES, SUCCESS } from './node-status.js';

/** The per-node state a run's records are read from (its typed arrays, outputs and extras). */
export interface RecordState {
  readonly g: CompiledGraph;
  readonly st: Uint8Array;
  readonly attempts: Uint16Array;
  readonly dur: Float64Array;
  readonly outputs: Readonly<Record<string, unknown>>;
  readonly extra: ReadonlyMap<number, NodeExtra> | undefined;
  readonly redactor: Redactor | undefined;
  serialize(e: unknown): SerializedError;
}

/** `result.nodes`: one record per node (fallbacks and boundaries that never ran are reported skipped). */
export function nodeRecords(s: RecordState): Record<string, NodeRecord> {
  const g = s.g;
  // Null prototype: a node may be called `__proto__`.
  const nodes = Object.create(null) as Record<string, NodeRecord>;
  const { st, extra, redactor, attempts, dur, outputs } = s;
  const redacting = redactor?.active === true;
  const ids = g.ids;
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i]!;
    let status = st[i]!;
    const x = extra?.get(i);
    if (status === SUCCESS && x === undefined) {
      // Most records: one literal of the final shape (adding `output` to a 3-key literal changes its hidden class).
      nodes[id] = {
        status: 'success',
        attempts: attempts[i]!,
        durationMs: dur[i]!,
        output: redacting ? redactor!.value(outputs[id]) : outputs[id],
      };
      continue;
    }
    if (status === PENDING && g.standby[i] === 1) status = SKIPPED;
    const rec: { -readonly [K in keyof NodeRecord]: NodeRecord[K] } = {
      status: STATUS_NAMES[status]!,
      attempts: attempts[i]!,
      durationMs: dur[i]!,
    };
    if (status === SUCCESS) rec.output = redacting ? redactor!.value(outputs[id]) : outputs[id];
    if (x !== undefined) {
      if (x.error !== undefined) rec.error = s.serialize(x.error);
      if (x.fallbackUsed !== undefined) rec.fallbackUsed = x.fallbackUsed;
      if (x.handledBy !== undefined) rec.handledBy = x.handledBy;
      if (x.cacheHit === true) {
        rec.cacheHit = true;
      }
    }
    nodes[id] = rec;
  }
  return nodes;
}

/** The run's error as the result shows it: the run's secrets redacted from its message, details and cause. */
export function redactRunError(r: Redactor | undefined, e: FlowlaneError): FlowlaneError {
  if (r === undefined || !r.active) return e;
  const message = r.string(e.message);
  if (message === e.message && !(e.cause instanceof Error && r.string(String(e.cause.stack)) !== String(e.cause.stack)))
    return e;
  return new FlowlaneError(e.code, r.value(e.details) as never, {
    message,
    cause: e.cause === undefined ? undefined : rebuildError(r.error(e.cause)),
  });
}

/** An Error carrying a serialised (redacted) error's message and stack. */
export function rebuildError(s: SerializedError): Error {
  const e = new Error(s.message, s.cause === undefined ? undefined : { cause: rebuildError(s.cause) });
  e.name = s.name;
  if (s.stack !== undefined) e.stack = s.stack;
  if (s.code !== undefined) Object.defineProperty(e, 'code', { value: s.code, enumerable: true });
  return e;
}
