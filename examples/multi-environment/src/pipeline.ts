import { type FlowlanePlugin, type Workflow, workflow } from '@flowlane/core';
import { dockerExecutor } from '@flowlane/executor-docker';
import { kubernetesExecutor } from '@flowlane/executor-kubernetes';
import { type SshHostOptions, sshExecutor } from '@flowlane/executor-ssh';
import { BUILD, DEPLOY, HEALTH_CHECK, ROLLBACK, TEST, VERIFY } from './scripts.js';

/** Where the four environments are and how to reach them (`startEnvironments()` fills this in on this machine). */
export interface PipelineSettings {
  /** Local directory the build runs in; its `dist/` is the artifact. */
  readonly workDir: string;
  /** The Docker daemon and the image the tests run in (one fresh container per command, no network). */
  readonly docker: {
    readonly socketPath: string;
    readonly image: string;
    /** Named volume mounted at `/artifacts`: the artifact is copied into it before the test container starts. */
    readonly volume: string;
  };
  /** The SSH host the release is deployed to (host key verified), and the directory it is deployed under. */
  readonly ssh: SshHostOptions;
  readonly deployRoot: string;
  /** A kubeconfig file and the label selector of the pods that verify the deployment. */
  readonly kubernetes: { readonly kubeconfigPath: string; readonly labelSelector: string };
}

/** The run input: the version to release, and a switch that makes the smoke test in `verify` fail. */
export interface ReleaseInput {
  readonly version: string;
  readonly failVerify?: boolean | undefined;
}

/** What each node outputs. */
export interface ReleaseOutputs {
  readonly build: { readonly version: string; readonly sha256: string };
  readonly test: { readonly files: number; readonly sha256: string };
  readonly deploy: { readonly current: string; readonly previous: string | undefined };
  readonly verify: { readonly version: string; readonly sha256: string };
}

/** The built workflow and the executor plugins it needs, ready for `createEngine({ plugins })`. */
export interface ReleasePipeline {
  readonly workflow: Workflow<ReleaseInput, ReleaseOutputs>;
  readonly plugins: readonly FlowlanePlugin[];
}

const lines = (stdout: string): string[] => stdout.trim().split('\n');

/**
 * Seed 001's multi-environment release as one workflow: **build** locally → **test** in a Docker container →
 * **deploy** over SSH → **verify** through a Kubernetes pod exec. The build's `dist/` travels as the artifact `dist`
 * through the run's staging area to the test container and to the SSH host. `deploy` switches a `current` symlink
 * to the new release, is health-checked, and rolls back to the previous release (or removes itself) when a later
 * node fails the run.
 *
 * @example
 * ```ts
 * import { createEngine } from '@flowlane/core';
 * import { createReleasePipeline, startEnvironments } from '@flowlane/example-multi-environment';
 *
 * await using env = await startEnvironments();
 * const { workflow, plugins } = createReleasePipeline(env.settings);
 * const engine = createEngine({ plugins });
 * console.log((await engine.execute(workflow, { version: '1.0.0' })).verify); // { version: '1.0.0', sha256: '…' }
 * await engine.close();
 * ```
 */
export function createReleasePipeline(s: PipelineSettings): ReleasePipeline {
  const plugins = [
    dockerExecutor({
      connection: { socketPath: s.docker.socketPath },
      pullPolicy: 'never',
      targets: {
        ci: {
          mode: 'run',
          image: s.docker.image,
          network: 'none',
          mounts: [{ type: 'volume', source: s.docker.volume, target: '/artifacts' }],
          resources: { memoryBytes: 64 * 2 ** 20, pidsLimit: 64 },
        },
      },
    }),
    sshExecutor({ hosts: { web1: s.ssh } }),
    kubernetesExecutor({
      kubeConfig: { from: 'file', path: s.kubernetes.kubeconfigPath },
      targets: { web: { labelSelector: s.kubernetes.labelSelector } },
    }),
  ];
  const root = s.deployRoot;

  const wf = workflow('multi-environment-release', { description: 'build → test → deploy → verify (seed 001)' })
    .input<ReleaseInput>()
    .addNode(
      'build',
      async (ctx) => {
        const { stdout } = await ctx.exec('sh', { args: ['-c', BUILD, 'build', s.workDir, ctx.input.version] });
        return { version: ctx.input.version, sha256: stdout.trim() };
      },
      { timeout: 30_000, artifacts: { out: [{ from: `${s.workDir}/dist`, name: 'dist' }] } },
    )
    .addNode(
      'test',
      async (ctx) => {
        const { stdout } = await ctx.exec('sh', { args: ['-c', TEST, 'test', ctx.results.build.version] });
        const [files = '', sha256 = ''] = lines(stdout);
        if (sha256 !== ctx.results.build.sha256)
          throw new Error(`test saw index.html ${sha256}, built ${ctx.results.build.sha256}`);
        return { files: Number(files), sha256 };
      },
      {
        dependsOn: ['build'],
        executor: { name: 'docker', target: 'ci' },
        artifacts: { in: [{ name: 'dist', to: '/artifacts/dist' }] },
        timeout: 30_000,
      },
    )
    .addNode(
      'deploy',
      async (ctx) => {
        const { stdout } = await ctx.exec('sh', { args: ['-c', DEPLOY, 'deploy', root, ctx.input.version] });
        const [current = '', previous = ''] = lines(stdout);
        ctx.log.info(`current → ${current}`, previous === '' ? undefined : { previous });
        return { current, previous: previous === '' ? undefined : previous };
      },
      {
        dependsOn: ['test'],
        executor: { name: 'ssh', target: 'web1' },
        artifacts: { in: [{ name: 'dist', to: `${root}/incoming` }] },
        healthCheck: { command: 'sh', args: ['-c', HEALTH_CHECK, 'health', root], retries: 5, interval: 200 },
        rollback: { command: 'sh', args: ['-c', ROLLBACK, 'rollback', root] },
        timeout: 30_000,
      },
    )
    .addNode(
      'verify',
      async (ctx) => {
        const { stdout } = await ctx.exec('sh', {
          args: ['-c', VERIFY, 'verify', root, ctx.input.version],
          env: { FAIL_SMOKE_TEST: ctx.input.failVerify === true ? '1' : '0' },
        });
        const sha256 = stdout.trim();
        if (sha256 !== ctx.results.build.sha256)
          throw new Error(`pod sees index.html ${sha256}, built ${ctx.results.build.sha256}`);
        return { version: ctx.input.version, sha256 };
      },
      { dependsOn: ['deploy', 'build'], executor: { name: 'kubernetes', target: 'web' }, timeout: 30_000 },
    )
    .build();
  return { workflow: wf, plugins };
}
