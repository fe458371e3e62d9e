import type { RunOptions } from '../contracts/run-types.js';
import { FlowlaneError } from '../errors.js';
import type { Actor } from '../plugin/types.js';

/**
 * Checks `engine.run` options before the run is registered (a bad option must not take a `maxConcurrentRuns` slot)
 * and returns them with the actor replaced by a deep-frozen copy, so no node can change who the run acts for.
 * Throws `FL_INVALID_OPTION` / `FL_INVALID_ACTOR`.
 *
 * @example
 * ```ts fragment
 * const checked = checkRunOptions({ actor: { id: 'alice', roles: ['deployer'] } });
 * Object.isFrozen(checked.actor?.roles); // true
 * ```
 */
/** Names the call in `FL_INVALID_OPTION` messages. */
const RUN = 'engine.run';

export function checkRunOptions(options: RunOptions): RunOptions {
  if (typeof options !== 'object' || options === null)
    throw new FlowlaneError('FL_INVALID_OPTION', {
      where: RUN,
      option: 'run options',
      reason: `expected an object, got ${options === null ? 'null' : typeof options}`,
    });
  const { executionId, signal, actor, redact } = options;
  if (executionId !== undefined && (typeof executionId !== 'string' || executionId === ''))
    throw invalid(RUN, 'executionId', `expected a non-empty string, got ${describe(executionId)}`);
  if (signal !== undefined && !isAbortSignal(signal))
    throw invalid(
      RUN,
      'signal',
      `expected an AbortSignal (e.g. new AbortController().signal), got ${describe(signal)}`,
    );
  if (redact !== undefined) checkRedact(redact, 'redact', RUN);
  const { priority } = options;
  if (priority !== undefined && (typeof priority !== 'number' || !Number.isFinite(priority)))
    throw invalid(RUN, 'priority', `expected a finite number (higher runs first), got ${describe(priority)}`);
  if (actor === undefined) return options;
  return { ...options, actor: frozenActor(actor) };
}

/** Checks `{ also: string[] }` (the `redact` option of runs and engines). */
export function checkRedact(redact: unknown, option: string, where?: string): void {
  if (typeof redact !== 'object' || redact === null || Array.isArray(redact))
    throw invalid(where, option, `expected { also: string[] }, got ${describe(redact)}`);
  const also = (redact as { also?: unknown }).also;
  if (also !== undefined && (!Array.isArray(also) || also.some((v) => typeof v !== 'string')))
    throw invalid(where, `${option}.also`, 'expected an array of strings (the values to redact)');
}

/** A validated, deep-frozen copy of `actor` (`FL_INVALID_ACTOR` when it has the wrong shape). */
export function frozenActor(actor: unknown): Actor {
  if (typeof actor !== 'object' || actor === null || Array.isArray(actor))
    throw new FlowlaneError('FL_INVALID_ACTOR', { reason: `expected an object, got ${describe(actor)}` });
  // The copy is what gets checked and kept: a getter read once for the check and again for the copy could hand the
  // run an actor that was never validated (roles a string, id an object).
  let copy: Actor;
  try {
    copy = structuredClone(actor) as Actor;
  } catch (e) {
    throw new FlowlaneError(
      'FL_INVALID_ACTOR',
      { reason: `it must be plain data (${e instanceof Error ? e.message : String(e)})` },
      { cause: e },
    );
  }
  const a = copy as { id?: unknown; roles?: unknown; mfa?: unknown };
  if (typeof a.id !== 'string' || a.id === '')
    throw new FlowlaneError('FL_INVALID_ACTOR', { reason: `id must be a non-empty string, got ${describe(a.id)}` });
  if (a.roles !== undefined && (!Array.isArray(a.roles) || a.roles.some((r) => typeof r !== 'string' || r === '')))
    throw new FlowlaneError('FL_INVALID_ACTOR', {
      reason: `roles must be an array of non-empty strings, got ${describe(a.roles)}`,
    });
  if (a.mfa !== undefined && typeof a.mfa !== 'boolean')
    throw new FlowlaneError('FL_INVALID_ACTOR', { reason: `mfa must be a boolean, got ${describe(a.mfa)}` });
  const mfaAt = (copy as { mfaAt?: unknown }).mfaAt;
  if (mfaAt !== undefined && (typeof mfaAt !== 'number' || !Number.isFinite(mfaAt)))
    throw new FlowlaneError('FL_INVALID_ACTOR', {
      reason: `mfaAt must be a time in ms since the epoch, got ${describe(mfaAt)}`,
    });
  return deepFreeze(copy);
}

function deepFreeze<T>(v: T): T {
  if (typeof v === 'object' && v !== null && !ArrayBuffer.isView(v) && !Object.isFrozen(v)) {
    Object.freeze(v);
    for (const x of Object.values(v)) deepFreeze(x);
  }
  return v;
}

function isAbortSignal(v: unknown): v is AbortSignal {
  if (v instanceof AbortSignal) return true;
  // An AbortSignal from another realm or polyfill: duck-typed on what the engine uses.
  const s = v as { aborted?: unknown; addEventListener?: unknown; removeEventListener?: unknown };
  return (
    typeof v === 'object' &&
    v !== null &&
    typeof s.aborted === 'boolean' &&
    typeof s.addEventListener === 'function' &&
    typeof s.removeEventListener === 'function'
  );
}

function invalid(where: string | undefined, option: string, reason: string): FlowlaneError {
  return new FlowlaneError('FL_INVALID_OPTION', { where, option, reason });
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);
  if (typeof v === 'object') return 'an object';
  return `${typeof v} ${String(v)}`;
}
