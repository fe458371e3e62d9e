import { FlowlaneError } from '../errors.js';
import type { ActionRequest, PermissionPolicy } from '../plugin/types.js';

/**
 * Ask the policy's optional `authorize` about an engine-level action. Returns the `FL_ACTION_DENIED` error to raise,
 * or `undefined` when allowed (or when the policy has no `authorize`). A throwing `authorize` denies.
 */
export function actionDenied(policy: PermissionPolicy, request: ActionRequest): FlowlaneError | undefined {
  if (typeof policy.authorize !== 'function') return undefined;
  let reason: string;
  try {
    const verdict = policy.authorize(request);
    if (verdict.allowed) return undefined;
    reason = verdict.reason;
  } catch (e) {
    reason = `the permission policy failed: ${e instanceof Error ? e.message : String(e)}`;
  }
  const { action, workflow, executionId } = request;
  return new FlowlaneError('FL_ACTION_DENIED', { action, workflow, executionId, reason });
}

/** {@link actionDenied} that throws the denial. */
export function authorizeAction(policy: PermissionPolicy, request: ActionRequest): void {
  const denied = actionDenied(policy, request);
  if (denied !== undefined) throw denied;
}
