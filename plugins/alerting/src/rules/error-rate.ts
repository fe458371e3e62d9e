import type { FlowEvent } from '@flowlane/core';
import { allKeys } from '@flowlane/core';
import { concat, defer, filter, map, mergeMap, type Observable, of, type SchedulerLike, timer } from 'rxjs';
import type { AlertRule, EscalationStep, RuleSignal, Severity } from '../types.js';
import { checkKeys, escalation, fail, humanMs, optionalString, positive, severity } from '../validate.js';
import { isRunEnd, type RunEnd } from './events.js';

/** Options of {@link errorRate}. */
export interface ErrorRateOptions {
  /** Fire when failed runs / settled runs in the window is above this fraction (0–1), e.g. `0.1`. */
  readonly above: number;
  /** Sliding window in ms, e.g. `5 * 60_000`. */
  readonly window: number;
  /** Only judge a window holding at least this many settled runs. Default 1. */
  readonly minRuns?: number | undefined;
  /** Only runs of this workflow. Default: every workflow, each judged on its own. */
  readonly workflow?: string | undefined;
  /** Default `'error'`. */
  readonly severity?: Severity | undefined;
  /** This rule's escalation chain (overrides the plugin's `escalation`). */
  readonly escalation?: readonly EscalationStep[] | undefined;
}

/**
 * Fires when the share of failed runs of a workflow over a sliding window passes `above` (seed: `error_rate > 0.1`
 * over 5 min); resolves when it falls back to `above` or below. Each settled run enters the window when it settles
 * and leaves it `window` ms later, on the engine's clock (cancelled runs count as not failed).
 *
 * @example
 * ```ts
 * import { errorRate } from '@flowlane/alerting';
 * const rule = errorRate({ above: 0.1, window: 5 * 60_000, minRuns: 10 });
 * console.log(rule.name); // errorRate
 * ```
 */
export function errorRate(options: ErrorRateOptions): AlertRule {
  const where = 'errorRate()';
  checkKeys(
    where,
    options,
    allKeys<ErrorRateOptions>()(['above', 'window', 'minRuns', 'workflow', 'severity', 'escalation']),
  );
  const above = options.above;
  if (typeof above !== 'number' || !(above >= 0 && above < 1))
    fail(where, 'above', `expected a fraction in [0, 1), got ${JSON.stringify(above)}`);
  const windowMs = positive(where, 'window', options.window, { timer: true });
  const minRuns = options.minRuns === undefined ? 1 : positive(where, 'minRuns', options.minRuns, { integer: true });
  const workflow = optionalString(where, 'workflow', options.workflow);
  return {
    name: 'errorRate',
    severity: severity(where, options.severity, 'error'),
    escalation: escalation(where, options.escalation),
    evaluate(events$: Observable<FlowEvent>, clock: SchedulerLike): Observable<RuleSignal> {
      return defer(() => {
        const counts = new Map<string, { total: number; failed: number; firing: boolean }>();
        // +1 when a run settles, -1 when it leaves the window: a sliding window made of timers on the clock.
        const deltas$ = events$.pipe(
          filter(
            (e): e is RunEnd =>
              isRunEnd(e) && e.parentExecutionId === undefined && (workflow === undefined || e.workflow === workflow),
          ),
          mergeMap((e) => {
            const failed = e.type === 'workflow.failed' ? 1 : 0;
            return concat(
              of({ wf: e.workflow, total: 1, failed }),
              timer(windowMs, clock).pipe(map(() => ({ wf: e.workflow, total: -1, failed: -failed }))),
            );
          }),
        );
        return deltas$.pipe(
          mergeMap((d) => {
            let c = counts.get(d.wf);
            if (c === undefined) counts.set(d.wf, (c = { total: 0, failed: 0, firing: false }));
            c.total += d.total;
            c.failed += d.failed;
            const rate = c.total === 0 ? 0 : c.failed / c.total;
            const over = c.total >= minRuns && rate > above;
            if (over === c.firing) return [];
            c.firing = over;
            if (!over && c.total === 0) counts.delete(d.wf);
            const pct = (x: number) => `${Math.round(x * 1000) / 10}%`;
            const signal: RuleSignal = {
              key: d.wf,
              state: over ? 'firing' : 'resolved',
              workflow: d.wf,
              message: over
                ? `Error rate of "${d.wf}" is ${pct(rate)} (${c.failed} of ${c.total} runs failed in the last ${humanMs(windowMs)}), above ${pct(above)}`
                : `Error rate of "${d.wf}" is back to ${pct(rate)} (${c.failed} of ${c.total} runs in the last ${humanMs(windowMs)})`,
              details: { rate, failed: c.failed, runs: c.total, above, windowMs },
            };
            return [signal];
          }),
        );
      });
    },
  };
}
