import { allKeys, unknownKeyHint, unknownKeys } from '@flowlane/core';
import { KubernetesExecutorError } from './errors.js';
import type {
  JobTarget,
  KubeClusterOptions,
  KubeConfigSource,
  KubeContextOptions,
  KubernetesExecutorOptions,
  KubeUserOptions,
  PodTarget,
  ResourceRequirements,
} from './options.js';

type Source<F> = Extract<KubeConfigSource, { readonly from: F }>;

/** Keys of `createKubernetesExecutor` options. */
export const EXECUTOR_KEYS: readonly string[] = allKeys<KubernetesExecutorOptions>()([
  'kubeConfig',
  'namespace',
  'targets',
  'defaultTarget',
  'killable',
  'maxOutputBytes',
  'pollIntervalMs',
]);
const KUBECONFIG_KEYS: Readonly<Record<string, readonly string[]>> = {
  default: allKeys<Source<'default'>>()(['from']),
  'in-cluster': allKeys<Source<'in-cluster'>>()(['from']),
  file: allKeys<Source<'file'>>()(['from', 'path', 'context']),
  yaml: allKeys<Source<'yaml'>>()(['from', 'yaml', 'context']),
  options: allKeys<Source<'options'>>()(['from', 'clusters', 'users', 'contexts', 'currentContext']),
};
const LIST_KEYS = {
  clusters: allKeys<KubeClusterOptions>()(['name', 'server', 'caData', 'skipTLSVerify']),
  users: allKeys<KubeUserOptions>()(['name', 'token', 'certData', 'keyData']),
  contexts: allKeys<KubeContextOptions>()(['name', 'cluster', 'user', 'namespace']),
} as const;
const POD_KEYS = allKeys<PodTarget>()(['kind', 'namespace', 'pod', 'labelSelector', 'container']);
const JOB_KEYS = allKeys<JobTarget>()([
  'kind',
  'image',
  'namespace',
  'imagePullPolicy',
  'env',
  'workingDir',
  'resources',
  'serviceAccountName',
  'labels',
  'annotations',
  'namePrefix',
  'keep',
  'ttlSecondsAfterFinished',
  'activeDeadlineSeconds',
  'logStreams',
]);
const RESOURCE_KEYS = allKeys<ResourceRequirements>()(['requests', 'limits']);

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Throws `FL_K8S_INVALID_OPTION` for the first unknown key of the executor's options, its `kubeConfig` (per `from`)
 * or one of its targets (per `kind`), naming the closest known key (`labelSelecter` → `labelSelector`).
 */
export function rejectUnknownKeys(options: unknown, known: readonly string[] = EXECUTOR_KEYS): void {
  const fail = (option: string, reason: string, target?: string): never => {
    throw new KubernetesExecutorError('FL_K8S_INVALID_OPTION', {
      ...(target === undefined ? {} : { target }),
      option,
      reason,
    });
  };
  const reject = (value: unknown, keys: readonly string[], prefix: string, target?: string): void => {
    const [u] = unknownKeys(value, keys);
    if (u !== undefined) fail(`${prefix}${u.key}`, `unknown option; ${unknownKeyHint(u, keys)}`, target);
  };
  reject(options, known, '');
  if (!isRecord(options)) return;
  const kc = options.kubeConfig;
  if (isRecord(kc)) {
    const keys = KUBECONFIG_KEYS[String(kc.from)];
    if (keys === undefined)
      fail('kubeConfig.from', `expected one of ${Object.keys(KUBECONFIG_KEYS).join(', ')}, got ${String(kc.from)}`);
    else reject(kc, keys, 'kubeConfig.');
    if (kc.from === 'options')
      for (const [list, listKeys] of Object.entries(LIST_KEYS))
        if (Array.isArray(kc[list]))
          for (const [i, entry] of (kc[list] as unknown[]).entries())
            reject(entry, listKeys, `kubeConfig.${list}[${i}].`);
  }
  if (!isRecord(options.targets)) return;
  for (const [name, t] of Object.entries(options.targets)) {
    if (!isRecord(t)) continue;
    if (t.kind !== undefined && t.kind !== 'pod' && t.kind !== 'job')
      fail('kind', `expected 'pod' (the default) or 'job', got ${String(t.kind)}`, name);
    reject(t, t.kind === 'job' ? JOB_KEYS : POD_KEYS, '', name);
    if (t.kind === 'job') reject(t.resources, RESOURCE_KEYS, 'resources.', name);
  }
}
