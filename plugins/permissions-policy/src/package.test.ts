import { packageConformance } from '@flowlane/testing';
import { PermissionsPolicyErrorCodes, permissionsPolicy } from './index.js';
import { CORE_RANGE, PKG_VERSION } from './version.js';

// Version, plugin identity, README error table (every code documented, no stale rows), options and sections.
packageConformance('@flowlane/permissions-policy', {
  dir: new URL('..', import.meta.url),
  version: PKG_VERSION,
  coreRange: CORE_RANGE,
  plugin: () => permissionsPolicy({ policy: { roles: {} } }),
  errorCodes: PermissionsPolicyErrorCodes,
  options: ['policy', 'audit', 'now'],
});
