import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, realpath, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { firstValueFrom, toArray } from 'rxjs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type FlowlaneError, isFlowlaneError } from '../errors.js';
import type { ExecResult, Executor, OutputChunk } from '../plugin/types.js';
import { createLocalExecutor } from './local-executor.js';

let dir: string;
beforeAll(async () => {
  dir = await realpath(await mkdtemp(join(tmpdir(), 'flowlane-local-')));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const executors: Executor[] = [];
const local = (...args: Parameters<typeof createLocalExecutor>): Executor => {
  const ex = createLocalExecutor(...args);
  executors.push(ex);
  return ex;
};
afterEach(async () => {
  await Promise.all(executors.splice(0).map((e) => e.dispose()));
});

/** A process is gone when signal 0 fails, or when only its zombie is left (orphans nobody reaps here). */
function isGone(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return true;
  }
  try {
    return /^\d+ \(.*\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return true;
  }
}

/** Polls until every pid is gone (real processes die asynchronously); returns the survivors. */
async function survivors(pids: readonly number[], withinMs = 3000): Promise<number[]> {
  const end = Date.now() + withinMs;
  let alive = pids.filter((p) => !isGone(p));
  while (alive.length > 0 && Date.now() < end) {
    await new Promise((r) => setTimeout(r, 20));
    alive = alive.filter((p) => !isGone(p));
  }
  return alive;
}

async function rejectionOf(p: Promise<unknown>): Promise<FlowlaneError> {
  try {
    await p;
  } catch (e) {
    return e as FlowlaneError;
  }
  throw new Error('expected a rejection');
}

/** Resolves with the first `n` pids a command prints, one per line on stdout. */
function pidsFrom(output$: import('rxjs').Observable<OutputChunk>, n: number): Promise<number[]> {
  return new Promise((resolve, reject) => {
    let text = '';
    const sub = output$.subscribe({
      next: (c) => {
        if (c.stream !== 'stdout') return;
        text += c.data;
        const pids = text
          .split('\n')
          .filter((l) => /^\d+$/.test(l))
          .map(Number);
        if (pids.length >= n) {
          sub.unsubscribe();
          resolve(pids.slice(0, n));
        }
      },
      complete: () => reject(new Error(`command ended before printing ${n} pids: ${text}`)),
    });
  });
}

const sha256 = (data: Buffer | string): string => createHash('sha256').update(data).digest('hex');

describe('local executor: arguments and shell', () => {
  it('passes args as an argv vector: hostile strings reach the program verbatim and nothing is shell-interpreted', async () => {
    const marker = join(dir, 'pwned');
    const hostile = [
      `$(touch ${marker})`,
      `\`touch ${marker}\``,
      `; touch ${marker}`,
      `| touch ${marker}`,
      `&& touch ${marker}`,
      `> ${marker}`,
      '$HOME',
      '*',
      'it\'s "quoted"',
      'new\nline',
      '',
      ' spaced  out ',
    ];
    const r = await local().exec('printf', { args: ['[%s]\\n', ...hostile] }).result;
    expect(r.stdout).toBe(hostile.map((h) => `[${h}]\n`).join(''));
    expect(r.exitCode).toBe(0);
    expect(existsSync(marker)).toBe(false);
  });

  it('does not look the command itself up through a shell', async () => {
    const err = await rejectionOf(local().exec('echo hi; true').result);
    expect(isFlowlaneError(err, 'FL_EXEC_FAILED')).toBe(true);
    expect(err.message).toContain('echo hi; true');
  });

  it('shell: true runs the command as a /bin/sh script, with args as $1…', async () => {
    const r = await local().exec('echo "$1-$2" | tr a-z A-Z; echo "$0" >&2', { shell: true, args: ['ab', 'c d'] })
      .result;
    expect(r.stdout).toBe('AB-C D\n');
    expect(r.stderr).toBe('sh\n');
  });

  it('a missing program rejects with FL_EXEC_FAILED (exit code null), never throws synchronously', async () => {
    const ex = local();
    let handle: ReturnType<Executor['exec']> | undefined;
    expect(() => {
      handle = ex.exec('/nonexistent/flowlane-no-such-program');
    }).not.toThrow();
    const err = await rejectionOf(handle!.result);
    expect(isFlowlaneError(err, 'FL_EXEC_FAILED')).toBe(true);
    expect((err as FlowlaneError<'FL_EXEC_FAILED'>).details.exitCode).toBeNull();
    await expect(firstValueFrom(handle!.output$.pipe(toArray()))).resolves.toEqual([]);
  });
});

describe('local executor: environment, working directory, stdin', () => {
  it('merges env over the executor base environment', async () => {
    const ex = local({ env: { PATH: process.env.PATH ?? '/usr/bin:/bin', BASE: 'base', OVER: 'base' } });
    const r = await ex.exec('sh', {
      args: ['-c', 'echo "$BASE $OVER $EXTRA"; test -z "$HOME" && echo unset'],
      env: { OVER: 'run', EXTRA: 'x' },
    }).result;
    expect(r.stdout).toBe('base run x\nunset\n');
  });

  it('inherits process.env by default', async () => {
    process.env.FLOWLANE_LOCAL_TEST = 'inherited';
    try {
      const r = await local().exec('printenv', { args: ['FLOWLANE_LOCAL_TEST'] }).result;
      expect(r.stdout).toBe('inherited\n');
    } finally {
      delete process.env.FLOWLANE_LOCAL_TEST;
    }
  });

  it('runs in cwd (per command over the executor default)', async () => {
    const sub = join(dir, 'cwd-sub');
    await mkdir(sub, { recursive: true });
    const ex = local({ cwd: dir });
    expect((await ex.exec('pwd').result).stdout).toBe(`${dir}\n`);
    expect((await ex.exec('pwd', { cwd: sub }).result).stdout).toBe(`${sub}\n`);
  });

  it('a missing cwd rejects with FL_EXEC_FAILED', async () => {
    const err = await rejectionOf(local().exec('pwd', { cwd: join(dir, 'missing') }).result);
    expect(isFlowlaneError(err, 'FL_EXEC_FAILED')).toBe(true);
  });

  it('writes stdin (string or bytes) and closes it', async () => {
    const ex = local();
    expect((await ex.exec('cat', { stdin: 'hello\nworld' }).result).stdout).toBe('hello\nworld');
    const bytes = new TextEncoder().encode('bytes ✓');
    expect((await ex.exec('cat', { stdin: bytes }).result).stdout).toBe('bytes ✓');
    // No stdin given: stdin is closed at once, so a reader sees EOF instead of hanging.
    expect((await ex.exec('cat', { timeout: 5000 }).result).stdout).toBe('');
  });

  it("runs bash without the user's ~/.bashrc when no stdin is given, as a terminal's bash -c would", async () => {
    const home = join(dir, 'home-with-bashrc');
    await mkdir(home, { recursive: true });
    await writeFile(join(home, '.bashrc'), 'export FROM_BASHRC=sourced\n');
    const ex = createLocalExecutor({ env: { PATH: process.env.PATH ?? '', HOME: home } });
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a shell parameter expansion, not a template
    const r = await ex.exec('bash', { args: ['-c', 'echo "${FROM_BASHRC:-not sourced}"'] }).result;
    expect(r.stdout).toBe('not sourced\n');
    await ex.dispose();
  });

  it('survives a command that exits without reading a large stdin (EPIPE)', async () => {
    const r = await local().exec('true', { stdin: 'x'.repeat(4 * 1024 * 1024) }).result;
    expect(r.exitCode).toBe(0);
  });
});

describe('local executor: orphaned grandchildren', () => {
  it('a timeout kills grandchildren even after the direct child has exited', async () => {
    const t0 = performance.now();
    const h = local({ killGraceMs: 100 }).exec('sh', { args: ['-c', 'sleep 30 & echo $!'], timeout: 300 });
    const [pid] = await pidsFrom(h.output$, 1);
    const err = await h.result.catch((e: unknown) => e);
    expect(isFlowlaneError(err, 'FL_TIMEOUT')).toBe(true);
    expect(performance.now() - t0).toBeLessThan(10_000);
    expect(await survivors([pid!])).toEqual([]); // a killed process closes its fds a moment before it is a zombie
  });
});

describe('local executor: output', () => {
  it('decodes a multi-byte character split across chunks', async () => {
    // € is E2 82 AC: written in two writes with a pause between, so it arrives in two chunks.
    const r = await local().exec('sh', { args: ['-c', "printf '\\342\\202'; sleep 0.2; printf '\\254 ok'"] }).result;
    expect(r.stdout).toBe('€ ok');
  });

  it('an aborted copy rejects with FL_CANCELLED', async () => {
    const ac = new AbortController();
    ac.abort();
    const err = await local()
      .copyIn(process.execPath, join(tmpdir(), 'never-copied'), { signal: ac.signal })
      .catch((e: unknown) => e);
    expect(isFlowlaneError(err, 'FL_CANCELLED')).toBe(true);
    expect(existsSync(join(tmpdir(), 'never-copied'))).toBe(false);
  });

  it('streams stdout and stderr chunks in arrival order while the command runs; output$ completes', async () => {
    const handle = local().exec('sh', {
      args: ['-c', 'echo one; sleep 0.3; echo two >&2; sleep 0.3; echo three'],
    });
    const arrivals: { chunk: OutputChunk; at: number }[] = [];
    const t0 = performance.now();
    const done = firstValueFrom(handle.output$.pipe(toArray()));
    handle.output$.subscribe((chunk) => arrivals.push({ chunk, at: performance.now() - t0 }));
    const r = await handle.result;
    await done;
    expect(arrivals.map((a) => a.chunk)).toEqual([
      { stream: 'stdout', data: 'one\n' },
      { stream: 'stderr', data: 'two\n' },
      { stream: 'stdout', data: 'three\n' },
    ]);
    // The first chunk arrived well before the command ended.
    expect(arrivals[0]!.at).toBeLessThan(arrivals[2]!.at - 300);
    expect(r).toMatchObject({ exitCode: 0, stdout: 'one\nthree\n', stderr: 'two\n' });
    expect(r.durationMs).toBeGreaterThanOrEqual(500);
  });

  it('result.stdout/stderr equal the concatenated chunks for large output', async () => {
    const handle = local().exec('sh', { args: ['-c', 'seq 1 50000; seq 1 1000 >&2'] });
    const chunks = firstValueFrom(handle.output$.pipe(toArray()));
    const r = await handle.result;
    const all = await chunks;
    expect(
      all
        .filter((c) => c.stream === 'stdout')
        .map((c) => c.data)
        .join(''),
    ).toBe(r.stdout);
    expect(
      all
        .filter((c) => c.stream === 'stderr')
        .map((c) => c.data)
        .join(''),
    ).toBe(r.stderr);
    expect(r.stdout.split('\n')).toHaveLength(50_001);
  });

  it('stops a command whose output exceeds maxOutputBytes with FL_EXEC_OUTPUT_LIMIT (per command or executor default)', async () => {
    const ex = local({ killGraceMs: 200 });
    const err = await rejectionOf(ex.exec('yes', { maxOutputBytes: 10_000 }).result);
    expect(isFlowlaneError(err, 'FL_EXEC_OUTPUT_LIMIT')).toBe(true);
    expect((err as FlowlaneError<'FL_EXEC_OUTPUT_LIMIT'>).details).toEqual({ command: 'yes', limit: 10_000 });
    const small = local({ maxOutputBytes: 100 });
    const err2 = await rejectionOf(small.exec('head', { args: ['-c', '101', '/dev/zero'] }).result);
    expect(isFlowlaneError(err2, 'FL_EXEC_OUTPUT_LIMIT')).toBe(true);
    await expect(small.exec('head', { args: ['-c', '100', '/dev/zero'] }).result).resolves.toMatchObject({
      exitCode: 0,
    });
  });
});

describe('local executor: exit codes', () => {
  it('a non-zero exit rejects with FL_EXEC_FAILED carrying exit code, stderr and the result', async () => {
    const err = await rejectionOf(local().exec('sh', { args: ['-c', 'echo out; echo broken >&2; exit 3'] }).result);
    expect(isFlowlaneError(err, 'FL_EXEC_FAILED')).toBe(true);
    expect(err.details).toMatchObject({ exitCode: 3, stderr: 'broken\n' });
    expect(err.message).toContain('exit code 3');
    const result = (err as FlowlaneError & { result?: ExecResult }).result;
    expect(result).toMatchObject({ exitCode: 3, stdout: 'out\n', stderr: 'broken\n' });
    expect(result?.durationMs).toBeGreaterThanOrEqual(0);
  });

  it('allowFailure resolves with the non-zero result', async () => {
    const r = await local().exec('sh', { args: ['-c', 'echo e >&2; exit 7'], allowFailure: true }).result;
    expect(r).toMatchObject({ exitCode: 7, stdout: '', stderr: 'e\n' });
  });

  it('a command killed by a signal it sent itself reports the signal', async () => {
    const err = await rejectionOf(local().exec('sh', { args: ['-c', 'kill -TERM $$'] }).result);
    expect(isFlowlaneError(err, 'FL_EXEC_FAILED')).toBe(true);
    expect(err.details).toMatchObject({ exitCode: null, signal: 'SIGTERM' });
  });
});

describe('local executor: stopping commands kills the whole process tree', () => {
  // A shell that starts two `sleep` grandchildren (one of them ignoring SIGTERM) and prints every pid.
  const tree = "trap '' TERM; echo $$; sleep 30 & echo $!; (trap '' TERM; sleep 30) & echo $!; wait";

  it('timeout: rejects with FL_TIMEOUT and no process of the tree survives (SIGTERM, then SIGKILL)', async () => {
    const ex = local({ killGraceMs: 300 });
    const handle = ex.exec('sh', { args: ['-c', tree], timeout: 400 });
    const pids = await pidsFrom(handle.output$, 3);
    expect(await survivors(pids, 0)).toEqual(pids);
    const t0 = performance.now();
    const err = await rejectionOf(handle.result);
    expect(isFlowlaneError(err, 'FL_TIMEOUT')).toBe(true);
    expect(performance.now() - t0).toBeLessThan(5000);
    expect(await survivors(pids)).toEqual([]);
  });

  it('a grandchild holding stdout open does not keep the result pending past the kill', async () => {
    const ex = local({ killGraceMs: 100 });
    const handle = ex.exec('sh', { args: ['-c', 'sleep 30 & echo $!; exec sleep 30'], timeout: 200 });
    const [grandchild] = await pidsFrom(handle.output$, 1);
    const err = await rejectionOf(handle.result);
    expect(isFlowlaneError(err, 'FL_TIMEOUT')).toBe(true);
    expect(await survivors([grandchild!])).toEqual([]);
  });

  it('abort via signal: rejects with FL_CANCELLED and kills the tree', async () => {
    const ex = local({ killGraceMs: 200 });
    const ctrl = new AbortController();
    const handle = ex.exec('sh', { args: ['-c', tree], signal: ctrl.signal });
    const pids = await pidsFrom(handle.output$, 3);
    ctrl.abort();
    const err = await rejectionOf(handle.result);
    expect(isFlowlaneError(err, 'FL_CANCELLED')).toBe(true);
    expect(await survivors(pids)).toEqual([]);
  });

  it('abort with a FlowlaneError reason rejects with that error', async () => {
    const ctrl = new AbortController();
    const handle = local().exec('sleep', { args: ['30'], signal: ctrl.signal });
    const { FlowlaneError: FE } = await import('../errors.js');
    const reason = new FE('FL_TIMEOUT', { nodeId: 'deploy', ms: 10 });
    setTimeout(() => ctrl.abort(reason), 50);
    expect(await rejectionOf(handle.result)).toBe(reason);
  });

  it('an already aborted signal never lets the command run to completion', async () => {
    const marker = join(dir, 'ran');
    const handle = local().exec('sh', { args: ['-c', `sleep 0.5; touch ${marker}`], signal: AbortSignal.abort() });
    expect(isFlowlaneError(await rejectionOf(handle.result), 'FL_CANCELLED')).toBe(true);
    await new Promise((r) => setTimeout(r, 700));
    expect(existsSync(marker)).toBe(false);
  });

  it('handle.kill() stops the tree with FL_CANCELLED', async () => {
    const handle = local({ killGraceMs: 200 }).exec('sh', { args: ['-c', tree] });
    const pids = await pidsFrom(handle.output$, 3);
    handle.kill('operator stop');
    const err = await rejectionOf(handle.result);
    expect(isFlowlaneError(err, 'FL_CANCELLED')).toBe(true);
    expect(err.message).toContain('operator stop');
    expect(await survivors(pids)).toEqual([]);
  });

  it('dispose() kills live commands (and their trees) and waits for them', async () => {
    const ex = createLocalExecutor();
    const handles = [ex.exec('sh', { args: ['-c', tree] }), ex.exec('sleep', { args: ['30'] })];
    const pids = await pidsFrom(handles[0]!.output$, 3);
    await new Promise((r) => setTimeout(r, 50));
    const t0 = performance.now();
    await ex.dispose();
    expect(performance.now() - t0).toBeLessThan(3000);
    const settled = await Promise.allSettled(handles.map((h) => h.result));
    expect(settled.map((s) => s.status)).toEqual(['rejected', 'rejected']);
    expect(await survivors(pids)).toEqual([]);
  });

  it('timers do not outlive a command that finished in time', async () => {
    const ex = local({ killGraceMs: 10_000 });
    const r = await ex.exec('true', { timeout: 60_000 }).result;
    expect(r.exitCode).toBe(0);
    // Nothing to wait for: dispose resolves at once (no live child).
    const t0 = performance.now();
    await ex.dispose();
    expect(performance.now() - t0).toBeLessThan(100);
  });
});

describe('local executor: artifacts', () => {
  it('copyIn / copyOut a file: sizes and sha256 match the content', async () => {
    const ex = local();
    const content = randomBytes(256 * 1024 + 3);
    const src = join(dir, 'artifact.bin');
    await writeFile(src, content);
    const remote = join(dir, 'remote', 'deep', 'artifact.bin');
    const inRes = await ex.copyIn(src, remote);
    expect(inRes).toEqual({ bytes: content.length, files: 1, sha256: sha256(content) });
    const back = join(dir, 'back', 'artifact.bin');
    const outRes = await ex.copyOut(remote, back);
    expect(outRes).toEqual({ bytes: content.length, files: 1, sha256: sha256(content) });
    expect(sha256(await readFile(back))).toBe(sha256(content));
  });

  it('copyIn / copyOut a directory tree: file count, bytes and contents survive the round trip', async () => {
    const ex = local();
    const src = join(dir, 'tree-src');
    const files: Record<string, string> = {
      'a.txt': 'alpha',
      'nested/b.txt': 'bravo!',
      'nested/deeper/c.json': '{"c":3}',
      'empty.txt': '',
    };
    for (const [rel, text] of Object.entries(files)) {
      await mkdir(join(src, rel, '..'), { recursive: true });
      await writeFile(join(src, rel), text);
    }
    const bytes = Object.values(files).reduce((n, t) => n + Buffer.byteLength(t), 0);
    const remote = join(dir, 'tree-remote');
    expect(await ex.copyIn(src, remote)).toEqual({ bytes, files: 4 });
    const back = join(dir, 'tree-back');
    expect(await ex.copyOut(remote, back)).toEqual({ bytes, files: 4 });
    for (const [rel, text] of Object.entries(files)) expect(await readFile(join(back, rel), 'utf8')).toBe(text);
  });

  it('copying a missing path rejects', async () => {
    await expect(local().copyIn(join(dir, 'nope'), join(dir, 'x'))).rejects.toThrow();
  });
});

describe('local executor: health', () => {
  it('is healthy when it can run a command, with a latency', async () => {
    const h = await local().healthCheck();
    expect(h.healthy).toBe(true);
    expect(h.latencyMs).toBeGreaterThanOrEqual(0);
  });

  it('is unhealthy (does not throw) when commands cannot start', async () => {
    const h = await local({ cwd: join(dir, 'does-not-exist') }).healthCheck();
    expect(h.healthy).toBe(false);
    expect(h.message).toBeTruthy();
  });
});
