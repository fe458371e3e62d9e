/* Internal: the frame shared by the per-run limit rules (`duration`, `noProgress`): option checks, then one watch per run. */
import type { FlowEvent, WorkflowStartedEvent } from '@flowlane/core';
import { mergeMap, type Observable, type SchedulerLike } from 'rxjs';
import type { AlertRule, EscalationStep, RuleSignal, Severity } from '../types.js';
import { checkKeys, escalation, optionalString, positive, severity } from '../validate.js';
import { perRun } from './per-run.js';

/** The options a run-limit rule has besides its limit. */
interface RunLimitOptions {
  readonly workflow?: string | undefined;
  readonly severity?: Severity | undefined;
  readonly escalation?: readonly EscalationStep[] | undefined;
}

/** One run as a watch sees it; `base` holds the fields every signal of the run carries. */
export interface WatchedRun {
  readonly start: WorkflowStartedEvent;
  readonly events$: Observable<FlowEvent>;
  readonly base: { readonly key: string; readonly workflow: string; readonly executionId: string };
  readonly clock: SchedulerLike;
}

/**
 * A rule named `name` (default severity `'warning'`) that checks `options` (keys `known`, a positive number of ms
 * under `limit`, `workflow`, `severity`, `escalation`) and runs `watch` once per run of `workflow` (every workflow
 * when absent) with that limit; with `children`, the run's stream also carries its subworkflow runs' events.
 */
export function runLimitRule<O extends RunLimitOptions>(
  name: string,
  options: O,
  known: readonly string[],
  limit: keyof O & string,
  watch: (run: WatchedRun, limitMs: number) => Observable<RuleSignal>,
  { children = false }: { readonly children?: boolean } = {},
): AlertRule {
  const where = `${name}()`;
  checkKeys(where, options, known);
  const limitMs = positive(where, limit, options[limit], { timer: true });
  const workflow = optionalString(where, 'workflow', options.workflow);
  return {
    name,
    severity: severity(where, options.severity, 'warning'),
    escalation: escalation(where, options.escalation),
    evaluate(events$: Observable<FlowEvent>, clock: SchedulerLike): Observable<RuleSignal> {
      return perRun(events$, workflow, { children }).pipe(
        mergeMap(({ start, events$: run$ }) => {
          const id = start.executionId;
          const base = { key: id, workflow: start.workflow, executionId: id };
          return watch({ start, events$: run$, base, clock }, limitMs);
        }),
      );
    },
  };
}
