/**
 * Checks of option *shapes* that `build()` runs besides the value checks in `validate.ts`: unknown keys
 * (`FL_UNKNOWN_OPTION` with "did you mean …?"), values of the wrong type that would otherwise fail only at run time
 * (`FL_INVALID_OPTION`), and empty parallel groups (`FL_EMPTY_GROUP`).
 */

import { type DefinitionProblem, ErrorCodes } from '../errors.js';
import { allKeys } from '../options/all-keys.js';
import { MAX_TIMER_MS, timerReason } from '../options/timer-ms.js';
import { suggestKey, unknownKeys } from '../options/unknown-keys.js';
import type { NodePermissions } from '../plugin/types.js';
import { isBuiltWorkflow } from './built-workflows.js';
import { checkFlowOptions, FLOW_KEYS } from './flow-options.js';
import type {
  ArtifactOptions,
  BoundaryOptions,
  CacheOptions,
  ExecutorSelector,
  HealthCheckOptions,
  NodeOptions,
  RetryPolicy,
  RollbackCommand,
} from './types.js';

/**
 * What these checks read of a node definition (`NodeDef`, structurally: importing node-def.ts here would close an
 * import cycle through workflow.ts and validate.ts).
 */
interface DefShape {
  readonly id: string;
  readonly kind: string;
  readonly options: unknown;
  readonly group?: string | undefined;
  readonly branchThen?: unknown;
  readonly branchElse?: unknown;
  readonly child?: unknown;
  readonly errorTypes?: unknown;
  readonly chainDependsOn?: unknown;
}

const NODE_KEYS = allKeys<NodeOptions>()([
  'dependsOn',
  'condition',
  'runIfSkipped',
  'retry',
  'timeout',
  'fallback',
  'onError',
  'cache',
  'priority',
  'tags',
  'executor',
  'resources',
  'permissions',
  'healthCheck',
  'artifacts',
  'rollback',
  'estimatedMs',
  'meta',
  'runOn',
  'concurrency',
  'rateLimit',
]);
/**
 * Keys of each builder call that the builder takes out before it stores the node's options (checked against
 * `ParallelOptions`, `ForEachOptions`, `BranchOptions` and `BoundaryOptions` in validate-options.test-d.ts).
 */
export const EXTRA_KEYS = {
  parallel: ['concurrency', 'group'],
  forEach: ['concurrency', 'failurePolicy'],
  branch: ['then', 'else'],
  boundary: ['onError', 'forNodes', 'errorTypes'],
} as const;
const BOUNDARY_KEYS = allKeys<Omit<BoundaryOptions, 'onError' | 'forNodes' | 'errorTypes'>>()([
  'dependsOn',
  'timeout',
  'retry',
  'tags',
  'priority',
  'resources',
  'executor',
]);
const RETRY_KEYS = allKeys<RetryPolicy>()([
  'maxAttempts',
  'initialInterval',
  'backoffCoefficient',
  'maxInterval',
  'jitter',
  'nonRetryable',
  'retryOn',
  'onRetry',
]);
const CACHE_KEYS = allKeys<CacheOptions>()(['ttl', 'keyFn', 'store']);
const HEALTH_KEYS = allKeys<HealthCheckOptions>()(['command', 'args', 'retries', 'interval', 'timeout', 'env', 'cwd']);
const ROLLBACK_KEYS = allKeys<RollbackCommand>()(['command', 'args', 'env', 'cwd', 'timeout']);
const ARTIFACT_KEYS = allKeys<ArtifactOptions>()(['out', 'in']);
const PERMISSION_KEYS = allKeys<NodePermissions>()(['requiredRoles', 'allowedUsers', 'requireMFA']);
const EXECUTOR_KEYS = allKeys<Exclude<ExecutorSelector, string>>()(['name', 'target']);
/** Keys of `WorkflowOptions` (checked in validate-options.test-d.ts). */
export const WORKFLOW_KEYS = ['version', 'description', ...FLOW_KEYS] as const;

function make(code: keyof typeof ErrorCodes, details: object, nodeId?: string): DefinitionProblem {
  const format = ErrorCodes[code] as (d: never) => string;
  return { code, message: format(details as never), ...(nodeId === undefined ? {} : { nodeId }) };
}
const invalid = (nodeId: string | undefined, option: string, reason: string): DefinitionProblem =>
  make('FL_INVALID_OPTION', { nodeId, option, reason }, nodeId);

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isStringList = (v: unknown): boolean => Array.isArray(v) && v.every((x) => typeof x === 'string');
const isMatcherList = (v: unknown): boolean =>
  Array.isArray(v) && v.every((x) => (typeof x === 'string' && x !== '') || typeof x === 'function');
const describe = (v: unknown): string =>
  v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v === 'string' ? `the string "${v}"` : typeof v;

/** Unknown keys of `value` (a nested option when `prefix` is given, e.g. `retry.`). */
function checkKeys(
  out: DefinitionProblem[],
  nodeId: string | undefined,
  value: unknown,
  known: readonly string[],
  prefix = '',
  suggestFrom: readonly string[] = known,
): void {
  for (const u of unknownKeys(value, known)) {
    const suggestion = u.suggestion ?? suggestKey(u.key, suggestFrom);
    out.push(
      make(
        'FL_UNKNOWN_OPTION',
        {
          nodeId,
          option: `${prefix}${u.key}`,
          ...(suggestion === undefined ? {} : { suggestion: `${prefix}${suggestion}` }),
        },
        nodeId,
      ),
    );
  }
}

/** The node-level keys a definition of this kind accepts, and the builder-call keys worth suggesting. */
function keysFor(def: DefShape): { known: readonly string[]; suggest: readonly string[] } {
  if (def.kind === 'boundary') return { known: BOUNDARY_KEYS, suggest: [...BOUNDARY_KEYS, ...EXTRA_KEYS.boundary] };
  const extra =
    def.group !== undefined
      ? EXTRA_KEYS.parallel
      : def.kind === 'forEach'
        ? EXTRA_KEYS.forEach
        : def.kind === 'branch'
          ? EXTRA_KEYS.branch
          : [];
  return { known: NODE_KEYS, suggest: [...NODE_KEYS, ...extra] };
}

/**
 * Shape checks of one node definition: unknown keys at every level, and types that would fail only at run time
 * (`retryOn`/`nonRetryable`, `executor`, `tags`, branch targets, a subworkflow child that is not built, …).
 */
export function checkNodeShape(def: DefShape, out: DefinitionProblem[]): void {
  const id = def.id;
  const o = def.options as unknown;
  if (!isRecord(o)) return; // validate.ts reports "options: expected an object"
  const { known, suggest } = keysFor(def);
  checkKeys(out, id, o, known, '', suggest);

  if (o.concurrency !== undefined || o.rateLimit !== undefined)
    for (const p of checkFlowOptions({ concurrency: o.concurrency, rateLimit: o.rateLimit }))
      out.push(
        p.unknown === undefined
          ? invalid(id, p.option, p.reason)
          : make('FL_UNKNOWN_OPTION', { nodeId: id, option: p.option, ...nestedSuggestion(p.option, p.unknown) }, id),
      );

  const retry = o.retry;
  if (isRecord(retry)) {
    checkKeys(out, id, retry, RETRY_KEYS, 'retry.');
    for (const k of ['nonRetryable', 'retryOn'] as const)
      if (retry[k] !== undefined && !isMatcherList(retry[k]))
        out.push(invalid(id, `retry.${k}`, `expected an array of error classes or codes, got ${describe(retry[k])}`));
    for (const k of ['initialInterval', 'maxInterval'] as const)
      if (typeof retry[k] === 'number' && (retry[k] as number) > MAX_TIMER_MS)
        out.push(invalid(id, `retry.${k}`, timerReason(retry[k], true)));
  }
  if (isRecord(o.cache)) {
    checkKeys(out, id, o.cache, CACHE_KEYS, 'cache.');
    const store = o.cache.store;
    if (store !== undefined && !(isRecord(store) && typeof store.get === 'function' && typeof store.set === 'function'))
      out.push(invalid(id, 'cache.store', 'expected a CacheStore (an object with get, set and delete)'));
  }
  if (isRecord(o.healthCheck)) {
    checkKeys(out, id, o.healthCheck, HEALTH_KEYS, 'healthCheck.');
    for (const k of ['interval', 'timeout'] as const)
      if (typeof o.healthCheck[k] === 'number' && (o.healthCheck[k] as number) > MAX_TIMER_MS)
        out.push(invalid(id, `healthCheck.${k}`, timerReason(o.healthCheck[k])));
  }
  if (isRecord(o.rollback)) {
    checkKeys(out, id, o.rollback, ROLLBACK_KEYS, 'rollback.');
    if (typeof o.rollback.timeout === 'number' && o.rollback.timeout > MAX_TIMER_MS)
      out.push(invalid(id, 'rollback.timeout', timerReason(o.rollback.timeout)));
  }
  if (isRecord(o.artifacts)) {
    checkKeys(out, id, o.artifacts, ARTIFACT_KEYS, 'artifacts.');
    const a = o.artifacts;
    if (Array.isArray(a.out)) for (const x of a.out) checkKeys(out, id, x, ['from', 'name'], 'artifacts.out[].');
    if (Array.isArray(a.in)) for (const x of a.in) checkKeys(out, id, x, ['name', 'to'], 'artifacts.in[].');
  }
  if (o.permissions !== undefined) {
    if (!isRecord(o.permissions))
      out.push(
        invalid(
          id,
          'permissions',
          `expected an object like { requiredRoles: ['admin'] }, got ${describe(o.permissions)}`,
        ),
      );
    else checkKeys(out, id, o.permissions, PERMISSION_KEYS, 'permissions.');
  }
  const ex = o.executor;
  if (ex !== undefined) {
    if (isRecord(ex)) {
      checkKeys(out, id, ex, EXECUTOR_KEYS, 'executor.');
      if (typeof ex.name !== 'string' || ex.name === '')
        out.push(invalid(id, 'executor.name', 'expected the name of a registered executor'));
      if (ex.target !== undefined && (typeof ex.target !== 'string' || ex.target === ''))
        out.push(invalid(id, 'executor.target', 'expected a non-empty target name'));
    } else if (typeof ex !== 'string' || ex === '')
      out.push(invalid(id, 'executor', `expected an executor name or { name, target }, got ${describe(ex)}`));
  }
  if (o.tags !== undefined && !isStringList(o.tags))
    out.push(invalid(id, 'tags', `expected an array of strings, got ${describe(o.tags)}`));
  if (o.runIfSkipped !== undefined && typeof o.runIfSkipped !== 'boolean')
    out.push(invalid(id, 'runIfSkipped', `expected a boolean, got ${describe(o.runIfSkipped)}`));
  if (o.resources !== undefined && !isRecord(o.resources))
    out.push(invalid(id, 'resources', `expected an object like { cpu: 2 }, got ${describe(o.resources)}`));
  if (o.meta !== undefined && !isRecord(o.meta))
    out.push(invalid(id, 'meta', `expected an object, got ${describe(o.meta)}`));
  if (def.chainDependsOn !== undefined)
    out.push(
      invalid(
        id,
        'dependsOn',
        'chain() depends on the node(s) added last; use addNode(id, fn, { dependsOn }) to choose the dependencies',
      ),
    );
  if (Array.isArray(o.dependsOn) && !isStringList(o.dependsOn))
    out.push(invalid(id, 'dependsOn', 'expected an array of node ids (strings)'));

  if (def.kind === 'branch')
    for (const [k, list] of [
      ['then', def.branchThen],
      ['else', def.branchElse],
    ] as const)
      if (!isStringList(list))
        out.push(
          invalid(
            id,
            k,
            `expected an array of node ids, got ${describe(list)}${typeof list === 'string' ? ` (write ['${list}'])` : ''}`,
          ),
        );
  if (def.kind === 'boundary' && def.errorTypes !== undefined && !isMatcherList(def.errorTypes))
    out.push(invalid(id, 'errorTypes', `expected an array of error classes or codes, got ${describe(def.errorTypes)}`));
  if (def.kind === 'subworkflow' && typeof def.child === 'object' && def.child !== null && !isBuiltWorkflow(def.child))
    out.push(invalid(id, 'subworkflow', 'expected a built workflow: call .build() on the child builder'));
}

/** Options given to a builder call that are not an object at all (`addNode(id, fn, null)`). */
export function checkCallOptions(def: DefShape, out: DefinitionProblem[]): void {
  if (!isRecord(def.options)) out.push(invalid(def.id, 'options', `expected an object, got ${describe(def.options)}`));
}

/** `parallel({})` and `parallel([], [])`: a group without nodes. */
export function checkGroupShape(
  g: { readonly id: string; readonly nodes: readonly string[] },
  out: DefinitionProblem[],
): void {
  if (g.nodes.length === 0) out.push(make('FL_EMPTY_GROUP', { group: g.id }));
}

/**
 * Workflow-level options: `new WorkflowBuilder(name, options)` keys, the `input(schema)` argument and `onEvent`
 * registrations (a type name and a handler function).
 */
export function checkWorkflowShape(
  options: unknown,
  inputSchema: unknown,
  handlers: readonly { readonly type: unknown; readonly handler: unknown }[] = [],
): DefinitionProblem[] {
  const out: DefinitionProblem[] = [];
  for (const h of handlers) {
    if (typeof h.type !== 'string' || h.type === '')
      out.push(invalid(undefined, 'onEvent', `expected an event type or a custom event name, got ${describe(h.type)}`));
    if (typeof h.handler !== 'function')
      out.push(
        invalid(undefined, `onEvent("${String(h.type)}")`, `expected a handler function, got ${describe(h.handler)}`),
      );
  }
  if (options !== undefined && !isRecord(options))
    out.push(invalid(undefined, 'options', `expected an object like { version: '1.0' }, got ${describe(options)}`));
  else {
    checkKeys(out, undefined, options, WORKFLOW_KEYS);
    for (const k of ['version', 'description'] as const)
      if (isRecord(options) && options[k] !== undefined && typeof options[k] !== 'string')
        out.push(invalid(undefined, k, `expected a string, got ${describe(options[k])}`));
    if (isRecord(options))
      for (const p of checkFlowOptions(options)) {
        if (p.unknown === undefined) out.push(invalid(undefined, p.option, p.reason));
        else {
          const prefix = p.option.slice(0, p.option.length - p.unknown.key.length);
          const suggestion = suggestKey(p.unknown.key, p.unknown.known);
          out.push(
            make('FL_UNKNOWN_OPTION', {
              option: p.option,
              ...(suggestion === undefined ? {} : { suggestion: `${prefix}${suggestion}` }),
            }),
          );
        }
      }
  }
  if (inputSchema !== undefined) {
    const std = (inputSchema as { '~standard'?: { validate?: unknown } } | null)?.['~standard'];
    if (
      (typeof inputSchema !== 'object' && typeof inputSchema !== 'function') ||
      inputSchema === null ||
      typeof std?.validate !== 'function'
    )
      out.push(
        invalid(
          undefined,
          'input',
          `expected a Standard Schema (zod, valibot, arktype…) or no argument (input<T>()), got ${describe(inputSchema)}`,
        ),
      );
  }
  return out;
}

/** "did you mean" for an unknown key inside a node's `concurrency` / `rateLimit` (`rateLimit.mod` → `rateLimit.mode`). */
function nestedSuggestion(
  option: string,
  u: { readonly key: string; readonly known: readonly string[] },
): { suggestion?: string } {
  const s = suggestKey(u.key, u.known);
  return s === undefined ? {} : { suggestion: `${option.slice(0, option.length - u.key.length)}${s}` };
}
