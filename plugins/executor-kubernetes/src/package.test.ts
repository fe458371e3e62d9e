import { packageConformance } from '@flowlane/testing';
import { KubernetesErrorCodes } from './errors.js';
import { kubernetesExecutor } from './kubernetes-executor-plugin.js';
import { CORE_RANGE, PKG_VERSION } from './version.js';

// Version, plugin identity, README error table (every code documented, no stale rows) and README sections.
packageConformance('@flowlane/executor-kubernetes', {
  dir: new URL('..', import.meta.url),
  version: PKG_VERSION,
  coreRange: CORE_RANGE,
  plugin: () => kubernetesExecutor(),
  errorCodes: KubernetesErrorCodes,
});
