import { FlowlaneError } from '../errors.js';
import type { PermissionPolicy } from '../plugin/types.js';

/**
 * Asks the permission policy whether `actor` may execute node `request.node`: undefined when allowed; else the
 * denial (`FL_PERMISSION_DENIED`, after `audit` records it) or the error of a policy that threw (it fails the node).
 */
export function nodeDenial(
  policy: PermissionPolicy,
  request: Parameters<PermissionPolicy['check']>[0],
  audit: (reason: string) => void,
): unknown {
  let verdict: ReturnType<PermissionPolicy['check']>;
  try {
    verdict = policy.check(request);
  } catch (e) {
    return e; // a throwing policy fails the node
  }
  if (verdict.allowed) return undefined;
  audit(verdict.reason);
  return new FlowlaneError('FL_PERMISSION_DENIED', { nodeId: request.node.id, reason: verdict.reason });
}
