import type { FlowKeyContext, WorkflowFlowOptions } from '../contracts/flow-control.js';
import { isTimerMs, MAX_TIMER_MS } from '../options/timer-ms.js';

/** Keys of {@link WorkflowFlowOptions} (checked against the type in validate-options.test-d.ts). */
export const FLOW_KEYS = ['concurrency', 'rateLimit', 'debounce', 'fairness', 'cancelOn', 'priority'] as const;
const CONCURRENCY_KEYS = ['key', 'limit'] as const;
const RATE_KEYS = ['key', 'limit', 'period', 'mode'] as const;
const DEBOUNCE_KEYS = ['key', 'period', 'maxWait'] as const;
const CANCEL_KEYS = ['event', 'match'] as const;

/** A problem with a flow-control option: `option` is its path (`rateLimit.period`), `reason` what to fix. */
export interface FlowOptionProblem {
  readonly option: string;
  readonly reason: string;
  /** Set for unknown keys. */
  readonly unknown?: { readonly key: string; readonly known: readonly string[] } | undefined;
}

/** The flow-control part of workflow options (undefined when none is set). */
export function pickFlowOptions(
  options: Record<string, unknown> | WorkflowFlowOptions,
): WorkflowFlowOptions | undefined {
  const o = options as WorkflowFlowOptions;
  if (FLOW_KEYS.every((k) => o[k] === undefined)) return undefined;
  const out: Record<string, unknown> = {};
  for (const k of FLOW_KEYS) if (o[k] !== undefined) out[k] = o[k];
  return Object.freeze(out) as WorkflowFlowOptions;
}

/** Checks the flow-control options' values (the builder turns problems into `FL_INVALID_OPTION` build problems). */
export function checkFlowOptions(options: Record<string, unknown>): FlowOptionProblem[] {
  const out: FlowOptionProblem[] = [];
  const c = options.concurrency;
  if (
    c !== undefined &&
    shape(out, 'concurrency', c, CONCURRENCY_KEYS, '{ key: (ctx) => ctx.input.tenant, limit: 2 }')
  ) {
    keyFn(out, 'concurrency.key', c.key);
    int(out, 'concurrency.limit', c.limit);
  }
  const r = options.rateLimit;
  if (r !== undefined && shape(out, 'rateLimit', r, RATE_KEYS, '{ key, limit: 100, period: 60_000 }')) {
    keyFn(out, 'rateLimit.key', r.key);
    int(out, 'rateLimit.limit', r.limit);
    ms(out, 'rateLimit.period', r.period, true);
    if (r.mode !== undefined && r.mode !== 'delay' && r.mode !== 'drop')
      out.push({ option: 'rateLimit.mode', reason: `expected 'delay' or 'drop', got ${describe(r.mode)}` });
  }
  const d = options.debounce;
  if (d !== undefined && shape(out, 'debounce', d, DEBOUNCE_KEYS, '{ key, period: 5_000, maxWait?: 60_000 }')) {
    keyFn(out, 'debounce.key', d.key);
    ms(out, 'debounce.period', d.period, true);
    if (d.maxWait !== undefined) ms(out, 'debounce.maxWait', d.maxWait, true);
  }
  const f = options.fairness;
  if (f !== undefined && f !== 'round-robin') {
    const w = isRecord(f) ? f.weights : undefined;
    if (!isRecord(f) || !isRecord(w) || Object.keys(f).some((k) => k !== 'weights'))
      out.push({
        option: 'fairness',
        reason: `expected 'round-robin' or { weights: { [key]: number } }, got ${describe(f)}`,
      });
    else
      for (const [k, v] of Object.entries(w))
        if (typeof v !== 'number' || !Number.isInteger(v) || v < 1)
          out.push({ option: `fairness.weights.${k}`, reason: `expected an integer ≥ 1, got ${describe(v)}` });
  }
  const co = options.cancelOn;
  if (co !== undefined) {
    if (!Array.isArray(co))
      out.push({
        option: 'cancelOn',
        reason: `expected an array like [{ event: 'order.cancelled', match }], got ${describe(co)}`,
      });
    else
      co.forEach((rule: unknown, i) => {
        if (
          !shape(
            out,
            `cancelOn[${i}]`,
            rule,
            CANCEL_KEYS,
            "{ event: 'order.cancelled', match?: (event, ctx) => boolean }",
          )
        )
          return;
        if (typeof rule.event !== 'string' || rule.event === '')
          out.push({
            option: `cancelOn[${i}].event`,
            reason: `expected a custom event name, got ${describe(rule.event)}`,
          });
        if (rule.match !== undefined && typeof rule.match !== 'function')
          out.push({
            option: `cancelOn[${i}].match`,
            reason: `expected a function (event, ctx) => boolean, got ${describe(rule.match)}`,
          });
      });
  }
  const p = options.priority;
  if (p !== undefined && typeof p !== 'function' && (typeof p !== 'number' || !Number.isFinite(p)))
    out.push({ option: 'priority', reason: `expected a finite number or (ctx) => number, got ${describe(p)}` });
  return out;
}

function shape(
  out: FlowOptionProblem[],
  option: string,
  v: unknown,
  known: readonly string[],
  example: string,
): v is Record<string, unknown> {
  if (!isRecord(v)) {
    out.push({ option, reason: `expected an object like ${example}, got ${describe(v)}` });
    return false;
  }
  for (const key of Object.keys(v))
    if (!known.includes(key))
      out.push({ option: `${option}.${key}`, reason: 'unknown option', unknown: { key, known } });
  return true;
}

function keyFn(out: FlowOptionProblem[], option: string, v: unknown): void {
  if (v !== undefined && typeof v !== 'function')
    out.push({ option, reason: `expected a function (ctx) => string | number, got ${describe(v)}` });
}

function int(out: FlowOptionProblem[], option: string, v: unknown): void {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1)
    out.push({ option, reason: `expected an integer ≥ 1, got ${describe(v)}` });
}

function ms(out: FlowOptionProblem[], option: string, v: unknown, positive: boolean): void {
  if (!isTimerMs(v, !positive))
    out.push({
      option,
      // A longer delay would fire after 1 ms (Node's timer limit): the gate would spin instead of waiting.
      reason:
        typeof v === 'number' && v > MAX_TIMER_MS
          ? `expected at most ${MAX_TIMER_MS} ms (2^31−1, about 24.8 days; the longest timer), got ${describe(v)}`
          : `expected a duration in ms ${positive ? '>' : '≥'} 0, got ${describe(v)}`,
    });
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'object') return 'an object';
  return `${typeof v} ${String(v)}`;
}

/** Exported for debounce in triggers: the key of an input under `debounce.key` (`'*'` without a key function). */
export function debounceKey(fn: ((ctx: FlowKeyContext) => string | number) | undefined, ctx: FlowKeyContext): string {
  if (fn === undefined) return '*';
  return String(fn(ctx));
}
