import { readFileSync } from 'node:fs';
import { allKeys, unknownKeyHint, unknownKeys } from '@flowlane/core';
import { PermissionsPolicyError } from './errors.js';

/** What a role grant can allow: engine-level actions and `execute` (running a node). */
export type PolicyAction = 'run' | 'cancel' | 'signal' | 'resume' | 'execute';
export const POLICY_ACTIONS: readonly PolicyAction[] = ['run', 'cancel', 'signal', 'resume', 'execute'];

/**
 * One grant of a role: which workflows, nodes and actions it covers and what the actor must show to use it.
 * Patterns are exact names or globs with `*` (any run of characters).
 */
export interface RoleGrant {
  /** Workflow names the grant covers. Default `['*']`. */
  readonly workflows?: readonly string[] | undefined;
  /** Node ids covered by `execute`. Default `['*']`. Ignored for engine-level actions. */
  readonly nodes?: readonly string[] | undefined;
  /** Actions covered. Default all: `run`, `cancel`, `signal`, `resume`, `execute`. */
  readonly actions?: readonly PolicyAction[] | undefined;
  /** Only these user ids may use the grant (even with the role). Default: anyone with the role. */
  readonly allowedUsers?: readonly string[] | undefined;
  /** The actor must have passed MFA (`actor.mfa === true`). Default false. */
  readonly requireMFA?: boolean | undefined;
  /** With `requireMFA`: the MFA must be at most this old (`actor.mfaAt`). Default: any age. */
  readonly maxMfaAgeSeconds?: number | undefined;
}

/**
 * A permissions policy: roles → grants. A request (actor, action, workflow, node) that some grant *covers* is allowed
 * only when the actor holds one of the covering roles and meets that grant's `allowedUsers` / MFA conditions; a
 * request no grant covers is allowed, or denied with `denyByDefault: true`.
 *
 * @example
 * ```ts
 * import type { PolicyDocument } from '@flowlane/permissions-policy';
 * const policy: PolicyDocument = {
 *   denyByDefault: true,
 *   roles: {
 *     developer: { workflows: ['release'], actions: ['run', 'cancel', 'execute'], nodes: ['build', 'test'] },
 *     releaser: { workflows: ['release'], requireMFA: true, maxMfaAgeSeconds: 900 },
 *   },
 *   users: { alice: { roles: ['releaser'] } },
 * };
 * console.log(Object.keys(policy.roles)); // [ 'developer', 'releaser' ]
 * ```
 */
export interface PolicyDocument {
  /** Deny requests that no grant covers. Default false (only covered requests are restricted). */
  readonly denyByDefault?: boolean | undefined;
  /** Role name → one grant or a list of grants. */
  readonly roles: Readonly<Record<string, RoleGrant | readonly RoleGrant[]>>;
  /** Roles assigned by the policy to user ids, on top of `actor.roles`. Default none. */
  readonly users?: Readonly<Record<string, { readonly roles: readonly string[] }>> | undefined;
}

const DOC_KEYS = allKeys<PolicyDocument>()(['denyByDefault', 'roles', 'users']);
const GRANT_KEYS = allKeys<RoleGrant>()([
  'workflows',
  'nodes',
  'actions',
  'allowedUsers',
  'requireMFA',
  'maxMfaAgeSeconds',
]);
const USER_KEYS = allKeys<NonNullable<PolicyDocument['users']>[string]>()(['roles']);

const isStrings = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === 'string' && x !== '');

/** Validate a policy document (unknown keys refused with a hint); `source` names it in errors. */
export function checkPolicy(doc: unknown, source: string): PolicyDocument {
  const bad = (path: string, reason: string): never => {
    throw new PermissionsPolicyError('FL_PERMISSIONS_INVALID_POLICY', { source, path, reason });
  };
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) bad('(root)', 'expected an object with "roles"');
  const d = doc as Record<string, unknown>;
  const [u] = unknownKeys(d, DOC_KEYS);
  if (u !== undefined) bad(u.key, `unknown option; ${unknownKeyHint(u, DOC_KEYS)}`);
  if (d.denyByDefault !== undefined && typeof d.denyByDefault !== 'boolean')
    bad('denyByDefault', 'expected true or false');
  if (typeof d.roles !== 'object' || d.roles === null || Array.isArray(d.roles))
    bad('roles', 'expected an object: role name → grant');
  for (const [role, value] of Object.entries(d.roles as Record<string, unknown>)) {
    const grants = Array.isArray(value) ? value : [value];
    for (const [k, g] of grants.entries()) {
      const at = Array.isArray(value) ? `roles.${role}[${k}]` : `roles.${role}`;
      if (typeof g !== 'object' || g === null || Array.isArray(g)) bad(at, 'expected a grant object');
      const grant = g as Record<string, unknown>;
      const [gu] = unknownKeys(grant, GRANT_KEYS);
      if (gu !== undefined) bad(`${at}.${gu.key}`, `unknown option; ${unknownKeyHint(gu, GRANT_KEYS)}`);
      for (const f of ['workflows', 'nodes', 'allowedUsers'] as const)
        if (grant[f] !== undefined && !isStrings(grant[f])) bad(`${at}.${f}`, 'expected an array of non-empty strings');
      if (grant.actions !== undefined) {
        if (!Array.isArray(grant.actions)) bad(`${at}.actions`, `expected an array of ${POLICY_ACTIONS.join(', ')}`);
        for (const [n, a] of (grant.actions as unknown[]).entries())
          if (!POLICY_ACTIONS.includes(a as PolicyAction))
            bad(
              `${at}.actions[${n}]`,
              `unknown action ${JSON.stringify(a)} (expected one of ${POLICY_ACTIONS.join(', ')})`,
            );
      }
      if (grant.requireMFA !== undefined && typeof grant.requireMFA !== 'boolean')
        bad(`${at}.requireMFA`, 'expected true or false');
      const age = grant.maxMfaAgeSeconds;
      if (age !== undefined) {
        if (typeof age !== 'number' || !Number.isFinite(age) || age <= 0)
          bad(`${at}.maxMfaAgeSeconds`, 'expected a number of seconds > 0');
        if (grant.requireMFA !== true) bad(`${at}.maxMfaAgeSeconds`, 'only meaningful with requireMFA: true');
      }
    }
  }
  if (d.users !== undefined) {
    if (typeof d.users !== 'object' || d.users === null || Array.isArray(d.users))
      bad('users', 'expected an object: user id → { roles }');
    for (const [user, v] of Object.entries(d.users as Record<string, unknown>)) {
      if (typeof v !== 'object' || v === null || Array.isArray(v)) bad(`users.${user}`, 'expected { roles: [...] }');
      const [vu] = unknownKeys(v, USER_KEYS);
      if (vu !== undefined) bad(`users.${user}.${vu.key}`, `unknown option; ${unknownKeyHint(vu, USER_KEYS)}`);
      if (!isStrings((v as { roles?: unknown }).roles)) bad(`users.${user}.roles`, 'expected an array of role names');
      for (const r of (v as { roles: string[] }).roles)
        if (!Object.hasOwn(d.roles as object, r)) bad(`users.${user}.roles`, `role "${r}" is not defined in roles`);
    }
  }
  return doc as PolicyDocument;
}

/** Read and validate a JSON policy file. */
export function loadPolicyFile(path: string): PolicyDocument {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new PermissionsPolicyError('FL_PERMISSIONS_INVALID_POLICY', {
      source: path,
      path: '(file)',
      reason: `cannot be read (${(e as NodeJS.ErrnoException).code ?? 'error'})`,
    });
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new PermissionsPolicyError('FL_PERMISSIONS_INVALID_POLICY', {
      source: path,
      path: '(file)',
      reason: `not valid JSON: ${(e as Error).message}`,
    });
  }
  return checkPolicy(doc, path);
}
