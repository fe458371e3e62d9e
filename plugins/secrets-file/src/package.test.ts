import { randomBytes } from 'node:crypto';
import { packageConformance } from '@flowlane/testing';
import { SecretsFileErrorCodes, secretsFile } from './index.js';
import { CORE_RANGE, PKG_VERSION } from './version.js';

// Version, plugin identity, README error table (every code documented, no stale rows), options and sections.
packageConformance('@flowlane/secrets-file', {
  dir: new URL('..', import.meta.url),
  version: PKG_VERSION,
  coreRange: CORE_RANGE,
  plugin: () => secretsFile({ path: 'x', key: randomBytes(32) }),
  errorCodes: SecretsFileErrorCodes,
  options: [
    'path',
    'key',
    'keyFile',
    'keyEnv',
    'passphrase',
    'passphraseEnv',
    'previousKeys',
    'cacheTtlMs',
    'name',
    'clock',
    'create',
    'env',
  ],
});
