import type { FlowEvent } from '@flowlane/core';
import { allKeys } from '@flowlane/core';
import { mergeMap, type Observable } from 'rxjs';
import type { AlertRule, EscalationStep, RuleSignal, Severity } from '../types.js';
import { checkKeys, escalation, fail, severity } from '../validate.js';

/** Options of {@link rule}. */
export interface CustomRuleOptions {
  /** Rule name (part of every alert id). */
  readonly name: string;
  /** Fires for events where this returns true, or a message. */
  readonly when: (event: FlowEvent) => boolean | string;
  /** Resolves the alert (same key) for events where this returns true. Default: never (it stays until it resolves). */
  readonly resolveWhen?: ((event: FlowEvent) => boolean) | undefined;
  /** Alert identity per event (dedupe key). Default: the workflow name. */
  readonly key?: ((event: FlowEvent) => string) | undefined;
  /** Default `'warning'`. */
  readonly severity?: Severity | undefined;
  /** This rule's escalation chain (overrides the plugin's `escalation`). */
  readonly escalation?: readonly EscalationStep[] | undefined;
}

/**
 * A rule from your own predicates over events.
 *
 * @example
 * ```ts
 * import { rule } from '@flowlane/alerting';
 *
 * const slowApproval = rule({
 *   name: 'approvalRejected',
 *   when: (e) => e.type === 'custom' && e.name === 'approval' && (e.payload as { ok: boolean }).ok === false && 'Approval was rejected',
 *   resolveWhen: (e) => e.type === 'custom' && e.name === 'approval' && (e.payload as { ok: boolean }).ok === true,
 * });
 * console.log(slowApproval.name); // approvalRejected
 * ```
 */
export function rule(options: CustomRuleOptions): AlertRule {
  const where = 'rule()';
  checkKeys(
    where,
    options,
    allKeys<CustomRuleOptions>()(['name', 'when', 'resolveWhen', 'key', 'severity', 'escalation']),
  );
  if (typeof options.name !== 'string' || !/^[A-Za-z0-9_.-]+$/.test(options.name))
    fail(where, 'name', 'expected letters, digits, "_", "." or "-"');
  if (typeof options.when !== 'function') fail(where, 'when', 'expected a function (event) => boolean | string');
  for (const k of ['resolveWhen', 'key'] as const)
    if (options[k] !== undefined && typeof options[k] !== 'function') fail(where, k, 'expected a function');
  const { name, when, resolveWhen, key } = options;
  return {
    name,
    severity: severity(where, options.severity, 'warning'),
    escalation: escalation(where, options.escalation),
    evaluate(events$: Observable<FlowEvent>): Observable<RuleSignal> {
      return events$.pipe(
        mergeMap((e): RuleSignal[] => {
          const base = {
            key: key?.(e) ?? e.workflow,
            workflow: e.workflow,
            executionId: e.executionId,
            nodeId: 'nodeId' in e ? e.nodeId : undefined,
          };
          const hit = when(e);
          if (hit !== false)
            return [
              {
                ...base,
                state: 'firing',
                message: typeof hit === 'string' ? hit : `${name}: ${e.type} in "${e.workflow}"`,
              },
            ];
          if (resolveWhen?.(e) === true)
            return [{ ...base, state: 'resolved', message: `${name} resolved: ${e.type} in "${e.workflow}"` }];
          return [];
        }),
      );
    },
  };
}
