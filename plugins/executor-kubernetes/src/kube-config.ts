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
    const yaml = yamlProblem(error);
    // A YAML error's message quotes the lines around the problem, which may hold a token, a password or a key: keep
    // only where it is (as kubectl does), and do not chain the original error either.
    throw new KubernetesExecutorError(
      'FL_K8S_CONFIG_INVALID',
      { reason: yaml ?? (error instanceof Error ? error.message : String(error)) },
      yaml === undefined ? { cause: error } : {},
    );
  }
  if (kc.getCurrentCluster() === null)
    throw new KubernetesExecutorError('FL_K8S_CONFIG_INVALID', { reason: 'the current context names no cluster' });
  return kc;
}

/** `reason at line L, column C` for a js-yaml error (whose message embeds a snippet of the document), else undefined. */
function yamlProblem(error: unknown): string | undefined {
  const e = error as { name?: unknown; reason?: unknown; mark?: { line?: unknown; column?: unknown } } | null;
  if (e === null || typeof e !== 'object' || e.name !== 'YAMLException') return undefined;
  const reason = typeof e.reason === 'string' && e.reason !== '' ? e.reason : 'invalid YAML';
  const { line, column } = e.mark ?? {};
  return typeof line === 'number' && typeof column === 'number'
    ? `invalid YAML: ${reason} at line ${line + 1}, column ${column + 1}`
    : `invalid YAML: ${reason}`;
}
