import { mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isFlowlaneError } from '@flowlane/core';
import { type SshdService, startSshd } from '@flowlane/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isSshExecutorError } from './errors.js';
import { createSshExecutor, type SshExecutor } from './ssh-executor.js';
import { collect, hostOf, rejection, uniqueSleep, waitFor } from './ssh-test.test-helper.js';

let sshd: SshdService;
let ssh: SshExecutor;
/** A second executor (its own connection) used to look at the host while `ssh` runs commands. */
let observer: SshExecutor;
let scratch: string;

beforeAll(async () => {
  sshd = await startSshd();
  ssh = createSshExecutor({ hosts: { web1: hostOf(sshd, { env: { FROM_HOST: 'host' } }) }, killGraceMs: 500 });
  observer = createSshExecutor({ hosts: { web1: hostOf(sshd) } });
  scratch = await mkdtemp(join(tmpdir(), 'flowlane-ssh-exec-'));
}, 30_000);

afterAll(async () => {
  await ssh?.dispose();
  await observer?.dispose();
  await sshd?.dispose();
  if (scratch) await rm(scratch, { recursive: true, force: true });
}, 30_000);

const run = (command: string, opts: Parameters<SshExecutor['exec']>[1] = {}) =>
  ssh.exec(command, { target: 'web1', ...opts });

/** Running (non-zombie) processes on the host whose command line contains `needle`. */
async function remoteProcesses(needle: string): Promise<string[]> {
  const { stdout } = await observer.exec('ps', { args: ['-eo', 'pid=,stat=,args='], target: 'web1' }).result;
  return stdout
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.includes(needle) && !/^\d+\s+Z/.test(l) && !l.includes('ps -eo'));
}

describe('argv quoting (no shell injection)', () => {
  const canary = () => join(scratch, `pwned-${Math.random().toString(36).slice(2)}`);

  it('delivers hostile arguments verbatim, one argv entry each, and runs none of them', async () => {
    const file = canary();
    const hostile = [
      `$(touch ${file})`,
      `\`touch ${file}\``,
      `; touch ${file}`,
      `&& touch ${file}`,
      `| touch ${file}`,
      `' ; touch ${file} ; '`,
      `" ; touch ${file} ; "`,
      `line1\ntouch ${file}\n`,
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a literal ${…} the shell must not expand
      '$HOME ${PATH} $$ $1',
      '* ? [a-z] ~',
      '\\',
      '',
      '-n',
    ];
    const { stdout } = await run('printf', { args: ['[%s]\\n', ...hostile] }).result;
    expect(stdout).toBe(hostile.map((h) => `[${h}]\n`).join(''));
    await expect(stat(file)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('quotes the command name itself, env values and cwd', async () => {
    const file = canary();
    // A directory whose name would change (or fail the cd) if the shell expanded it.
    const dir = join(scratch, `it's a "dir" $(id) \`id\` ; x`);
    await mkdir(dir);
    const r = await run('sh', {
      args: ['-c', 'printf "%s|%s|%s" "$(pwd)" "$HOSTILE" "$FROM_HOST"'],
      env: { HOSTILE: `$(touch ${file}); \`touch ${file}\`\n'"` },
      cwd: dir,
    }).result;
    expect(r.stdout).toBe(`${dir}|$(touch ${file}); \`touch ${file}\`\n'"|host`);
    const notACommand = await rejection(run(`true; touch ${file}`).result);
    expect(isFlowlaneError(notACommand, 'FL_EXEC_FAILED') && notACommand.details.exitCode).toBe(127);
    await expect(stat(file)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('rejects an invalid environment variable name before anything runs', async () => {
    const e = await rejection(run('true', { env: { 'X;touch /tmp/x': '1' } }).result);
    expect(isSshExecutorError(e, 'FL_SSH_INVALID_OPTION')).toBe(true);
  });
});

describe('commands', () => {
  it('reports exit codes, and the signal that ended a command', async () => {
    expect((await run('sh', { args: ['-c', 'exit 7'], allowFailure: true }).result).exitCode).toBe(7);
    const signalled = await run('sh', { args: ['-c', 'kill -TERM $$'], allowFailure: true }).result;
    expect(signalled).toMatchObject({ exitCode: null, signal: 'SIGTERM' });
    const e = await rejection(run('sh', { args: ['-c', 'kill -KILL $$'] }).result);
    expect(isFlowlaneError(e, 'FL_EXEC_FAILED') && e.details.signal).toBe('SIGKILL');
  });

  it('fails a missing cwd with FL_EXEC_FAILED and the shell message', async () => {
    const e = await rejection(run('pwd', { cwd: '/no/such/dir' }).result);
    expect(isFlowlaneError(e, 'FL_EXEC_FAILED') && e.details.stderr).toContain('/no/such/dir');
  });

  it('streams stdout and stderr as separate chunks in order', async () => {
    const { chunks, result } = await collect(run('sh', { args: ['-c', 'echo out; echo err >&2; echo out2'] }));
    expect(result.stdout).toBe('out\nout2\n');
    expect(result.stderr).toBe('err\n');
    expect(chunks.filter((c) => c.stream === 'stdout').map((c) => c.data)).toEqual(
      expect.arrayContaining([expect.stringContaining('out')]),
    );
    expect(chunks.some((c) => c.stream === 'stderr' && c.data === 'err\n')).toBe(true);
  });

  it('passes binary stdin unchanged', async () => {
    const bytes = Uint8Array.from({ length: 256 }, (_, i) => i);
    const r = await run('od', { args: ['-An', '-v', '-tu1'], stdin: bytes }).result;
    expect(r.stdout.trim().split(/\s+/).map(Number)).toEqual([...bytes]);
  });

  it('never reports the PID line as output', async () => {
    const r = await run('printf', { args: ['x'] }).result;
    expect(r.stdout).toBe('x');
  });

  it('fails without a target, and with an unknown one, listing the configured hosts', async () => {
    const none = await rejection(ssh.exec('true').result);
    expect(isSshExecutorError(none, 'FL_SSH_TARGET_REQUIRED') && none.details.configured).toEqual(['web1']);
    const unknown = await rejection(ssh.exec('true', { target: 'db9' }).result);
    expect(isSshExecutorError(unknown, 'FL_SSH_HOST_NOT_CONFIGURED')).toBe(true);
  });

  it('uses defaultHost when a command names no target', async () => {
    const ex = createSshExecutor({ hosts: { web1: hostOf(sshd) }, defaultHost: 'web1' });
    expect((await ex.exec('echo', { args: ['default'] }).result).stdout).toBe('default\n');
    await ex.dispose();
  });
});

describe('stopping commands kills the remote process group', () => {
  const started = (needle: string, count: number) =>
    waitFor(async () => (await remoteProcesses(needle)).length >= count, { what: `${count} × ${needle} running` });
  const gone = (needle: string) =>
    waitFor(async () => (await remoteProcesses(needle)).length === 0, { what: `${needle} gone`, timeoutMs: 5000 });

  it('on timeout: FL_TIMEOUT, and the command and its children are gone', async () => {
    const sleep = uniqueSleep();
    const handle = run('sh', { args: ['-c', `sleep ${sleep} & sleep ${sleep}; wait`], timeout: 1500 });
    await started(`sleep ${sleep}`, 2);
    const e = await rejection(handle.result);
    expect(isFlowlaneError(e, 'FL_TIMEOUT')).toBe(true);
    await gone(sleep);
  });

  it('on abort and kill(): FL_CANCELLED, process group gone', async () => {
    const sleep = uniqueSleep();
    const ctrl = new AbortController();
    const aborted = run('sh', { args: ['-c', `sleep ${sleep} & sleep ${sleep}; wait`], signal: ctrl.signal });
    const sleep2 = uniqueSleep();
    const killed = run('sleep', { args: [sleep2] });
    await started(`sleep ${sleep}`, 2);
    await started(`sleep ${sleep2}`, 1);
    ctrl.abort();
    killed.kill('test');
    expect(isFlowlaneError(await rejection(aborted.result), 'FL_CANCELLED')).toBe(true);
    expect(isFlowlaneError(await rejection(killed.result), 'FL_CANCELLED')).toBe(true);
    await gone(sleep);
    await gone(sleep2);
  });

  it('escalates to SIGKILL for a command that ignores SIGTERM', async () => {
    const sleep = uniqueSleep();
    const handle = run('sh', { args: ['-c', `trap '' TERM; echo ready; sleep ${sleep}`] });
    await new Promise((resolve) => handle.output$.subscribe(resolve));
    await started(`sleep ${sleep}`, 1);
    handle.kill();
    expect(isFlowlaneError(await rejection(handle.result), 'FL_CANCELLED')).toBe(true);
    await gone(sleep);
  });

  it('on output limit: FL_EXEC_OUTPUT_LIMIT, producer gone', async () => {
    const sleep = uniqueSleep();
    const handle = run('sh', { args: ['-c', `while :; do echo flood; done & sleep ${sleep}`], maxOutputBytes: 10_000 });
    const e = await rejection(handle.result);
    expect(isFlowlaneError(e, 'FL_EXEC_OUTPUT_LIMIT')).toBe(true);
    await gone(sleep);
  });

  it('a signal aborted before exec() starts nothing', async () => {
    const before = ssh.stats().web1!.opened;
    const e = await rejection(run('true', { signal: AbortSignal.abort() }).result);
    expect(isFlowlaneError(e, 'FL_CANCELLED')).toBe(true);
    expect(ssh.stats().web1!.opened).toBe(before);
  });

  it('dispose() kills running commands on the host and closes every connection', async () => {
    const ex = createSshExecutor({ hosts: { web1: hostOf(sshd) }, killGraceMs: 300 });
    const sleep = uniqueSleep();
    const handles = [1, 2, 3].map(() => ex.exec('sleep', { args: [sleep], target: 'web1' }));
    await started(`sleep ${sleep}`, 3);
    await ex.dispose();
    for (const h of handles) expect(isFlowlaneError(await rejection(h.result), 'FL_CANCELLED')).toBe(true);
    expect(ex.stats().web1).toMatchObject({ connections: 0, channels: 0 });
    await gone(sleep);
    const after = await rejection(ex.exec('true', { target: 'web1' }).result);
    expect(isSshExecutorError(after, 'FL_SSH_EXECUTOR_DISPOSED')).toBe(true);
  });
});

describe('healthCheck', () => {
  it('reports healthy hosts with latency, unknown or failing ones with a message, and never throws', async () => {
    expect(await ssh.healthCheck({ target: 'web1' })).toMatchObject({ healthy: true, latencyMs: expect.any(Number) });
    const unknown = await ssh.healthCheck({ target: 'db9' });
    expect(unknown.healthy).toBe(false);
    expect(unknown.message).toContain('db9');
    const ex = createSshExecutor({
      hosts: { web1: hostOf(sshd), down: hostOf(sshd, { port: 1, connectTimeoutMs: 2000 }) },
    });
    const all = await ex.healthCheck();
    expect(all.healthy).toBe(false);
    expect(all.message).toMatch(/^down: .*refused/);
    await ex.dispose();
  });
});
