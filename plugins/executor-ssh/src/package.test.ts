import { packageConformance } from '@flowlane/testing';
import { SshErrorCodes } from './errors.js';
import { sshExecutor } from './ssh-executor-plugin.js';
import { CORE_RANGE, PKG_VERSION } from './version.js';

// Version, plugin identity, README error table (every code documented, no stale rows) and README sections.
packageConformance('@flowlane/executor-ssh', {
  dir: new URL('..', import.meta.url),
  version: PKG_VERSION,
  coreRange: CORE_RANGE,
  plugin: () => sshExecutor({ hosts: {} }),
  errorCodes: SshErrorCodes,
});
