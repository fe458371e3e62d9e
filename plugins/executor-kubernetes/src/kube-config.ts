/* Internal: KubeConfigSource → KubeConfig. */
import { KubeConfig } from '@kubernetes/client-node';
import { KubernetesExecutorError } from './errors.js';
import type { KubeConfigSource } from './options.js';

/** Loads the kubeconfig; `FL_K8S_CONFIG_INVALID` when it cannot be read or names no cluster. */
export function loadKubeConfig(source: KubeConfigSource = { from: 'default' }): KubeConfig {
  const kc = new KubeConfig();
  try {
    switch (source.from) {
      case 'default':
        kc.loadFromDefault();
        break;
      case 'in-cluster':
        kc.loadFromCluster();
        break;
      case 'file':
        kc.loadFromFile(source.path);
        if (source.context !== undefined) kc.setCurrentContext(source.context);
        break;
      case 'yaml':
        kc.loadFromString(source.yaml);
        if (source.context !== undefined) kc.setCurrentContext(source.context);
        break;
      case 'options':
        kc.loadFromOptions({
          clusters: source.clusters.map((c) => ({ ...c, skipTLSVerify: c.skipTLSVerify ?? false })),
          users: source.users.map((u) => ({ ...u })),
          contexts: source.contexts.map((c) => ({ ...c })),
          currentContext: source.currentContext,
        });
        break;
    }
  } catch (error) {
    throw new KubernetesExecutorError(
      'FL_K8S_CONFIG_INVALID',
      { reason: error instanceof Error ? error.message : String(error) },
      { cause: error },
    );
  }
  if (kc.getCurrentCluster() === null)
    throw new KubernetesExecutorError('FL_K8S_CONFIG_INVALID', { reason: 'the current context names no cluster' });
  return kc;
}
