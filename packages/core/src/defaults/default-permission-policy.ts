import type { PermissionPolicy } from '../plugin/types.js';

/**
 * The default permission policy: enforces what nodes declare in `permissions`. A node without `permissions` runs
 * for anyone; one with permissions is denied when the run has no actor; the actor needs one of `requiredRoles`,
 * must be listed in `allowedUsers` when given, and must have `mfa: true` when `requireMFA`.
 *
 * @example
 * ```ts
 * engine.run(wf, input, { actor: { id: 'alice', roles: ['admin'], mfa: true } });
 * ```
 */
export function createDefaultPermissionPolicy(): PermissionPolicy {
  return {
    check({ actor, node }) {
      const p = node.options.permissions as
        | { requiredRoles?: readonly string[]; allowedUsers?: readonly string[]; requireMFA?: boolean }
        | undefined;
      if (p === undefined) return { allowed: true };
      if (actor === undefined)
        return { allowed: false, reason: 'the node declares permissions and the run has no actor' };
      if (p.allowedUsers !== undefined && !p.allowedUsers.includes(actor.id))
        return { allowed: false, reason: `user "${actor.id}" is not in allowedUsers` };
      if (
        p.requiredRoles !== undefined &&
        p.requiredRoles.length > 0 &&
        !p.requiredRoles.some((r) => actor.roles?.includes(r))
      )
        return { allowed: false, reason: `user "${actor.id}" has none of the roles ${p.requiredRoles.join(', ')}` };
      if (p.requireMFA === true && actor.mfa !== true)
        return { allowed: false, reason: `user "${actor.id}" has not passed MFA` };
      return { allowed: true };
    },
  };
}
