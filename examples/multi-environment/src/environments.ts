import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEngine, type Engine } from '@flowlane/core';
import { dockerExecutor } from '@flowlane/executor-docker';
import { kubernetesExecutor } from '@flowlane/executor-kubernetes';
import { sshExecutor } from '@flowlane/executor-ssh';
import { startDocker, startFakeKubeApi, startSshd } from '@flowlane/testing';
import Docker from 'dockerode';
import type { PipelineSettings } from './pipeline.js';

/** Real local services for the four environments, and an engine wired to them. */
export interface Environments {
  readonly engine: Engine;
  readonly settings: PipelineSettings;
  /** Containers left on the private Docker daemon (for leak checks). */
  containers(): Promise<number>;
  dispose(): Promise<void>;
}

/**
 * Starts a private dockerd (with a long-running `ci` container), an OpenSSH server (`web1`) and a fake Kubernetes
 * API server (pod `web-0`, whose commands run on this host), all on 127.0.0.1 with private temp dirs.
 */
export async function startEnvironments(): Promise<Environments> {
  const base = await mkdtemp(join(tmpdir(), 'flowlane-multi-env-'));
  const cleanups: (() => Promise<unknown>)[] = [() => rm(base, { recursive: true, force: true })];
  const dispose = async (): Promise<void> => {
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
  };
  try {
    const docker = await startDocker();
    cleanups.push(() => docker.dispose());
    const client = new Docker({ socketPath: docker.socketPath });
    const ci = await client.createContainer({
      name: 'ci',
      Image: docker.image,
      Cmd: ['sleep', '3600'],
      HostConfig: { NetworkMode: 'none' },
    });
    await ci.start();
    const sshd = await startSshd();
    cleanups.push(() => sshd.dispose());
    const kube = await startFakeKubeApi({ pods: [{ name: 'web-0', labels: { app: 'web' } }] });
    cleanups.push(() => kube.dispose());
    const engine = createEngine({
      artifactsDir: base,
      plugins: [
        dockerExecutor({ connection: { socketPath: docker.socketPath } }),
        sshExecutor({
          hosts: {
            web1: {
              host: sshd.host,
              port: sshd.port,
              username: sshd.username,
              privateKey: sshd.privateKey,
              knownHosts: sshd.knownHostsPath,
            },
          },
        }),
        kubernetesExecutor({ kubeConfig: { from: 'file', path: kube.kubeconfigPath } }),
      ],
    });
    cleanups.push(() => engine.close());
    await engine.ready();
    return {
      engine,
      settings: { workDir: join(base, 'work'), deployDir: join(base, 'srv') },
      containers: async () => (await client.listContainers({ all: true })).length,
      dispose,
    };
  } catch (e) {
    await dispose();
    throw e;
  }
}
