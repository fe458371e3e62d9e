import { packageConformance } from '@flowlane/testing';
import { KubernetesSecretsErrorCodes, kubernetesSecrets } from './index.js';
import { CORE_RANGE, PKG_VERSION } from './version.js';

// Version, plugin identity, README error table (every code documented, no stale rows), options and sections.
packageConformance('@flowlane/secrets-kubernetes', {
  dir: new URL('..', import.meta.url),
  version: PKG_VERSION,
  coreRange: CORE_RANGE,
  plugin: () => kubernetesSecrets(),
  errorCodes: KubernetesSecretsErrorCodes,
  options: ['kubeConfig', 'namespace', 'allowedNamespaces', 'secrets', 'name'],
});
