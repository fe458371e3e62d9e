import { packageConformance } from '@flowlane/testing';
import { AuditFileErrorCodes, auditFile } from './index.js';
import { CORE_RANGE, PKG_VERSION } from './version.js';

// Version, plugin identity, README error table (every code documented, no stale rows), options and sections.
packageConformance('@flowlane/audit-file', {
  dir: new URL('..', import.meta.url),
  version: PKG_VERSION,
  coreRange: CORE_RANGE,
  plugin: () => auditFile({ path: 'audit.jsonl' }),
  errorCodes: AuditFileErrorCodes,
  options: ['path', 'hmacKey', 'fsync', 'fsyncIntervalMs', 'rotate', 'redactKeys'],
});
