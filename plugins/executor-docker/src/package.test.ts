import { packageConformance } from '@flowlane/testing';
import { dockerExecutor } from './docker-executor-plugin.js';
import { DockerErrorCodes } from './errors.js';
import { CORE_RANGE, PKG_VERSION } from './version.js';

// Version, plugin identity, README error table (every code documented, no stale rows) and README sections.
packageConformance('@flowlane/executor-docker', {
  dir: new URL('..', import.meta.url),
  version: PKG_VERSION,
  coreRange: CORE_RANGE,
  plugin: () => dockerExecutor(),
  errorCodes: DockerErrorCodes,
});
