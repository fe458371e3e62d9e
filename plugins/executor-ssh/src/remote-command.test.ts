import { execFileSync, spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { buildKillScript, buildRemoteCommand, PidLineParser } from './remote-command.js';

/** Runs a remote script with a local /bin/sh, as sshd would with the login shell. */
function runLocally(script: string): Promise<{ pid: number; stdout: string; stderr: string; code: number | null }> {
  return new Promise((resolve, reject) => {
    const child = spawn('/bin/sh', ['-c', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d));
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ pid: child.pid!, stdout, stderr, code }));
  });
}

describe('buildRemoteCommand', () => {
  it('reports its PID first, then execs the program in that same process', async () => {
    const cmd = buildRemoteCommand({ command: 'sh', args: ['-c', 'echo "self=$$"'] });
    const r = await runLocally(cmd.script);
    const [first, second] = r.stdout.split('\n');
    expect(first).toBe(`${cmd.marker}${r.pid}`);
    expect(second).toBe(`self=${r.pid}`);
  });

  it('quotes argv, env values and cwd so they arrive verbatim', async () => {
    const hostile = `$(echo no) \`echo no\` ; echo no | x && y 'q' "d" \\ \n*`;
    const cmd = buildRemoteCommand({
      command: 'sh',
      args: ['-c', 'printf "%s|%s|%s" "$1" "$V" "$(pwd)"', 'sh', hostile],
      env: { V: hostile },
      cwd: '/',
    });
    const r = await runLocally(cmd.script);
    expect(r.stdout.split('\n').slice(1).join('\n')).toBe(`${hostile}|${hostile}|/`);
  });

  it('runs the command through sh -c with shell: true, args as $1…', async () => {
    const cmd = buildRemoteCommand({ command: 'echo "$1-$2"', shell: true, args: ['a b', '$(c)'] });
    expect((await runLocally(cmd.script)).stdout.split('\n')[1]).toBe('a b-$(c)');
  });

  it('fails with the status of cd when the directory does not exist', async () => {
    const cmd = buildRemoteCommand({ command: 'true', cwd: '/no/such/dir' });
    const r = await runLocally(cmd.script);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('/no/such/dir');
  });

  it('refuses invalid variable names', () => {
    expect(() => buildRemoteCommand({ command: 'true', env: { 'A;rm -rf /': 'x' } })).toThrow(TypeError);
  });

  it('uses a fresh marker per command', () => {
    expect(buildRemoteCommand({ command: 'true' }).marker).not.toBe(buildRemoteCommand({ command: 'true' }).marker);
  });
});

describe('PidLineParser', () => {
  const marker = 'flowlane-pid-abc:';

  it('takes the PID line off the output, also across chunk boundaries', () => {
    const pids: number[] = [];
    const p = new PidLineParser(marker, (pid) => pids.push(pid));
    const out = [p.push(Buffer.from('flowlane-p')), p.push(Buffer.from('id-abc:12')), p.push(Buffer.from('34\nhello'))];
    expect(Buffer.concat(out).toString()).toBe('hello');
    expect(pids).toEqual([1234]);
    expect(p.push(Buffer.from(`${marker}99\n`)).toString()).toBe(`${marker}99\n`);
    expect(pids).toEqual([1234]);
  });

  it('passes login-script noise before the line through', () => {
    const pids: number[] = [];
    const p = new PidLineParser(marker, (pid) => pids.push(pid));
    expect(p.push(Buffer.from(`motd\n${marker}42\nout`)).toString()).toBe('motd\nout');
    expect(pids).toEqual([42]);
  });

  it('gives held-back bytes back when the line never comes', () => {
    const p = new PidLineParser(marker, () => expect.unreachable());
    expect(p.push(Buffer.from('partial')).length).toBe(0);
    expect(p.flush().toString()).toBe('partial');
  });

  it('does not hold more than 64 KiB back', () => {
    const p = new PidLineParser(marker, () => expect.unreachable());
    const passed = p.push(Buffer.alloc(100_000, 0x61));
    expect(passed.length + p.flush().length).toBe(100_000);
    expect(passed.length).toBeGreaterThan(90_000);
  });
});

/** Members of process group `pgid` that are still running (zombies waiting for their reaper do not count). */
const liveMembers = (pgid: number): string[] =>
  execFileSync('ps', ['-eo', 'pgid=,stat=,args='], { encoding: 'utf8' })
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .filter(([g, stat]) => Number(g) === pgid && stat !== undefined && !stat.startsWith('Z'))
    .map((f) => f.slice(2).join(' '));

describe('buildKillScript', () => {
  it('terminates a process group and exits 0', async () => {
    const group = spawn('/bin/sh', ['-c', 'sleep 30 & sleep 30; wait'], { detached: true, stdio: 'ignore' });
    const closed = new Promise((r) => group.on('close', r));
    const r = await runLocally(buildKillScript([group.pid!], 1000));
    expect(r.code).toBe(0);
    await closed;
    expect(liveMembers(group.pid!)).toEqual([]);
  });

  it('escalates to SIGKILL after the grace period', async () => {
    const group = spawn('/bin/sh', ['-c', 'trap "" TERM; echo ready; sleep 30 & wait'], {
      detached: true,
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    const closed = new Promise((r) => group.on('close', r));
    await new Promise((r) => group.stdout.once('data', r)); // the trap is installed
    const t0 = performance.now();
    expect((await runLocally(buildKillScript([group.pid!], 300))).code).toBe(0);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(250);
    await closed;
    expect(liveMembers(group.pid!)).toEqual([]);
  });
});
