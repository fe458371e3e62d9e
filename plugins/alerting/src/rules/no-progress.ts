import type { FlowEvent } from '@flowlane/core';
import { allKeys } from '@flowlane/core';
import { Observable, type Subscription, timer } from 'rxjs';
import type { AlertRule, EscalationStep, RuleSignal, Severity } from '../types.js';
import { humanMs } from '../validate.js';
import { isRunEnd } from './events.js';
import { runLimitRule } from './run-limit-rule.js';

/** Options of {@link noProgress}. */
export interface NoProgressOptions {
  /** Fire when a running run emitted no event for this many ms (seed: `no_progress > 10m`). */
  readonly for: number;
  /** Only runs of this workflow. Default: every workflow. */
  readonly workflow?: string | undefined;
  /** Default `'warning'`. */
  readonly severity?: Severity | undefined;
  /** This rule's escalation chain (overrides the plugin's `escalation`). */
  readonly escalation?: readonly EscalationStep[] | undefined;
}

const NO_PROGRESS_KEYS = allKeys<NoProgressOptions>()(['for', 'workflow', 'severity', 'escalation']);

/**
 * Fires when a running run has emitted no event (no node started, finished, retried or logged — its subworkflow
 * runs' events count) for `for` ms on the engine's clock; resolves at its next event or when it settles.
 *
 * @example
 * ```ts
 * import { noProgress } from '@flowlane/alerting';
 * const rule = noProgress({ for: 10 * 60_000 });
 * console.log(rule.name); // noProgress
 * ```
 */
export function noProgress(options: NoProgressOptions): AlertRule {
  return runLimitRule(
    'noProgress',
    options,
    NO_PROGRESS_KEYS,
    'for',
    ({ start, events$: run$, base, clock }, quietMs) => {
      const { executionId: id, workflow } = base;
      return new Observable<RuleSignal>((out) => {
        let stalled = false;
        let last: FlowEvent = start;
        let quiet: Subscription | undefined;
        const arm = (): void => {
          quiet?.unsubscribe();
          quiet = timer(quietMs, clock).subscribe(() => {
            stalled = true;
            out.next({
              ...base,
              state: 'firing',
              message: `Run ${id} of "${workflow}" made no progress for ${humanMs(quietMs)} (last event: ${last.type}${'nodeId' in last && last.nodeId ? ` of ${last.nodeId}` : ''})`,
              details: { forMs: quietMs },
            });
          });
        };
        arm();
        const sub = run$.subscribe({
          next: (e) => {
            last = e;
            if (stalled) {
              stalled = false;
              out.next({
                ...base,
                state: 'resolved',
                message: `Run ${id} of "${workflow}" is moving again (${e.type})`,
              });
            }
            if (!(isRunEnd(e) && e.executionId === id)) arm();
          },
          complete: () => {
            quiet?.unsubscribe();
            out.complete();
          },
        });
        return () => {
          quiet?.unsubscribe();
          sub.unsubscribe();
        };
      });
    },
    { children: true },
  );
}
