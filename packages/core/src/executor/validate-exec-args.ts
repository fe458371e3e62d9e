import { FlowlaneError } from '../errors.js';
import { allKeys } from '../options/all-keys.js';
import { isTimerMs, timerReason } from '../options/timer-ms.js';
import { unknownKeyHint, unknownKeys } from '../options/unknown-keys.js';
import type { ExecOptions } from '../plugin/types.js';

/** Keys a node may pass to `ctx.exec(command, options)` (`executionId` and `nodeId` are overwritten by the engine). */
const EXEC_KEYS = allKeys<Omit<ExecOptions, 'signal'>>()([
  'args',
  'shell',
  'env',
  'cwd',
  'stdin',
  'timeout',
  'allowFailure',
  'maxOutputBytes',
  'target',
  'executionId',
  'nodeId',
]);

const describe = (v: unknown): string =>
  v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v === 'string' ? `the string "${v}"` : typeof v;

/** Why `(command, options)` of `ctx.exec` is invalid, as [option, reason], or undefined when it is fine. */
function problemOf(command: unknown, options: unknown): [string, string] | undefined {
  if (typeof command !== 'string' || command === '')
    return ['command', `expected a non-empty string, got ${describe(command)}`];
  if (options === undefined) return undefined;
  if (typeof options !== 'object' || options === null || Array.isArray(options))
    return ['options', `expected an object like { args: ['-l'] }, got ${describe(options)}`];
  const [u] = unknownKeys(options, EXEC_KEYS);
  if (u !== undefined) return [u.key, `unknown option; ${unknownKeyHint(u, EXEC_KEYS)}`];
  const o = options as Record<string, unknown>;
  if (o.args !== undefined && !(Array.isArray(o.args) && o.args.every((a) => typeof a === 'string')))
    return [
      'args',
      `expected an array of strings, got ${describe(o.args)}${typeof o.args === 'string' ? ` (write args: ['${o.args}'])` : ''}`,
    ];
  for (const k of ['shell', 'allowFailure'] as const)
    if (o[k] !== undefined && typeof o[k] !== 'boolean') return [k, `expected a boolean, got ${describe(o[k])}`];
  if (
    o.env !== undefined &&
    !(
      typeof o.env === 'object' &&
      o.env !== null &&
      !Array.isArray(o.env) &&
      Object.values(o.env).every((v) => typeof v === 'string')
    )
  )
    return ['env', `expected an object of string values, got ${describe(o.env)}`];
  for (const k of ['cwd', 'target'] as const)
    if (o[k] !== undefined && (typeof o[k] !== 'string' || o[k] === ''))
      return [k, `expected a non-empty string, got ${describe(o[k])}`];
  if (o.stdin !== undefined && typeof o.stdin !== 'string' && !(o.stdin instanceof Uint8Array))
    return ['stdin', `expected a string or a Uint8Array, got ${describe(o.stdin)}`];
  if (o.timeout !== undefined && !isTimerMs(o.timeout)) return ['timeout', timerReason(o.timeout)];
  if (o.maxOutputBytes !== undefined && !(Number.isInteger(o.maxOutputBytes) && (o.maxOutputBytes as number) > 0))
    return ['maxOutputBytes', `expected an integer > 0, got ${String(o.maxOutputBytes)}`];
  return undefined;
}

/**
 * Checks the arguments of `ctx.exec` / `ctx.exec.stream` before anything runs: `FL_INVALID_OPTION` (naming the
 * node and the option, and the closest known key for an unknown one) instead of a command run with
 * `args: 'ls -l'` spread into characters.
 */
export function validateExecArgs(nodeId: string, command: unknown, options: unknown): void {
  const p = problemOf(command, options);
  if (p !== undefined)
    throw new FlowlaneError('FL_INVALID_OPTION', { nodeId, option: `ctx.exec ${p[0]}`, reason: p[1] });
}
