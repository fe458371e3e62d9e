import { describe, expect, it } from 'vitest';
import { isKubernetesExecutorError } from './errors.js';
import { createKubernetesExecutor } from './kubernetes-executor.js';
import { kubernetesExecutor } from './kubernetes-executor-plugin.js';

const thrown = (f: () => unknown): unknown => {
  try {
    f();
  } catch (e) {
    return e;
  }
  return undefined;
};

describe('unknown option keys', () => {
  it('the plugin and createKubernetesExecutor reject misspelt keys at every level, naming the closest known key', () => {
    const e = thrown(() => kubernetesExecutor({ namespce: 'ci' } as never));
    expect(isKubernetesExecutorError(e, 'FL_K8S_INVALID_OPTION')).toBe(true);
    expect((e as Error).message).toBe(
      'Kubernetes executor: invalid namespce: unknown option; did you mean "namespace"?',
    );
    const cases: [unknown, { target?: string; option: string }][] = [
      [{ kubeConfig: { from: 'file', path: '/k', contxt: 'x' } }, { option: 'kubeConfig.contxt' }],
      [{ kubeConfig: { from: 'kubeconfig' } }, { option: 'kubeConfig.from' }],
      [
        {
          kubeConfig: {
            from: 'options',
            clusters: [{ name: 'c', server: 'https://k', insecure: true }],
            users: [],
            contexts: [],
            currentContext: 'c',
          },
        },
        { option: 'kubeConfig.clusters[0].insecure' },
      ],
      [{ targets: { app: { pod: 'web', labelSelecter: 'app=web' } } }, { target: 'app', option: 'labelSelecter' }],
      [{ targets: { app: { kind: 'pod', image: 'alpine' } } }, { target: 'app', option: 'image' }],
      [{ targets: { ci: { kind: 'job', image: 'alpine', workdir: '/src' } } }, { target: 'ci', option: 'workdir' }],
      [
        { targets: { ci: { kind: 'job', image: 'a', resources: { limit: {} } } } },
        { target: 'ci', option: 'resources.limit' },
      ],
      [{ targets: { ci: { kind: 'deployment' } } }, { target: 'ci', option: 'kind' }],
    ];
    for (const [options, details] of cases)
      expect(
        thrown(() => createKubernetesExecutor(options as never)),
        details.option,
      ).toMatchObject({
        code: 'FL_K8S_INVALID_OPTION',
        details,
      });
    expect(
      thrown(() =>
        kubernetesExecutor({
          name: 'k8s',
          kubeConfig: { from: 'yaml', yaml: 'x' },
          targets: { ci: { kind: 'job', image: 'a', resources: { limits: { cpu: '1' } } } },
        }),
      ),
    ).toBeUndefined();
  });
});
