import { type DefinitionProblem, ErrorCodes } from '../errors.js';
import { isTimerMs, timerReason } from '../options/timer-ms.js';
import { permissionProblems } from './check-permissions.js';
import type { NodeDef } from './node-def.js';
import type { NodeOptions, RetryPolicy } from './types.js';
import { checkCallOptions, checkNodeShape } from './validate-options.js';

/*
 * Option checks of one node definition (values, ranges, combinations), each problem a typed DefinitionProblem with
 * its code and details; build() reports them all at once. Graph checks (ids, edges, cycles) are in
 * compile-graph.ts.
 */

const ON_ERROR = new Set(['fail', 'continue', 'fallback']);

export function problem(code: keyof typeof ErrorCodes, details: never, nodeId?: string): DefinitionProblem {
  const format = ErrorCodes[code] as (d: never) => string;
  return { code, message: format(details), ...(nodeId === undefined ? {} : { nodeId }) };
}

export const invalid = (nodeId: string | undefined, option: string, reason: string): DefinitionProblem =>
  problem('FL_INVALID_OPTION', { nodeId, option, reason } as never, nodeId);

const isPositive = (v: unknown): boolean => typeof v === 'number' && Number.isFinite(v) && v > 0;
const isNonNegative = (v: unknown): boolean => typeof v === 'number' && Number.isFinite(v) && v >= 0;
export const isConcurrency = (v: unknown): boolean =>
  v === Number.POSITIVE_INFINITY || (typeof v === 'number' && Number.isInteger(v) && v >= 1);

/** `args`, `timeout`, `env` and `cwd` of a health check or rollback command. */
function checkCommandExtras(
  out: DefinitionProblem[],
  id: string,
  option: string,
  c: { args?: unknown; timeout?: unknown; env?: unknown; cwd?: unknown },
): void {
  if (c.args !== undefined && !(Array.isArray(c.args) && c.args.every((a) => typeof a === 'string')))
    out.push(invalid(id, `${option}.args`, 'expected an array of strings'));
  if (c.timeout !== undefined && !(isNonNegative(c.timeout) && (c.timeout as number) > 0))
    out.push(invalid(id, `${option}.timeout`, `expected a number of ms > 0, got ${String(c.timeout)}`));
  if (
    c.env !== undefined &&
    !(
      typeof c.env === 'object' &&
      c.env !== null &&
      !Array.isArray(c.env) &&
      Object.values(c.env).every((v) => typeof v === 'string')
    )
  )
    out.push(invalid(id, `${option}.env`, 'expected an object of string values'));
  if (c.cwd !== undefined && (typeof c.cwd !== 'string' || c.cwd === ''))
    out.push(invalid(id, `${option}.cwd`, 'expected a directory path'));
}

function checkRetry(id: string, r: RetryPolicy, out: DefinitionProblem[]): void {
  if (typeof r !== 'object' || r === null) {
    out.push(invalid(id, 'retry', 'expected an object like { maxAttempts: 3 }'));
    return;
  }
  if (!(typeof r.maxAttempts === 'number' && Number.isInteger(r.maxAttempts) && r.maxAttempts >= 1))
    out.push(invalid(id, 'retry.maxAttempts', `expected an integer ≥ 1, got ${String(r.maxAttempts)}`));
  if (r.initialInterval !== undefined && !isNonNegative(r.initialInterval))
    out.push(invalid(id, 'retry.initialInterval', `expected a number of ms ≥ 0, got ${String(r.initialInterval)}`));
  if (r.backoffCoefficient !== undefined && !isPositive(r.backoffCoefficient))
    out.push(invalid(id, 'retry.backoffCoefficient', `expected a number > 0, got ${String(r.backoffCoefficient)}`));
  if (r.maxInterval !== undefined && !isNonNegative(r.maxInterval))
    out.push(invalid(id, 'retry.maxInterval', `expected a number of ms ≥ 0, got ${String(r.maxInterval)}`));
  if (r.jitter !== undefined && typeof r.jitter !== 'boolean' && !(isNonNegative(r.jitter) && r.jitter <= 1))
    out.push(invalid(id, 'retry.jitter', `expected a boolean or a fraction between 0 and 1, got ${String(r.jitter)}`));
  if (r.onRetry !== undefined && typeof r.onRetry !== 'function')
    out.push(invalid(id, 'retry.onRetry', 'expected a function'));
}

export function checkOptions(def: NodeDef, out: DefinitionProblem[]): void {
  const id = def.id;
  const o = def.options as NodeOptions;
  if (typeof o !== 'object' || o === null) {
    checkCallOptions(def, out);
    return;
  }
  checkNodeShape(def, out);
  if (typeof def.fn !== 'function') out.push(invalid(id, 'function', `expected a node function, got ${typeof def.fn}`));
  if (o.dependsOn !== undefined && !Array.isArray(o.dependsOn))
    out.push(invalid(id, 'dependsOn', 'expected an array of node ids'));
  if (o.timeout !== undefined && !isTimerMs(o.timeout)) out.push(invalid(id, 'timeout', timerReason(o.timeout)));
  if (o.retry !== undefined) checkRetry(id, o.retry, out);
  if (o.permissions !== undefined)
    for (const x of permissionProblems(o.permissions)) out.push(invalid(id, x.option, x.reason));
  if (o.condition !== undefined && typeof o.condition !== 'function')
    out.push(invalid(id, 'condition', 'expected a function'));
  if (o.onError !== undefined && !ON_ERROR.has(o.onError as string))
    out.push(invalid(id, 'onError', `expected 'fail', 'continue' or 'fallback', got ${String(o.onError)}`));
  if (o.onError === 'fallback' && o.fallback === undefined)
    out.push(invalid(id, 'onError', "'fallback' needs a fallback node: add fallback: '<node id>'"));
  if (o.fallback !== undefined && typeof o.fallback !== 'string')
    out.push(invalid(id, 'fallback', 'expected a node id'));
  if (o.cache !== undefined) {
    if (typeof o.cache !== 'object' || o.cache === null || !isPositive(o.cache.ttl))
      out.push(invalid(id, 'cache.ttl', `expected a number of ms > 0, got ${String(o.cache?.ttl)}`));
    else if (o.cache.keyFn !== undefined && typeof o.cache.keyFn !== 'function')
      out.push(invalid(id, 'cache.keyFn', 'expected a function'));
  }
  if (o.priority !== undefined && !(typeof o.priority === 'number' && Number.isFinite(o.priority)))
    out.push(invalid(id, 'priority', `expected a finite number, got ${String(o.priority)}`));
  if (o.runOn !== undefined && !(typeof o.runOn === 'string' && o.runOn.length > 0))
    out.push(invalid(id, 'runOn', `expected a worker group name or 'local', got ${String(o.runOn)}`));
  if (o.estimatedMs !== undefined && !isNonNegative(o.estimatedMs))
    out.push(invalid(id, 'estimatedMs', `expected a number of ms ≥ 0, got ${String(o.estimatedMs)}`));
  if (o.healthCheck !== undefined) {
    const h = o.healthCheck;
    if (typeof h?.command !== 'string' || h.command === '')
      out.push(invalid(id, 'healthCheck.command', 'expected a command'));
    if (h?.retries !== undefined && !(Number.isInteger(h.retries) && h.retries >= 1))
      out.push(invalid(id, 'healthCheck.retries', 'expected an integer ≥ 1'));
    if (h?.interval !== undefined && !isNonNegative(h.interval))
      out.push(invalid(id, 'healthCheck.interval', 'expected ms ≥ 0'));
    checkCommandExtras(out, id, 'healthCheck', h);
  }
  if (o.rollback !== undefined && typeof o.rollback !== 'function') {
    const r = o.rollback as { command?: unknown; args?: unknown; timeout?: unknown; env?: unknown; cwd?: unknown };
    if (typeof r?.command !== 'string' || r.command === '')
      out.push(invalid(id, 'rollback', 'expected a function or { command }'));
    else checkCommandExtras(out, id, 'rollback', r);
  }
  if (o.artifacts !== undefined) {
    const a = o.artifacts;
    const okList = (list: unknown, keys: readonly string[]): boolean =>
      list === undefined ||
      (Array.isArray(list) &&
        list.every(
          (x) =>
            typeof x === 'object' &&
            x !== null &&
            keys.every(
              (k) => typeof (x as Record<string, unknown>)[k] === 'string' && (x as Record<string, string>)[k] !== '',
            ),
        ));
    if (typeof a !== 'object' || a === null || !okList(a.out, ['from', 'name']) || !okList(a.in, ['name', 'to']))
      out.push(
        invalid(id, 'artifacts', 'expected { out?: [{ from, name }], in?: [{ name, to }] } with non-empty strings'),
      );
    else if (o.cache !== undefined && (a.out?.length ?? 0) > 0)
      out.push(
        invalid(
          id,
          'artifacts',
          'a cached node cannot collect artifacts (a cache hit does not run it); remove cache or artifacts.out',
        ),
      );
  }
  if (o.meta !== undefined) {
    try {
      JSON.stringify(o.meta);
    } catch (e) {
      out.push(
        invalid(
          id,
          'meta',
          `must be JSON-serialisable (it is part of the workflow description): ${(e as Error).message}`,
        ),
      );
    }
  }
  const mismatch = def.parallelMismatch;
  if (typeof mismatch === 'number')
    out.push(
      invalid(
        id,
        'parallel',
        mismatch < 0 ? 'expected an array of functions' : `got ${mismatch} functions for a different number of ids`,
      ),
    );
  if (def.kind === 'forEach') {
    if (!isConcurrency(def.concurrency))
      out.push(invalid(id, 'concurrency', `expected an integer ≥ 1, got ${String(def.concurrency)}`));
    if (!Array.isArray(def.items) && typeof def.items !== 'function')
      out.push(invalid(id, 'items', 'expected an array or a function returning one'));
    if (def.failurePolicy !== 'fail-fast' && def.failurePolicy !== 'allSettled')
      out.push(invalid(id, 'failurePolicy', `expected 'fail-fast' or 'allSettled', got ${String(def.failurePolicy)}`));
  }
  if (def.kind === 'subworkflow' && (typeof def.child !== 'object' || def.child === null))
    out.push(invalid(id, 'subworkflow', 'expected a built workflow (call .build() on the child builder)'));
  if (def.kind === 'boundary' && (!Array.isArray(def.forNodes) || def.forNodes.length === 0))
    out.push(invalid(id, 'forNodes', 'an error boundary needs at least one node in forNodes'));
}
