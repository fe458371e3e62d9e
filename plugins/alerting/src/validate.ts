/* Internal: option checks shared by rules, channels and the plugin. */
import { allKeys, unknownKeyHint, unknownKeys } from '@flowlane/core';
import { AlertingError } from './errors.js';
import type { EscalationStep, Severity } from './types.js';

const STEP_KEYS = allKeys<EscalationStep>()(['after', 'channels']);

export const SEVERITIES: readonly Severity[] = ['critical', 'error', 'warning', 'info'];

export function fail(where: string, option: string, reason: string): never {
  throw new AlertingError('FL_ALERT_INVALID_OPTION', { where, option, reason });
}

/** Rejects a non-object or unknown keys (with a "did you mean" hint). */
export function checkKeys(where: string, value: unknown, known: readonly string[]): void {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(where, 'options', 'expected an object');
  const [extra] = unknownKeys(value, known);
  if (extra !== undefined) fail(where, extra.key, `unknown option; ${unknownKeyHint(extra, known)}`);
}

/** The longest delay a timer can wait: Node fires a longer one after 1 ms. */
const MAX_TIMER_MS = 2_147_483_647;

/**
 * A number > 0 (≥ 0 with `allowZero`); `integer` for counts; `max` for a bound — `timer` is the bound of delays that
 * become timers (a longer one fired at once: a `duration({ above: 3e9 })` alert paged after 1 ms).
 */
export function positive(
  where: string,
  option: string,
  v: unknown,
  { integer = false, allowZero = false, timer = false, max = timer ? MAX_TIMER_MS : undefined }: PositiveOptions = {},
): number {
  if (max !== undefined && typeof v === 'number' && v > max)
    fail(where, option, `expected at most ${max}${timer ? ' ms (2^31−1, the longest timer)' : ''}, got ${v}`);
  if (
    typeof v !== 'number' ||
    !Number.isFinite(v) ||
    v < 0 ||
    (!allowZero && v === 0) ||
    (integer && !Number.isInteger(v))
  )
    fail(
      where,
      option,
      `expected a ${integer ? 'whole ' : ''}number ${allowZero ? '≥' : '>'} 0, got ${typeof v === 'number' ? String(v) : JSON.stringify(v)}`,
    );
  return v as number;
}

interface PositiveOptions {
  readonly integer?: boolean;
  readonly allowZero?: boolean;
  readonly timer?: boolean;
  readonly max?: number | undefined;
}

export function severity(where: string, v: unknown, fallback: Severity): Severity {
  if (v === undefined) return fallback;
  if (!SEVERITIES.includes(v as Severity))
    fail(where, 'severity', `expected one of ${SEVERITIES.join(', ')}, got ${JSON.stringify(v)}`);
  return v as Severity;
}

export function optionalString(where: string, option: string, v: unknown): string | undefined {
  if (v !== undefined && (typeof v !== 'string' || v === '')) fail(where, option, 'expected a non-empty string');
  return v as string | undefined;
}

export function escalation(where: string, v: unknown): readonly EscalationStep[] | undefined {
  if (v === undefined) return undefined;
  if (!Array.isArray(v) || v.length === 0)
    fail(where, 'escalation', 'expected a non-empty array of { after, channels }');
  return (v as unknown[]).map((s, i) => {
    checkKeys(`${where} escalation[${i}]`, s, STEP_KEYS);
    const step = s as EscalationStep;
    positive(`${where} escalation[${i}]`, 'after', step.after, { allowZero: true, timer: true });
    if (!Array.isArray(step.channels) || step.channels.length === 0 || step.channels.some((c) => typeof c !== 'string'))
      fail(`${where} escalation[${i}]`, 'channels', 'expected a non-empty array of channel names');
    return { after: step.after, channels: [...step.channels] };
  });
}

/** `5m`-style text for messages. */
export function humanMs(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000} h`;
  if (ms % 60_000 === 0) return `${ms / 60_000} min`;
  if (ms % 1000 === 0) return `${ms / 1000} s`;
  return `${ms} ms`;
}
