import type { PermissionPolicy } from '../plugin/types.js';

/**
 * The default permission policy: enforces what nodes declare in `permissions`. A node without `permissions` runs
 * for anyone; one with permissions is denied when the run has no actor; the actor needs one of `requiredRoles`,
 * must be listed in `allowedUsers` when given, and must have `mfa: true` when `requireMFA`.
 *
 * @example
 * ```ts
 * import { createEngine, workflow } from '@flowlane/core';
 *
 * const wf = workflow('deploy')
 *   .addNode('release', () => 'released', { permissions: { requiredRoles: ['admin'], requireMFA: true } })
 *   .build();
 * const engine = createEngine();
 * await engine.run(wf, {}, { actor: { id: 'alice', roles: ['admin'], mfa: true } }).result;
 * await engine.close();
 * ```
 */
export function createDefaultPermissionPolicy(): PermissionPolicy {
  return {
    check({ actor, node }) {
      const p = node.options.permissions as
        | { requiredRoles?: unknown; allowedUsers?: unknown; requireMFA?: unknown }
        | undefined;
      if (p === undefined) return { allowed: true };
      if (actor === undefined)
        return { allowed: false, reason: 'the node declares permissions and the run has no actor' };
      // Exact matches on arrays only: a string here would match substrings (`'not-an-admin'.includes('admin')`).
      // build() rejects such declarations and run() such actors; a policy must still fail closed.
      const roles = Array.isArray(actor.roles) ? (actor.roles as readonly unknown[]) : [];
      if (p.allowedUsers !== undefined && !(Array.isArray(p.allowedUsers) && p.allowedUsers.includes(actor.id)))
        return { allowed: false, reason: `user "${actor.id}" is not in allowedUsers` };
      if (p.requiredRoles !== undefined) {
        const required: readonly unknown[] = Array.isArray(p.requiredRoles) ? p.requiredRoles : [p.requiredRoles];
        if (required.length > 0 && !required.some((r) => typeof r === 'string' && roles.includes(r)))
          return { allowed: false, reason: `user "${actor.id}" has none of the roles ${required.join(', ')}` };
      }
      // Anything but an explicit `false` requires MFA (fail closed on `'yes'`, `1`, …).
      if (p.requireMFA !== undefined && p.requireMFA !== false && actor.mfa !== true)
        return { allowed: false, reason: `user "${actor.id}" has not passed MFA` };
      return { allowed: true };
    },
  };
}
