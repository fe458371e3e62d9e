/* Internal: a command's target → one running pod and container. */
import type { CoreV1Api, V1Pod } from '@kubernetes/client-node';
import { httpStatusOf, toKubernetesError } from './api-errors.js';
import { KubernetesExecutorError } from './errors.js';
import type { PodTarget } from './options.js';

/** A resolved exec destination. */
export interface PodRef {
  readonly namespace: string;
  readonly pod: string;
  readonly container: string;
}

const DEFAULT_CONTAINER = 'kubectl.kubernetes.io/default-container';

/** Reads `[namespace/]pod[:container]`. */
export function parseTarget(text: string): PodTarget {
  const slash = text.indexOf('/');
  const namespace = slash === -1 ? undefined : text.slice(0, slash);
  const rest = slash === -1 ? text : text.slice(slash + 1);
  const colon = rest.indexOf(':');
  return {
    ...(namespace === undefined ? {} : { namespace }),
    pod: colon === -1 ? rest : rest.slice(0, colon),
    ...(colon === -1 ? {} : { container: rest.slice(colon + 1) }),
  };
}

const isReady = (p: V1Pod) =>
  p.status?.phase === 'Running' && (p.status.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');

/** Finds the pod (by name or selector), checks it runs and has the container; typed errors otherwise. */
export async function resolvePod(
  api: CoreV1Api,
  target: PodTarget,
  namespace: string,
  server: string,
): Promise<PodRef> {
  const ns = target.namespace ?? namespace;
  let pod: V1Pod;
  if (target.pod !== undefined) {
    try {
      pod = await api.readNamespacedPod({ name: target.pod, namespace: ns });
    } catch (error) {
      if (httpStatusOf(error) === 404)
        throw new KubernetesExecutorError('FL_K8S_POD_NOT_FOUND', { namespace: ns, pod: target.pod }, { cause: error });
      throw toKubernetesError('get pod', error, server);
    }
  } else if (target.labelSelector !== undefined) {
    let items: V1Pod[];
    try {
      items = (await api.listNamespacedPod({ namespace: ns, labelSelector: target.labelSelector })).items;
    } catch (error) {
      throw toKubernetesError('list pods', error, server);
    }
    const ready = items.filter(isReady).sort((a, b) => (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? ''));
    if (ready[0] === undefined)
      throw new KubernetesExecutorError('FL_K8S_NO_READY_POD', { namespace: ns, labelSelector: target.labelSelector });
    pod = ready[0];
  } else {
    throw new KubernetesExecutorError('FL_K8S_POD_NOT_FOUND', { namespace: ns, pod: '(no pod or labelSelector)' });
  }
  const name = pod.metadata?.name ?? target.pod ?? '?';
  const phase = pod.status?.phase ?? 'Unknown';
  if (phase !== 'Running')
    throw new KubernetesExecutorError('FL_K8S_POD_NOT_RUNNING', { namespace: ns, pod: name, phase });
  const available = (pod.spec?.containers ?? []).map((c) => c.name);
  const container = target.container ?? pod.metadata?.annotations?.[DEFAULT_CONTAINER] ?? available[0];
  if (container === undefined || !available.includes(container))
    throw new KubernetesExecutorError('FL_K8S_CONTAINER_NOT_FOUND', {
      namespace: ns,
      pod: name,
      container: container ?? '(none)',
      available,
    });
  return { namespace: ns, pod: name, container };
}
