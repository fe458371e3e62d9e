import { allKeys } from '@flowlane/core';
import { concat, EMPTY, filter, map, mergeMap, of, race, take, timer } from 'rxjs';
import type { AlertRule, EscalationStep, RuleSignal, Severity } from '../types.js';
import { humanMs } from '../validate.js';
import { isRunEnd } from './events.js';
import { runLimitRule } from './run-limit-rule.js';

/** Options of {@link duration}. */
export interface DurationOptions {
  /** Fire when a run has been running longer than this many ms (seed: `duration > 300000`). */
  readonly above: number;
  /** Only runs of this workflow. Default: every workflow. */
  readonly workflow?: string | undefined;
  /** Default `'warning'`. */
  readonly severity?: Severity | undefined;
  /** This rule's escalation chain (overrides the plugin's `escalation`). */
  readonly escalation?: readonly EscalationStep[] | undefined;
}

const DURATION_KEYS = allKeys<DurationOptions>()(['above', 'workflow', 'severity', 'escalation']);

/**
 * Fires while a run is still running `above` ms after it started (a timer per run on the engine's clock, so it fires
 * without waiting for the run to end); resolves when that run settles.
 *
 * @example
 * ```ts
 * import { duration } from '@flowlane/alerting';
 * const rule = duration({ above: 300_000, workflow: 'deploy' });
 * console.log(rule.severity); // warning
 * ```
 */
export function duration(options: DurationOptions): AlertRule {
  return runLimitRule('duration', options, DURATION_KEYS, 'above', ({ events$: run$, base, clock }, above) => {
    const { executionId: id, workflow } = base;
    const end$ = run$.pipe(filter(isRunEnd), take(1));
    // Whichever comes first: the run ends (nothing to say) or the limit passes (fire, then resolve at the end).
    return race(end$.pipe(map(() => false)), timer(above, clock).pipe(map(() => true))).pipe(
      mergeMap((late) =>
        late
          ? concat(
              of<RuleSignal>({
                ...base,
                state: 'firing',
                message: `Run ${id} of "${workflow}" has been running for more than ${humanMs(above)}`,
                details: { aboveMs: above },
              }),
              end$.pipe(
                map(
                  (x): RuleSignal => ({
                    ...base,
                    state: 'resolved',
                    message: `Run ${id} of "${workflow}" ended (${x.type.slice('workflow.'.length)}) after ${humanMs(x.durationMs)}`,
                    details: { durationMs: x.durationMs },
                  }),
                ),
              ),
            )
          : EMPTY,
      ),
    );
  });
}
