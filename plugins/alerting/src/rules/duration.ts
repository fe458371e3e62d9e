import type { FlowEvent } from '@flowlane/core';
import { concat, EMPTY, filter, map, mergeMap, type Observable, of, race, type SchedulerLike, take, timer } from 'rxjs';
import type { AlertRule, EscalationStep, RuleSignal, Severity } from '../types.js';
import { checkKeys, escalation, humanMs, optionalString, positive, severity } from '../validate.js';
import { isRunEnd } from './events.js';
import { perRun } from './per-run.js';

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
  const where = 'duration()';
  checkKeys(where, options, ['above', 'workflow', 'severity', 'escalation']);
  const above = positive(where, 'above', options.above);
  const workflow = optionalString(where, 'workflow', options.workflow);
  return {
    name: 'duration',
    severity: severity(where, options.severity, 'warning'),
    escalation: escalation(where, options.escalation),
    evaluate(events$: Observable<FlowEvent>, clock: SchedulerLike): Observable<RuleSignal> {
      return perRun(events$, workflow).pipe(
        mergeMap(({ start, events$: run$ }) => {
          const id = start.executionId;
          const end$ = run$.pipe(filter(isRunEnd), take(1));
          const base = { key: id, workflow: start.workflow, executionId: id };
          // Whichever comes first: the run ends (nothing to say) or the limit passes (fire, then resolve at the end).
          return race(end$.pipe(map(() => false)), timer(above, clock).pipe(map(() => true))).pipe(
            mergeMap((late) =>
              late
                ? concat(
                    of<RuleSignal>({
                      ...base,
                      state: 'firing',
                      message: `Run ${id} of "${start.workflow}" has been running for more than ${humanMs(above)}`,
                      details: { aboveMs: above },
                    }),
                    end$.pipe(
                      map(
                        (x): RuleSignal => ({
                          ...base,
                          state: 'resolved',
                          message: `Run ${id} of "${start.workflow}" ended (${x.type.slice('workflow.'.length)}) after ${humanMs(x.durationMs)}`,
                          details: { durationMs: x.durationMs },
                        }),
                      ),
                    ),
                  )
                : EMPTY,
            ),
          );
        }),
      );
    },
  };
}
