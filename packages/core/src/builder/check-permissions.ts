/** One problem with a node's `permissions` option. */
export interface PermissionProblem {
  readonly option: string;
  readonly reason: string;
}

/**
 * What is wrong with a node's `permissions` (checked by `build()`): `requiredRoles` and `allowedUsers` must be
 * arrays of non-empty strings — a string would be matched character by character — and `requireMFA` a boolean.
 *
 * @example
 * ```ts fragment
 * permissionProblems({ requiredRoles: 'admin' }); // [{ option: 'permissions.requiredRoles', reason: '…' }]
 * ```
 */
export function permissionProblems(p: unknown): PermissionProblem[] {
  if (typeof p !== 'object' || p === null || Array.isArray(p))
    return [{ option: 'permissions', reason: 'expected { requiredRoles?, allowedUsers?, requireMFA? }' }];
  const out: PermissionProblem[] = [];
  const { requiredRoles, allowedUsers, requireMFA } = p as Record<string, unknown>;
  for (const [name, list] of [
    ['requiredRoles', requiredRoles],
    ['allowedUsers', allowedUsers],
  ] as const)
    if (list !== undefined && (!Array.isArray(list) || list.some((x) => typeof x !== 'string' || x === '')))
      out.push({
        option: `permissions.${name}`,
        reason: `expected an array of non-empty strings (exact ${name === 'requiredRoles' ? 'role names' : 'user ids'}), got ${Array.isArray(list) ? 'an array with a non-string or empty entry' : typeof list === 'string' ? `the string ${JSON.stringify(list)}: wrap it in [ ]` : typeof list}`,
      });
  if (requireMFA !== undefined && typeof requireMFA !== 'boolean')
    out.push({ option: 'permissions.requireMFA', reason: `expected true or false, got ${typeof requireMFA}` });
  return out;
}
