import type { FlowEvent } from '@flowlane/core';
import { allKeys } from '@flowlane/core';
import { mergeMap, type Observable } from 'rxjs';
import type { AlertRule, EscalationStep, RuleSignal, Severity } from '../types.js';
import { checkKeys, escalation, optionalString, severity } from '../validate.js';

/** Options of {@link nodeFailed}. */
export interface NodeFailedOptions {
  /** Only this node. Default: every node. */
  readonly nodeId?: string | undefined;
  /** Only nodes of this workflow. Default: every workflow. */
  readonly workflow?: string | undefined;
  /** Default `'error'`. */
  readonly severity?: Severity | undefined;
  /** This rule's escalation chain (overrides the plugin's `escalation`). */
  readonly escalation?: readonly EscalationStep[] | undefined;
}

/**
 * Fires when a node fails for good (after its retries; `node.failed`), once per workflow and node while it keeps
 * failing; resolves the next time that node completes.
 *
 * @example
 * ```ts
 * import { nodeFailed } from '@flowlane/alerting';
 * const rule = nodeFailed({ nodeId: 'deploy-prod', severity: 'critical' });
 * console.log(rule.severity); // critical
 * ```
 */
export function nodeFailed(options: NodeFailedOptions = {}): AlertRule {
  const where = 'nodeFailed()';
  checkKeys(where, options, allKeys<NodeFailedOptions>()(['nodeId', 'workflow', 'severity', 'escalation']));
  const nodeId = optionalString(where, 'nodeId', options.nodeId);
  const workflow = optionalString(where, 'workflow', options.workflow);
  return {
    name: 'nodeFailed',
    severity: severity(where, options.severity, 'error'),
    escalation: escalation(where, options.escalation),
    evaluate(events$: Observable<FlowEvent>): Observable<RuleSignal> {
      return events$.pipe(
        mergeMap((e): RuleSignal[] => {
          if (e.type !== 'node.failed' && e.type !== 'node.completed') return [];
          if ((nodeId !== undefined && e.nodeId !== nodeId) || (workflow !== undefined && e.workflow !== workflow))
            return [];
          const base = {
            key: `${e.workflow}:${e.nodeId}`,
            workflow: e.workflow,
            executionId: e.executionId,
            nodeId: e.nodeId,
          };
          if (e.type === 'node.completed')
            return [
              {
                ...base,
                state: 'resolved',
                message: `Node "${e.nodeId}" of "${e.workflow}" completed again (run ${e.executionId})`,
              },
            ];
          return [
            {
              ...base,
              state: 'firing',
              message: `Node "${e.nodeId}" of "${e.workflow}" failed after ${e.attempt} attempt(s) in run ${e.executionId}: ${e.error.message}`,
              details: { attempt: e.attempt, code: e.error.code ?? 'unknown' },
            },
          ];
        }),
      );
    },
  };
}
