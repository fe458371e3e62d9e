import { readFileSync } from 'node:fs';
import { createEngine, isFlowlaneError, workflow } from '@flowlane/core';
import { describe, expect, it } from 'vitest';
import { createEchoExecutor, echo, parseScript, VERSION } from './index.js';

describe('echo() plugin in an engine', () => {
  it('runs ctx.exec of nodes that select it, with their env, stdin and cwd, and leaves other nodes local', async () => {
    const engine = createEngine({ plugins: [echo({ env: { STAGE: 'dry-run' }, files: { '/etc/motd': 'welcome' } })] });
    try {
      const wf = workflow('release')
        .addNode('stage', async (ctx) => (await ctx.exec('printenv', { args: ['STAGE'] })).stdout.trim(), {
          executor: 'echo',
        })
        .addNode(
          'script',
          async (ctx) =>
            (
              await ctx.exec('cat /etc/motd; echo " $1"; pwd; echo oops >&2', {
                shell: true,
                args: [ctx.results.stage],
                cwd: '/srv/app',
              })
            ).stdout,
          { executor: 'echo', dependsOn: ['stage'] },
        )
        .addNode('local', async (ctx) => (await ctx.exec('printf', { args: ['%s', 'real process'] })).stdout)
        .build();
      const r = await engine.run(wf, {}).result;
      expect(r.status).toBe('success');
      expect(r.outputs).toEqual({ stage: 'dry-run', script: 'welcome dry-run\n/srv/app\n', local: 'real process' });
    } finally {
      await engine.close();
    }
  });

  it('a failing command fails the node with FL_EXEC_FAILED; node timeouts reach the command', async () => {
    const engine = createEngine({ plugins: [echo()] });
    try {
      const wf = workflow('fails')
        .addNode('bad', (ctx) => ctx.exec('nope'), { executor: 'echo', onError: 'continue' })
        .addNode('slow', (ctx) => ctx.exec('sleep', { args: ['30'] }), { executor: 'echo', timeout: 100 })
        .build();
      const r = await engine.run(wf, {}).result;
      expect(r.nodes.bad?.error).toMatchObject({ code: 'FL_EXEC_FAILED', details: { exitCode: 127 } });
      expect(r.nodes.slow?.status).toBe('timeout');
    } finally {
      await engine.close();
    }
  });

  it('two echo plugins need different executor names (same name → FL_PLUGIN_CONFLICT)', async () => {
    const engine = createEngine({ plugins: [echo(), { ...echo({ name: 'echo' }), name: 'my-fork-of-echo' }] });
    const err = await engine.ready().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isFlowlaneError(err, 'FL_PLUGIN_CONFLICT')).toBe(true);
    await engine.close();
  });

  it('declares its package version and the core range it supports', () => {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
    expect(echo()).toMatchObject({ name: 'flowlane-plugin-echo', version: pkg.version, flowlane: '^0.1.0' });
    expect(VERSION).toBe(pkg.version);
  });
});

describe('the built-in shell', () => {
  it('takes argv verbatim without shell: true', () => {
    expect(parseScript('echo', ['$1; rm -rf /', '"q"'], false)).toEqual([
      { argv: ['echo', '$1; rm -rf /', '"q"'], toStderr: false },
    ]);
  });

  it('splits statements, quotes, expands $1…$9 and handles >&2', () => {
    expect(parseScript(`echo 'a b' "x $1 y"; printenv $2\necho err >&2`, ['one', 'TWO'], true)).toEqual([
      { argv: ['echo', 'a b', 'x one y'], toStderr: false },
      { argv: ['printenv', 'TWO'], toStderr: false },
      { argv: ['echo', 'err'], toStderr: true },
    ]);
  });

  it('keeps files written with `write` for later commands and copyOut', async () => {
    const ex = createEchoExecutor();
    await ex.exec('write', { args: ['/out/report.txt'], stdin: 'all good' }).result;
    expect((await ex.exec('cat', { args: ['/out/report.txt'] }).result).stdout).toBe('all good');
    await ex.dispose();
    expect(await ex.healthCheck()).toMatchObject({ healthy: false });
  });
});
