/* Plugin */

/* Errors */
export type { PermissionsPolicyErrorCode } from './errors.js';
export { PermissionsPolicyError, PermissionsPolicyErrorCodes } from './errors.js';
export type { PermissionsPolicyOptions } from './permissions-policy-plugin.js';
export { permissionsPolicy } from './permissions-policy-plugin.js';
/* Policy */
export type { PermissionDecision, PermissionRequest, PolicyEvaluator } from './policy.js';
export { createPolicyEvaluator } from './policy.js';
export type { PolicyAction, PolicyDocument, RoleGrant } from './policy-document.js';
export { checkPolicy, loadPolicyFile, POLICY_ACTIONS } from './policy-document.js';
export { CORE_RANGE, PKG_VERSION } from './version.js';
