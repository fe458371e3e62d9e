import { type Actor, createDefaultPermissionPolicy, type PermissionPolicy } from '@flowlane/core';
import type { PolicyAction, PolicyDocument, RoleGrant } from './policy-document.js';

/** One question to the policy. */
export interface PermissionRequest {
  readonly actor: Actor | undefined;
  readonly action: PolicyAction;
  readonly workflow: string;
  /** The node, for `execute`. */
  readonly nodeId?: string | undefined;
  readonly executionId: string;
}

/** The policy's answer: allowed or not, why, and the role that allowed it. */
export interface PermissionDecision {
  readonly allowed: boolean;
  readonly reason: string;
  readonly role?: string | undefined;
}

/** A {@link PermissionPolicy} that also answers {@link PermissionRequest}s directly. */
export interface PolicyEvaluator extends PermissionPolicy {
  decide(request: PermissionRequest): PermissionDecision;
}

const glob = (pattern: string, value: string): boolean => {
  if (!pattern.includes('*')) return pattern === value;
  const re = new RegExp(
    `^${pattern
      .split('*')
      .map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*')}$`,
  );
  return re.test(value);
};
const matchesAny = (patterns: readonly string[] | undefined, value: string): boolean =>
  patterns === undefined || patterns.some((p) => glob(p, value));

/** How far `actor.mfaAt` may be ahead of the policy's clock (clock skew between the MFA issuer and this host). */
const MFA_CLOCK_SKEW_MS = 60_000;

/**
 * Evaluate a policy document. `check` (nodes) first enforces what the node itself declares in `permissions` (like
 * core's default policy), then the `execute` grants; `authorize` decides `run`, `cancel`, `signal` and `resume`.
 * `onDecision` sees every decision, allowed and denied.
 *
 * @example
 * ```ts
 * import { createPolicyEvaluator } from '@flowlane/permissions-policy';
 * const policy = createPolicyEvaluator({ denyByDefault: true, roles: { ops: { actions: ['run', 'cancel'] } } });
 * const d = policy.decide({ actor: { id: 'bob', roles: ['ops'] }, action: 'run', workflow: 'backup', executionId: 'e1' });
 * console.log(d.allowed, d.role); // true ops
 * ```
 */
export function createPolicyEvaluator(
  doc: PolicyDocument,
  options: {
    readonly now?: (() => number) | undefined;
    readonly onDecision?: ((request: PermissionRequest, decision: PermissionDecision) => void) | undefined;
  } = {},
): PolicyEvaluator {
  const now = options.now ?? Date.now;
  const grants: { role: string; grant: RoleGrant }[] = Object.entries(doc.roles).flatMap(([role, g]) =>
    (Array.isArray(g) ? g : [g]).map((grant: RoleGrant) => ({ role, grant })),
  );
  const nodeDeclared = createDefaultPermissionPolicy();

  const decide = (req: PermissionRequest): PermissionDecision => {
    const target =
      req.action === 'execute' ? `node "${req.nodeId}" of workflow "${req.workflow}"` : `workflow "${req.workflow}"`;
    const covering = grants.filter(
      ({ grant }) =>
        (grant.actions === undefined || grant.actions.includes(req.action)) &&
        matchesAny(grant.workflows, req.workflow) &&
        (req.action !== 'execute' || matchesAny(grant.nodes, req.nodeId ?? '')),
    );
    if (covering.length === 0)
      return doc.denyByDefault === true
        ? { allowed: false, reason: `no role grants "${req.action}" on ${target} and the policy denies by default` }
        : { allowed: true, reason: `no role covers "${req.action}" on ${target}` };
    const roleNames = [...new Set(covering.map((c) => c.role))];
    const actor = req.actor;
    if (actor === undefined)
      return {
        allowed: false,
        reason: `"${req.action}" on ${target} needs one of the roles ${roleNames.join(', ')}, and there is no actor`,
      };
    const held = new Set([...(actor.roles ?? []), ...(doc.users?.[actor.id]?.roles ?? [])]);
    const failures: string[] = [];
    for (const { role, grant } of covering) {
      if (!held.has(role)) continue;
      if (grant.allowedUsers !== undefined && !grant.allowedUsers.includes(actor.id)) {
        failures.push(`user "${actor.id}" is not in allowedUsers of role "${role}"`);
        continue;
      }
      if (grant.requireMFA === true) {
        if (actor.mfa !== true) {
          failures.push(`role "${role}" requires MFA and user "${actor.id}" has not passed it`);
          continue;
        }
        if (grant.maxMfaAgeSeconds !== undefined) {
          const at = actor.mfaAt;
          // A time ahead of the clock (beyond skew) never ages: it would pass the age check forever.
          if (at !== undefined && Number.isFinite(at) && at - now() > MFA_CLOCK_SKEW_MS) {
            failures.push(
              `role "${role}" requires MFA within the last ${grant.maxMfaAgeSeconds} s and user "${actor.id}"'s mfaAt is in the future (more than ${MFA_CLOCK_SKEW_MS / 1000} s ahead of this clock)`,
            );
            continue;
          }
          if (at === undefined || !Number.isFinite(at) || now() - at > grant.maxMfaAgeSeconds * 1000) {
            failures.push(
              `role "${role}" requires MFA within the last ${grant.maxMfaAgeSeconds} s and user "${actor.id}"'s is older`,
            );
            continue;
          }
        }
      }
      return { allowed: true, reason: `granted by role "${role}"`, role };
    }
    return {
      allowed: false,
      reason:
        failures[0] ??
        `user "${actor.id}" has none of the roles ${roleNames.join(', ')} that "${req.action}" on ${target} needs`,
    };
  };

  const decideAndReport = (req: PermissionRequest): PermissionDecision => {
    const d = decide(req);
    options.onDecision?.(req, d);
    return d;
  };

  return {
    decide: decideAndReport,
    check({ actor, node, workflow, executionId }) {
      const declared = nodeDeclared.check({ actor, node, workflow, executionId });
      const req: PermissionRequest = { actor, action: 'execute', workflow, nodeId: node.id, executionId };
      if (!declared.allowed) {
        options.onDecision?.(req, { allowed: false, reason: `${declared.reason} (declared by the node)` });
        return declared;
      }
      const d = decideAndReport(req);
      return d.allowed ? { allowed: true } : { allowed: false, reason: d.reason };
    },
    authorize({ action, actor, workflow, executionId }) {
      const d = decideAndReport({ actor, action, workflow, executionId });
      return d.allowed ? { allowed: true } : { allowed: false, reason: d.reason };
    },
  };
}
