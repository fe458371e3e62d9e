import type { RunOptions } from '../contracts/run-types.js';
import { FlowlaneError } from '../errors.js';
import { allKeys } from '../options/all-keys.js';
import { isTimerMs, MAX_TIMER_MS } from '../options/timer-ms.js';
import { unknownKeyHint, unknownKeys } from '../options/unknown-keys.js';
import { internalsOf } from '../workflow.js';

/**
 * Checks of `createEngine` and `engine.run` options, before anything is created or registered: unknown keys and
 * values of the wrong type throw `FL_INVALID_OPTION` naming the option (and the closest known key).
 */

/** Keys of `EngineOptions` (checked against the type in validate-options.test-d.ts: no import cycle with engine.ts). */
export const ENGINE_KEYS = [
  'plugins',
  'clock',
  'logger',
  'maxConcurrentRuns',
  'concurrency',
  'cache',
  'state',
  'secrets',
  'audit',
  'permissions',
  'executors',
  'middleware',
  'scheduler',
  'artifactsDir',
  'container',
  'maxTriggerDepth',
  'redact',
  'executions',
  'workflows',
  'resume',
  'leaseMs',
  'instanceId',
  'unregisteredVersion',
] as const;
const RUN_KEYS = allKeys<RunOptions>()(['executionId', 'signal', 'actor', 'triggeredBy', 'redact', 'priority']);
const EXECUTOR_METHODS = ['exec', 'copyIn', 'copyOut', 'healthCheck', 'dispose'];

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const describe = (v: unknown): string =>
  v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v === 'string' ? `the string "${v}"` : typeof v;
const hasMethods = (v: unknown, methods: readonly string[]): boolean =>
  isRecord(v) && methods.every((m) => typeof v[m] === 'function');

function fail(where: string, option: string, reason: string): never {
  throw new FlowlaneError('FL_INVALID_OPTION', { where, option, reason });
}

function rejectUnknown(where: string, options: object, known: readonly string[]): void {
  const [u] = unknownKeys(options, known);
  if (u !== undefined) fail(where, u.key, `unknown option; ${unknownKeyHint(u, known)}`);
}

/** A list option whose entries must all have `methods` (`secrets`, `audit`, `middleware`, …). */
function checkList(where: string, option: string, v: unknown, ok: (x: unknown) => boolean, what: string): void {
  if (v === undefined) return;
  if (!Array.isArray(v)) fail(where, option, `expected an array of ${what}, got ${describe(v)}`);
  const bad = v.findIndex((x) => !ok(x));
  if (bad !== -1) fail(where, `${option}[${bad}]`, `expected ${what.replace(/s$/, '')}, got ${describe(v[bad])}`);
}

function checkObject(where: string, option: string, v: unknown, methods: readonly string[], what: string): void {
  if (v !== undefined && !hasMethods(v, methods))
    fail(where, option, `expected ${what} (an object with ${methods.join(', ')}), got ${describe(v)}`);
}

/**
 * Validates `createEngine(options)`: unknown keys and wrong types throw `FL_INVALID_OPTION` before the engine is
 * created. Value ranges of `maxConcurrentRuns` / `concurrency` and plugin objects are checked by the engine itself.
 */
export function validateEngineOptions(options: unknown): void {
  const where = 'createEngine';
  if (options === undefined) return;
  if (!isRecord(options)) fail(where, 'options', `expected an object, got ${describe(options)}`);
  rejectUnknown(where, options, ENGINE_KEYS);
  const o = options;
  if (o.plugins !== undefined && !Array.isArray(o.plugins))
    fail(where, 'plugins', `expected an array of plugins, got ${describe(o.plugins)}`);
  checkObject(where, 'clock', o.clock, ['now', 'schedule'], 'an RxJS scheduler');
  checkObject(where, 'logger', o.logger, ['debug', 'info', 'warn', 'error'], 'a logger');
  checkObject(where, 'cache', o.cache, ['get', 'set', 'delete'], 'a CacheStore');
  checkObject(where, 'state', o.state, ['get', 'set', 'delete'], 'a StateStore');
  checkObject(where, 'permissions', o.permissions, ['check'], 'a PermissionPolicy');
  checkObject(where, 'scheduler', o.scheduler, ['acquire', 'release'], 'a Scheduler');
  checkList(where, 'secrets', o.secrets, (x) => hasMethods(x, ['get']), 'secrets providers');
  checkList(where, 'audit', o.audit, (x) => hasMethods(x, ['write']), 'audit sinks');
  checkList(where, 'middleware', o.middleware, (x) => typeof x === 'function', 'middleware functions');
  if (o.executors !== undefined) {
    if (!isRecord(o.executors))
      fail(where, 'executors', `expected an object of executors by name, got ${describe(o.executors)}`);
    for (const [name, ex] of Object.entries(o.executors))
      if (!hasMethods(ex, EXECUTOR_METHODS))
        fail(where, `executors.${name}`, `expected an Executor (${EXECUTOR_METHODS.join(', ')}), got ${describe(ex)}`);
  }
  if (o.artifactsDir !== undefined && (typeof o.artifactsDir !== 'string' || o.artifactsDir === ''))
    fail(where, 'artifactsDir', `expected a directory path, got ${describe(o.artifactsDir)}`);
  if (o.container !== undefined && !hasMethods(o.container, ['resolve', 'register']))
    fail(where, 'container', `expected a tsyringe DependencyContainer, got ${describe(o.container)}`);
  // Durable executions (leaseMs and resume values are checked by durability.ts).
  checkObject(
    where,
    'executions',
    o.executions,
    ['create', 'append', 'read', 'get', 'list', 'claim', 'renew'],
    'an ExecutionStore',
  );
  if (o.workflows !== undefined) {
    if (!Array.isArray(o.workflows))
      fail(where, 'workflows', `expected an array of built workflows, got ${describe(o.workflows)}`);
    o.workflows.forEach((wf, k) => {
      try {
        internalsOf(wf as never);
      } catch {
        fail(where, `workflows[${k}]`, `expected a built workflow (call .build()), got ${describe(wf)}`);
      }
    });
  }
  if (o.instanceId !== undefined && (typeof o.instanceId !== 'string' || o.instanceId === ''))
    fail(where, 'instanceId', `expected a non-empty string, got ${describe(o.instanceId)}`);
  if (o.unregisteredVersion !== undefined && o.unregisteredVersion !== 'wait' && o.unregisteredVersion !== 'fail')
    fail(where, 'unregisteredVersion', `expected 'wait' or 'fail', got ${describe(o.unregisteredVersion)}`);
  // Numbers and modes, here so that every message names createEngine (the engine and durability re-check them).
  for (const k of ['maxConcurrentRuns', 'concurrency', 'maxTriggerDepth'] as const) {
    const v = o[k];
    const unbounded = k !== 'maxTriggerDepth' && v === Number.POSITIVE_INFINITY;
    if (v !== undefined && !unbounded && !(Number.isInteger(v) && (v as number) >= 1))
      fail(where, k, `expected an integer ≥ 1, got ${typeof v === 'number' ? String(v) : describe(v)}`);
  }
  const lease = o.leaseMs;
  if (lease !== undefined && !(isTimerMs(lease) && (lease as number) >= 10))
    fail(
      where,
      'leaseMs',
      `expected ms ≥ 10 and ≤ ${MAX_TIMER_MS}, got ${typeof lease === 'number' ? String(lease) : describe(lease)}`,
    );
  if (o.resume !== undefined && o.resume !== 'auto' && o.resume !== 'manual')
    fail(where, 'resume', `expected 'auto' or 'manual', got ${describe(o.resume)}`);
}

/**
 * Validates the arguments of `engine.run(workflow, input, options)` before the run is registered: a non-workflow
 * throws `FL_NOT_A_WORKFLOW`, options that are not an object or have an unknown key throw `FL_INVALID_OPTION`. The
 * values of known keys are checked next by `checkRunOptions`.
 */
export function validateRunArgs(wf: unknown, options: unknown): void {
  internalsOf(wf as never);
  const where = 'engine.run';
  if (options === undefined) return;
  if (!isRecord(options)) fail(where, 'options', `expected an object, got ${describe(options)}`);
  rejectUnknown(where, options, RUN_KEYS);
  // Value checks of the known keys (executionId, signal, actor, redact) are checkRunOptions' (run-options.ts).
}

/** Value ranges of `maxConcurrentRuns`, `concurrency` and `maxTriggerDepth` (`FL_INVALID_OPTION`), with defaults. */
export function engineLimits(options: {
  readonly maxConcurrentRuns?: number | undefined;
  readonly concurrency?: number | undefined;
  readonly maxTriggerDepth?: number | undefined;
}): { maxRuns: number; maxTriggerDepth: number } {
  const maxRuns = options.maxConcurrentRuns ?? Number.POSITIVE_INFINITY;
  if (!(maxRuns === Number.POSITIVE_INFINITY || (Number.isInteger(maxRuns) && maxRuns >= 1)))
    throw new FlowlaneError('FL_INVALID_OPTION', {
      option: 'maxConcurrentRuns',
      reason: `expected an integer ≥ 1, got ${String(maxRuns)}`,
    });
  const conc = options.concurrency;
  if (conc !== undefined && !(conc === Number.POSITIVE_INFINITY || (Number.isInteger(conc) && conc >= 1)))
    throw new FlowlaneError('FL_INVALID_OPTION', {
      option: 'concurrency',
      reason: `expected an integer ≥ 1, got ${String(conc)}`,
    });
  const depth = options.maxTriggerDepth ?? 10;
  if (!(Number.isInteger(depth) && depth >= 1))
    throw new FlowlaneError('FL_INVALID_OPTION', {
      option: 'maxTriggerDepth',
      reason: `expected an integer ≥ 1, got ${String(depth)}`,
    });
  return { maxRuns, maxTriggerDepth: depth };
}
