import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type FakeExecRecord, startDocker, startFakeKubeApi, startSshd } from '@flowlane/testing';
import Docker from 'dockerode';
import type { PipelineSettings } from './pipeline.js';

/** What a run may have left behind; all zero after a clean run. */
export interface Leftovers {
  /** Containers on the private Docker daemon (running or not). */
  readonly containers: number;
  /** Commands still running behind the fake Kubernetes API server. */
  readonly podProcesses: number;
  /** Artifact staging directories under `artifactsDir`. */
  readonly stagingDirs: number;
}

/** The four environments on this machine. */
export interface Environments extends AsyncDisposable {
  readonly settings: PipelineSettings;
  /** Pass to `createEngine({ artifactsDir })` so that `leftovers()` can see the runs' staging directories. */
  readonly artifactsDir: string;
  /** The private directory everything local lives in (removed by `dispose()`). */
  readonly dir: string;
  leftovers(): Promise<Leftovers>;
  /** Every command run through the fake Kubernetes API server's pod exec, in order. */
  readonly podExecs: readonly FakeExecRecord[];
  /** Stops every service and removes every temporary directory. Idempotent. */
  dispose(): Promise<void>;
}

/**
 * Starts real services for the pipeline on 127.0.0.1 with `@flowlane/testing`: a private `dockerd` (image
 * `flowlane-test/busybox`), an OpenSSH server (host key pinned through its known_hosts file) and a fake Kubernetes API
 * server with one ready pod `web-0` (`app=web`) whose exec'd commands run on this host. Needs root and the packages
 * of `scripts/setup-test-services.sh`.
 */
export async function startEnvironments(): Promise<Environments> {
  const dir = await mkdtemp(join(tmpdir(), 'flowlane-multi-env-'));
  const cleanups: (() => Promise<unknown>)[] = [() => rm(dir, { recursive: true, force: true })];
  let disposed: Promise<void> | undefined;
  const dispose = (): Promise<void> =>
    (disposed ??= (async () => {
      const errors: unknown[] = [];
      for (const c of cleanups.splice(0).reverse()) await c().catch((e: unknown) => errors.push(e));
      if (errors.length > 0) throw new AggregateError(errors, 'could not dispose every environment');
    })());
  try {
    const artifactsDir = join(dir, 'staging');
    await mkdir(artifactsDir);
    const docker = await startDocker();
    cleanups.push(() => docker.dispose());
    const sshd = await startSshd();
    cleanups.push(() => sshd.dispose());
    const kube = await startFakeKubeApi({ pods: [{ name: 'web-0', labels: { app: 'web' } }] });
    cleanups.push(() => kube.dispose());
    const client = new Docker({ socketPath: docker.socketPath });
    return {
      dir,
      artifactsDir,
      settings: {
        workDir: join(dir, 'build'),
        docker: { socketPath: docker.socketPath, image: docker.image, volume: 'flowlane-release-artifacts' },
        ssh: {
          host: sshd.host,
          port: sshd.port,
          username: sshd.username,
          privateKeyPath: sshd.privateKeyPath,
          knownHosts: sshd.knownHostsPath,
        },
        deployRoot: join(dir, 'srv', 'app'),
        kubernetes: { kubeconfigPath: kube.kubeconfigPath, labelSelector: 'app=web' },
      },
      async leftovers() {
        return {
          containers: (await client.listContainers({ all: true })).length,
          podProcesses: kube.processes.size,
          stagingDirs: (await readdir(artifactsDir)).length,
        };
      },
      get podExecs() {
        return kube.execLog;
      },
      dispose,
      [Symbol.asyncDispose]: dispose,
    };
  } catch (e) {
    await dispose().catch(() => undefined);
    throw e;
  }
}
