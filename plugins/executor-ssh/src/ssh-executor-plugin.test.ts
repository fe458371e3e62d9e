import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createEngine,
  type Executor,
  type FlowEvent,
  type FlowlanePlugin,
  type Logger,
  type Scheduler,
  workflow,
} from '@flowlane/core';
import { type SshdService, startSshd } from '@flowlane/testing';
import { lastValueFrom, toArray } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SshExecutor } from './ssh-executor.js';
import { sshExecutor } from './ssh-executor-plugin.js';
import { hostOf } from './ssh-test.test-helper.js';

let sshd: SshdService;
let dir: string;

beforeAll(async () => {
  sshd = await startSshd();
  dir = await mkdtemp(join(tmpdir(), 'flowlane-ssh-e2e-'));
}, 30_000);
afterAll(async () => {
  await sshd?.dispose();
  if (dir) await rm(dir, { recursive: true, force: true });
}, 30_000);

/** A plugin that hands the registered executor to the test (for artifact copies and pool counters). */
const grab = (name: string, into: (e: Executor) => void): FlowlanePlugin => ({
  name: `grab-${name}`,
  version: '1.0.0',
  flowlane: '^0.1.0',
  setup: (api) => into(api.executors.get(name)!),
});

describe('sshExecutor plugin', () => {
  it('runs workflow nodes over SSH: ctx.exec with hostile args, artifacts, health check, pooled connection', async () => {
    let ssh!: SshExecutor;
    const engine = createEngine({
      plugins: [sshExecutor({ hosts: { web1: hostOf(sshd) } }), grab('ssh', (e) => (ssh = e as SshExecutor))],
    });
    const build = join(dir, 'build');
    await mkdir(join(build, 'assets'), { recursive: true });
    await writeFile(join(build, 'VERSION'), '1.4.2');
    await writeFile(join(build, 'assets', 'app.js'), 'console.log("hi")');
    const release = join(dir, 'srv', 'releases', '1.4.2');
    const hostile = `$(touch ${join(dir, 'pwned')}); echo 'pwned' "\`id\`"`;

    const wf = workflow('deploy')
      .addNode(
        'upload',
        async (ctx) => {
          const copied = await ssh.copyIn(build, release, { target: 'web1' });
          const version = (await ctx.exec('cat', { args: [join(release, 'VERSION')] })).stdout;
          return { files: copied.files, version };
        },
        {
          executor: { name: 'ssh', target: 'web1' },
          healthCheck: { command: 'test', args: ['-s', join(release, 'assets', 'app.js')] },
        },
      )
      .addNode('announce', async (ctx) => (await ctx.exec('printf', { args: ['%s', hostile] })).stdout, {
        dependsOn: ['upload'],
        executor: { name: 'ssh', target: 'web1' },
      })
      .addNode('fails', (ctx) => ctx.exec('sh', { args: ['-c', 'echo nope >&2; exit 3'] }), {
        dependsOn: ['announce'],
        executor: { name: 'ssh', target: 'web1' },
        onError: 'continue',
      })
      .build();

    const result = await engine.run(wf, {}).result;
    expect(result.status).toBe('success');
    expect(result.outputs.upload).toEqual({ files: 2, version: '1.4.2' });
    expect(result.outputs.announce).toBe(hostile);
    expect(result.nodes.fails?.error?.code).toBe('FL_EXEC_FAILED');
    await expect(readFile(join(dir, 'pwned'))).rejects.toMatchObject({ code: 'ENOENT' });
    expect(ssh.stats().web1).toMatchObject({ opened: 1 });

    await engine.close();
    expect(ssh.stats().web1).toMatchObject({ connections: 0, channels: 0 });
  });

  it('moves artifacts between the local executor and an SSH host (artifacts: { out, in })', async () => {
    const engine = createEngine({ plugins: [sshExecutor({ hosts: { web1: hostOf(sshd) } })] });
    const built = join(dir, 'artifacts', 'build');
    const remoteDist = join(dir, 'artifacts', 'web1', 'srv', 'dist');
    const report = join(dir, 'artifacts', 'web1', 'report.txt');
    const fetched = join(dir, 'artifacts', 'local', 'report.txt');
    const wf = workflow('ship')
      .addNode(
        'build',
        async (ctx) => {
          await ctx.exec('mkdir', { args: ['-p', join(built, 'js')] });
          await ctx.exec('sh', { args: ['-c', 'printf "%s" "$2" > "$1"', 'sh', join(built, 'js', 'app.js'), 'ok()'] });
        },
        { artifacts: { out: [{ from: built, name: 'dist' }] } }, // local executor
      )
      .addNode(
        'deploy',
        async (ctx) => {
          const { stdout } = await ctx.exec('cat', { args: [join(remoteDist, 'js', 'app.js')] });
          await ctx.exec('sh', { args: ['-c', 'echo "deployed $2" > "$1"', 'sh', report, stdout] });
        },
        {
          dependsOn: ['build'],
          executor: { name: 'ssh', target: 'web1' },
          artifacts: { in: [{ name: 'dist', to: remoteDist }], out: [{ from: report, name: 'report' }] },
        },
      )
      .addNode('verify', async (ctx) => (await ctx.exec('cat', { args: [fetched] })).stdout, {
        dependsOn: ['deploy'],
        artifacts: { in: [{ name: 'report', to: fetched }] },
      })
      .build();
    const run = engine.run(wf, {});
    const events = lastValueFrom(run.events$.pipe(toArray()));
    const result = await run.result;
    expect(result.status).toBe('success');
    expect(result.outputs.verify).toBe('deployed ok()\n');
    const moves = (await events).filter((e) => e.type.startsWith('artifact.'));
    expect(moves).toEqual([
      expect.objectContaining({ type: 'artifact.collected', nodeId: 'build', name: 'dist', bytes: 4, files: 1 }),
      expect.objectContaining({ type: 'artifact.delivered', nodeId: 'deploy', name: 'dist', bytes: 4, files: 1 }),
      expect.objectContaining({
        type: 'artifact.collected',
        nodeId: 'deploy',
        name: 'report',
        bytes: 14,
        sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
      }),
      expect.objectContaining({ type: 'artifact.delivered', nodeId: 'verify', name: 'report' }),
    ]);
    await engine.close();
  });

  it('runs rollback commands on the host when the run fails', async () => {
    const engine = createEngine({ plugins: [sshExecutor({ hosts: { web1: hostOf(sshd) } })] });
    const marker = join(dir, 'rolled-back');
    const wf = workflow('migrate')
      .addNode('migrate', (ctx) => ctx.exec('true'), {
        executor: { name: 'ssh', target: 'web1' },
        rollback: { command: 'touch', args: [marker] },
      })
      .addNode('smoke', (ctx) => ctx.exec('false'), {
        dependsOn: ['migrate'],
        executor: { name: 'ssh', target: 'web1' },
      })
      .build();
    const run = engine.run(wf, {});
    const events = lastValueFrom(run.events$.pipe(toArray()));
    expect((await run.result).status).toBe('failed');
    expect((await events).map((e: FlowEvent) => e.type)).toContain('node.rolled-back');
    expect(await readFile(marker, 'utf8')).toBe('');
    await engine.close();
  });

  it('takes the host from a placement scheduler (ctx.workerId) when the node names no target', async () => {
    const placing: Scheduler = {
      name: 'place-on-web1',
      acquire: (request) => ({ request, workerId: 'web1' }),
      release: () => undefined,
    };
    const engine = createEngine({
      plugins: [
        sshExecutor({ hosts: { web1: hostOf(sshd) } }),
        { name: 'placement', version: '1.0.0', flowlane: '^0.1.0', setup: (api) => api.schedulers.set(placing) },
      ],
    });
    const wf = workflow('placed')
      .addNode('where', async (ctx) => `${ctx.workerId}:${(await ctx.exec('echo', { args: ['ok'] })).stdout.trim()}`, {
        executor: 'ssh',
      })
      .build();
    expect(await engine.execute(wf, {})).toMatchObject({ where: 'web1:ok' });
    await engine.close();
  });

  it("logs the insecure host-key warning through the engine's logger", async () => {
    const warnings: string[] = [];
    const logger: Logger = {
      debug: () => undefined,
      info: () => undefined,
      warn: (m) => warnings.push(m),
      error: () => undefined,
    };
    const engine = createEngine({
      logger,
      plugins: [sshExecutor({ hosts: { lab: hostOf(sshd, { insecureAcceptAnyHostKey: true }) } })],
    });
    expect(warnings).toEqual([expect.stringContaining('SSH host "lab"')]);
    await engine.close();
  });

  it('registers its executor under a custom name', async () => {
    const engine = createEngine({ plugins: [sshExecutor({ hosts: { web1: hostOf(sshd) }, name: 'remote' })] });
    const wf = workflow('named')
      .addNode('hi', async (ctx) => (await ctx.exec('echo', { args: ['hi'] })).stdout, {
        executor: { name: 'remote', target: 'web1' },
      })
      .build();
    expect(await engine.execute(wf, {})).toMatchObject({ hi: 'hi\n' });
    await engine.close();
  });
});
