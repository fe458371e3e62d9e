import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { workflow } from '@flowlane/core';

/** Where each environment lives (filled by `startEnvironments()` in tests and `main.ts`). */
export interface PipelineSettings {
  /** Local working directory for the build. */
  readonly workDir: string;
  /** Directory on the SSH host the release is deployed to. */
  readonly deployDir: string;
}

/** The run input: the version to release, and a switch that makes verification fail (to show the rollback). */
export interface ReleaseInput {
  readonly version: string;
  readonly breakVerify?: boolean | undefined;
}

/**
 * Seed 001's multi-environment release: build (local) → test (Docker container `ci`) → deploy (SSH host `web1`) →
 * verify (Kubernetes pod `web-0`). The `dist` directory travels as an artifact from the build to the test container
 * and to the SSH host; deploy has a health check and a rollback that removes what it deployed.
 */
export function releasePipeline(s: PipelineSettings) {
  const dist = join(s.workDir, 'dist');
  const deployed = join(s.deployDir, 'dist');
  return workflow('multi-environment-release')
    .input<ReleaseInput>()
    .addNode(
      'build',
      async (ctx) => {
        await mkdir(dist, { recursive: true });
        await writeFile(join(dist, 'index.html'), `<h1>release ${ctx.input.version}</h1>\n`);
        await writeFile(join(dist, 'VERSION'), ctx.input.version);
        return ctx.input.version;
      },
      { artifacts: { out: [{ from: dist, name: 'dist' }] } },
    )
    .addNode(
      'test',
      async (ctx) => {
        const r = await ctx.exec('sh', { args: ['-c', 'test -s /srv/dist/index.html && cat /srv/dist/VERSION'] });
        if (r.stdout !== ctx.results.build)
          throw new Error(`test saw version "${r.stdout}", expected "${ctx.results.build}"`);
        return 'passed';
      },
      {
        dependsOn: ['build'],
        executor: { name: 'docker', target: 'ci' },
        artifacts: { in: [{ name: 'dist', to: '/srv/dist' }] },
        timeout: 30_000,
      },
    )
    .addNode('deploy', async (ctx) => (await ctx.exec('cat', { args: [join(deployed, 'VERSION')] })).stdout, {
      dependsOn: ['test'],
      executor: { name: 'ssh', target: 'web1' },
      artifacts: { in: [{ name: 'dist', to: deployed }] },
      healthCheck: { command: `test -s '${deployed}/index.html'`, retries: 3, interval: 100 },
      rollback: { command: 'rm', args: ['-rf', deployed] },
      timeout: 30_000,
    })
    .addNode(
      'verify',
      async (ctx) => {
        const r = await ctx.exec('cat', { args: [join(deployed, 'VERSION')] });
        if (ctx.input.breakVerify === true || r.stdout !== ctx.input.version)
          throw new Error(`verification failed: pod sees version "${r.stdout}"`);
        return `serving ${r.stdout}`;
      },
      { dependsOn: ['deploy'], executor: { name: 'kubernetes', target: 'web-0' }, timeout: 30_000 },
    )
    .build();
}
