import { SchedulerError } from './errors.js';

const SUFFIX: Readonly<Record<string, number>> = {
  '': 1,
  m: 1e-3,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};

const PATTERN = /^(\d+(?:\.\d+)?|\.\d+)(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$/;

/**
 * Parses a resource quantity the way Kubernetes writes them: a number ≥ 0, or a string with an optional decimal
 * (`k M G T P E`, `m` = milli) or binary (`Ki Mi Gi Ti Pi Ei`) suffix. Returns `undefined` for anything else.
 *
 * @example
 * ```ts
 * import { parseQuantity } from '@flowlane/scheduler-priority';
 *
 * parseQuantity('16Gi'); // 17179869184
 * parseQuantity('500m'); // 0.5
 * parseQuantity(2);      // 2
 * ```
 */
export function parseQuantity(value: number | string): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? value : undefined;
  if (typeof value !== 'string') return undefined;
  const m = PATTERN.exec(value.trim());
  if (m === null) return undefined;
  return Number(m[1]) * SUFFIX[m[2] ?? '']!;
}

/** Internal: a quantity in integer milli-units, so sums and comparisons are exact. Throws `FL_SCHED_INVALID_QUANTITY`. */
export function toMilli(resource: string, value: unknown, nodeId?: string): number {
  const q = typeof value === 'number' || typeof value === 'string' ? parseQuantity(value) : undefined;
  if (q === undefined)
    throw new SchedulerError('FL_SCHED_INVALID_QUANTITY', {
      resource,
      value: typeof value === 'string' ? value : String(value),
      nodeId,
    });
  return Math.round(q * 1000);
}
