import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import {
  type CopyResult,
  type ErrorCode,
  type ExecHandle,
  type ExecOptions,
  type Executor,
  FlowlaneError,
  isFlowlaneError,
  unknownKeyHint,
  unknownKeys,
} from '@flowlane/core';
import { firstValueFrom, toArray } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/** One command of the conformance vocabulary, as the executor under test understands it. */
export interface CommandSpec {
  readonly command: string;
  readonly args?: readonly string[] | undefined;
  readonly shell?: boolean | undefined;
}

/**
 * The commands the executor suite runs. The defaults are POSIX programs (`printf`, `cat`, `sleep`, `sh`, …), right
 * for executors that run real commands (local, SSH, containers, pods); an executor with its own command language
 * maps each entry to an equivalent.
 */
export interface ExecutorConformanceCommands {
  /** Writes `text` and a newline to stdout, exits 0. `text` holds shell metacharacters: they must arrive verbatim. */
  echo(text: string): CommandSpec;
  /** A command run with `shell: true` that writes `text` (its `$1`) and a newline to stdout. */
  shellEcho(text: string): CommandSpec;
  /** Writes `message` to stderr, exits with `code`. */
  fail(code: number, message: string): CommandSpec;
  /** Copies stdin to stdout. */
  cat(): CommandSpec;
  /** Runs for `seconds` unless stopped. */
  sleep(seconds: number): CommandSpec;
  /** Writes the value of environment variable `name` and a newline. */
  printEnv(name: string): CommandSpec;
  /** Writes the working directory and a newline. */
  pwd(): CommandSpec;
  /** Writes at least `bytes` bytes to stdout. */
  flood(bytes: number): CommandSpec;
  /** Writes `first\n`, pauses about 300 ms, writes `second\n`. */
  ticks(): CommandSpec;
  /** A command that does not exist. */
  missing(): CommandSpec;
}

/**
 * Parts of the contract an executor may declare unsupported (everything else — results, exit codes, `allowFailure`,
 * streaming, abort and `kill()`, health, dispose — is required of every executor).
 */
export type ExecutorFeature =
  | 'shell'
  | 'env'
  | 'cwd'
  | 'stdin'
  | 'timeout'
  | 'outputLimit'
  | 'copyFile'
  | 'copyDirectory';

/** Every {@link ExecutorFeature}. */
export const EXECUTOR_FEATURES: readonly ExecutorFeature[] = [
  'shell',
  'env',
  'cwd',
  'stdin',
  'timeout',
  'outputLimit',
  'copyFile',
  'copyDirectory',
];

/**
 * What an executor does not support, each with the error `code` it fails with: core's `FL_EXEC_UNSUPPORTED`
 * (`new FlowlaneError('FL_EXEC_UNSUPPORTED', { executor, feature, instead })`) or a code of the plugin's own table.
 */
export type UnsupportedExecutorFeatures = { readonly [F in ExecutorFeature]?: string };

/** Options of {@link executorConformance}. */
export interface ExecutorConformanceOptions {
  /** Replacements for the default POSIX commands. */
  readonly commands?: Partial<ExecutorConformanceCommands> | undefined;
  /**
   * Features the executor does not support, with the error code each fails with. The suite does not skip them: it
   * checks that using one fails with a Flowlane error of that code (through `result` for `exec`, never thrown by
   * `exec()` itself; a rejection for copies) whose message names the option or method (`stdin`, `shell`, `env`,
   * `cwd`, `timeout`, `maxOutputBytes`, `copyIn`, `copyOut`) and says what to use instead. Default: none
   * (everything is checked as supported).
   */
  readonly unsupported?: UnsupportedExecutorFeatures | undefined;
  /** `target` passed to every call (an SSH host, a container, …). */
  readonly target?: string | undefined;
  /** A directory that exists on the executor's side, used as `cwd`. Default `/`. */
  readonly cwd?: string | undefined;
  /**
   * A fresh executor-side path for the copy round trip (the suite copies into it and back). Default: a path in a
   * new local temporary directory — right for executors whose "remote" side is this machine's file system.
   */
  readonly remotePath?: ((name: string) => string | Promise<string>) | undefined;
  /** How long a stopped (timed out, aborted, killed, disposed) command may take to settle, ms. Default 10 000. */
  readonly settleWithinMs?: number | undefined;
}

const POSIX: ExecutorConformanceCommands = {
  echo: (text) => ({ command: 'printf', args: ['%s\\n', text] }),
  shellEcho: (text) => ({ command: 'printf "%s\\n" "$1"', shell: true, args: [text] }),
  fail: (code, message) => ({
    command: 'sh',
    args: ['-c', 'printf "%s\\n" "$1" >&2; exit "$2"', 'sh', message, String(code)],
  }),
  cat: () => ({ command: 'cat' }),
  sleep: (seconds) => ({ command: 'sleep', args: [String(seconds)] }),
  printEnv: (name) => ({ command: 'printenv', args: [name] }),
  pwd: () => ({ command: 'pwd' }),
  flood: (bytes) => ({ command: 'head', args: ['-c', String(bytes), '/dev/zero'] }),
  ticks: () => ({ command: 'sh', args: ['-c', 'echo first; sleep 0.3; echo second'] }),
  missing: () => ({ command: 'flowlane-conformance-no-such-command' }),
};

/** Text with shell metacharacters that must reach the program as one verbatim argument. */
export const HOSTILE_TEXT = `$(echo injected) \`id\` ; | && > out * ? ~ 'single' "double" $HOME`;

/** What a declared-unsupported check needs from the suite. */
interface UseContext {
  readonly cmd: ExecutorConformanceCommands;
  readonly target: { readonly target?: string };
  readonly cwd: string;
  readonly scratch: string;
  readonly remote: (leaf: string) => Promise<string>;
}

/** One use of an unsupported feature: `names` is what its error message must mention. */
interface Use {
  readonly name: string;
  readonly names: string;
  call(): Promise<unknown>;
}

const execUse = (ex: Executor, c: UseContext, names: string, spec: CommandSpec, extra: ExecOptions): Use => ({
  name: `exec() with ${names}`,
  names,
  call: () =>
    ex.exec(spec.command, {
      ...(spec.args === undefined ? {} : { args: spec.args }),
      ...(spec.shell === undefined ? {} : { shell: spec.shell }),
      ...c.target,
      ...extra,
    }).result,
});

const copyUses = async (ex: Executor, c: UseContext, local: string, leaf: string): Promise<Use[]> => {
  const there = await c.remote(leaf);
  return [
    { name: 'copyIn()', names: 'copyIn', call: (): Promise<CopyResult> => ex.copyIn(local, there, c.target) },
    {
      name: 'copyOut()',
      names: 'copyOut',
      call: (): Promise<CopyResult> => ex.copyOut(there, join(c.scratch, `${leaf}-back`), c.target),
    },
  ];
};

/** How the suite uses each feature when the executor declares it unsupported. */
const UNSUPPORTED_USE: Record<
  ExecutorFeature,
  { readonly what: string; attempts(ex: Executor, c: UseContext): Promise<Use[]> }
> = {
  shell: { what: 'shell: true', attempts: async (ex, c) => [execUse(ex, c, 'shell', c.cmd.shellEcho('x'), {})] },
  env: {
    what: 'env',
    attempts: async (ex, c) => [
      execUse(ex, c, 'env', c.cmd.printEnv('FLOWLANE_CONFORMANCE'), { env: { FLOWLANE_CONFORMANCE: '1' } }),
    ],
  },
  cwd: { what: 'cwd', attempts: async (ex, c) => [execUse(ex, c, 'cwd', c.cmd.pwd(), { cwd: c.cwd })] },
  stdin: {
    what: 'stdin',
    attempts: async (ex, c) => [
      execUse(ex, c, 'stdin', c.cmd.cat(), { stdin: 'line\n' }),
      execUse(ex, c, 'stdin', c.cmd.cat(), { stdin: new TextEncoder().encode('bytes') }),
    ],
  },
  timeout: {
    what: 'a timeout',
    attempts: async (ex, c) => [execUse(ex, c, 'timeout', c.cmd.echo('x'), { timeout: 60_000 })],
  },
  outputLimit: {
    what: 'maxOutputBytes',
    attempts: async (ex, c) => [execUse(ex, c, 'maxOutputBytes', c.cmd.echo('x'), { maxOutputBytes: 1_000_000 })],
  },
  copyFile: {
    what: 'file copies (copyIn, copyOut)',
    attempts: async (ex, c) => {
      const local = join(c.scratch, 'unsupported.txt');
      await writeFile(local, 'never copied');
      return copyUses(ex, c, local, 'unsupported.txt');
    },
  },
  copyDirectory: {
    what: 'directory copies (copyIn, copyOut)',
    attempts: async (ex, c) => {
      const local = join(c.scratch, 'unsupported-tree');
      await mkdir(join(local, 'sub'), { recursive: true });
      await writeFile(join(local, 'sub', 'a.txt'), 'never copied');
      return copyUses(ex, c, local, 'unsupported-tree');
    },
  },
};

const OPTION_KEYS = ['commands', 'unsupported', 'target', 'cwd', 'remotePath', 'settleWithinMs'];
const COMMAND_KEYS = Object.keys(POSIX);

/** Unknown option keys (a typo, or `skip` from before `unsupported`) are a typed error, not an unchecked feature. */
function checkConformanceOptions(options: ExecutorConformanceOptions): void {
  const where = 'executorConformance';
  for (const [keys, known, prefix] of [
    [unknownKeys(options, OPTION_KEYS), OPTION_KEYS, ''],
    [unknownKeys(options.commands ?? {}, COMMAND_KEYS), COMMAND_KEYS, 'commands.'],
    [unknownKeys(options.unsupported ?? {}, EXECUTOR_FEATURES), EXECUTOR_FEATURES, 'unsupported.'],
  ] as const)
    for (const u of keys)
      throw new FlowlaneError('FL_INVALID_OPTION', {
        where,
        option: `${prefix}${u.key}`,
        reason:
          u.key === 'skip' && prefix === ''
            ? 'skipping was replaced by `unsupported: { <feature>: <error code> }` — declare what the executor does not support and the suite checks that using it fails with that code'
            : `unknown key, ${unknownKeyHint(u, known)}`,
      });
  for (const [feature, code] of Object.entries(options.unsupported ?? {}))
    if (typeof code !== 'string' || !/^[A-Z][A-Z0-9_]*$/.test(code))
      throw new FlowlaneError('FL_INVALID_OPTION', {
        where,
        option: `unsupported.${feature}`,
        reason: `expected the error code the executor fails with (e.g. 'FL_EXEC_UNSUPPORTED'), got ${JSON.stringify(code)}`,
      });
}

const sha256 = (data: Uint8Array | string): string => createHash('sha256').update(data).digest('hex');

async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error('expected the command to fail, it succeeded');
}

const expectCode = (e: unknown, code: ErrorCode): void => {
  expect(isFlowlaneError(e) ? e.code : e).toBe(code);
};

/**
 * Registers vitest tests that check `Executor` implementations against the contract of `@flowlane/core`: results,
 * streamed output, exit codes, `allowFailure`, env/cwd/stdin, timeouts, aborts, output limits, a copy round trip,
 * health and dispose. Call it at the top level of a test file.
 *
 * @example
 * ```ts
 * import { createLocalExecutor } from '@flowlane/core';
 * import { executorConformance } from '@flowlane/testing';
 *
 * executorConformance('local', () => createLocalExecutor());
 * ```
 */
export function executorConformance(
  name: string,
  factory: () => Executor | Promise<Executor>,
  options: ExecutorConformanceOptions = {},
): void {
  checkConformanceOptions(options);
  const cmd: ExecutorConformanceCommands = { ...POSIX, ...options.commands };
  const unsupported: UnsupportedExecutorFeatures = options.unsupported ?? {};
  const settle = options.settleWithinMs ?? 10_000;
  const slow = settle + 10_000;
  const target = options.target === undefined ? {} : { target: options.target };

  describe(`${name}: Executor conformance`, () => {
    let ex: Executor;
    let scratch: string;
    beforeAll(async () => {
      ex = await factory();
      scratch = await mkdtemp(join(tmpdir(), 'flowlane-conformance-'));
    }, slow);
    afterAll(async () => {
      await ex?.dispose();
      if (scratch) await rm(scratch, { recursive: true, force: true });
    }, slow);

    const runOn = (executor: Executor, spec: CommandSpec, extra: ExecOptions = {}): ExecHandle =>
      executor.exec(spec.command, {
        ...(spec.args === undefined ? {} : { args: spec.args }),
        ...(spec.shell === undefined ? {} : { shell: spec.shell }),
        ...target,
        ...extra,
      });
    const run = (spec: CommandSpec, extra?: ExecOptions): ExecHandle => runOn(ex, spec, extra);
    const remote = async (leaf: string): Promise<string> =>
      options.remotePath ? options.remotePath(leaf) : join(await mkdtemp(join(scratch, 'remote-')), leaf);
    const declared = new Set<ExecutorFeature>();
    /** The test of a supported feature, or — for a feature declared unsupported — the test that it fails typed. */
    const check =
      (feature: ExecutorFeature) =>
      (title: string, body: () => Promise<void>, timeout?: number): void => {
        const code = unsupported[feature];
        if (code === undefined) it(title, body, timeout);
        else if (!declared.has(feature)) {
          declared.add(feature);
          it(
            `fails ${UNSUPPORTED_USE[feature].what} with ${code} (declared unsupported)`,
            async () => {
              for (const use of await UNSUPPORTED_USE[feature].attempts(ex, {
                cmd,
                target,
                cwd: options.cwd ?? '/',
                scratch,
                remote,
              })) {
                let sync: unknown;
                let pending: Promise<unknown> | undefined;
                try {
                  pending = use.call();
                } catch (e) {
                  sync = e;
                }
                expect(sync, `${use.name} threw instead of rejecting its result`).toBeUndefined();
                const e = await rejection(pending!);
                expect(isFlowlaneError(e) ? e.code : e, use.name).toBe(code);
                const message = (e as Error).message;
                expect(message, `${use.name}: the message names what is unsupported`).toContain(use.names);
                expect(message, `${use.name}: the message says what to use instead`).toMatch(/\b(use|instead)\b/i);
              }
            },
            slow,
          );
        }
      };

    it('resolves a successful command to { exitCode: 0, stdout, stderr, durationMs }', async () => {
      const r = await run(cmd.echo('hello')).result;
      expect(r.exitCode).toBe(0);
      expect(r.stdout).toBe('hello\n');
      expect(r.stderr).toBe('');
      expect(typeof r.durationMs).toBe('number');
      expect(r.durationMs).toBeGreaterThanOrEqual(0);
    });

    it('passes arguments verbatim (no shell interpretation without shell: true)', async () => {
      const r = await run(cmd.echo(HOSTILE_TEXT)).result;
      expect(r.stdout).toBe(`${HOSTILE_TEXT}\n`);
    });

    check('shell')('runs the command as a shell script with shell: true, args as $1…', async () => {
      const r = await run(cmd.shellEcho('a b')).result;
      expect(r.stdout).toBe('a b\n');
    });

    it('emits output$ chunks whose concatenation equals the result, then completes', async () => {
      const handle = run(cmd.fail(0, 'to-stderr'));
      const chunks = firstValueFrom(handle.output$.pipe(toArray()));
      const r = await handle.result;
      const all = await chunks;
      for (const c of all) expect(['stdout', 'stderr']).toContain(c.stream);
      expect(
        all
          .filter((c) => c.stream === 'stderr')
          .map((c) => c.data)
          .join(''),
      ).toBe(r.stderr);
      expect(r.stderr).toBe('to-stderr\n');
      const out = run(cmd.echo('x'.repeat(10_000)));
      const outChunks = firstValueFrom(out.output$.pipe(toArray()));
      const r2 = await out.result;
      expect((await outChunks).map((c) => c.data).join('')).toBe(r2.stdout);
    });

    it('streams output while the command runs (before the result settles)', async () => {
      const handle = run(cmd.ticks());
      let settled = false;
      void handle.result.finally(() => {
        settled = true;
      });
      const first = await firstValueFrom(handle.output$);
      expect(settled).toBe(false);
      expect(first).toEqual({ stream: 'stdout', data: expect.stringContaining('first') });
      expect((await handle.result).stdout).toBe('first\nsecond\n');
    });

    it('rejects a non-zero exit with FL_EXEC_FAILED carrying the exit code and stderr', async () => {
      const e = await rejection(run(cmd.fail(3, 'broken')).result);
      expectCode(e, 'FL_EXEC_FAILED');
      expect(isFlowlaneError(e, 'FL_EXEC_FAILED') && e.details.exitCode).toBe(3);
      expect(isFlowlaneError(e, 'FL_EXEC_FAILED') && e.details.stderr).toContain('broken');
    });

    it('resolves a non-zero exit with allowFailure: true', async () => {
      const r = await run(cmd.fail(4, 'tolerated'), { allowFailure: true }).result;
      expect(r.exitCode).toBe(4);
      expect(r.stderr).toContain('tolerated');
    });

    it('reports a missing command through the result (FL_EXEC_FAILED), never by throwing from exec()', async () => {
      let handle: ExecHandle | undefined;
      expect(() => {
        handle = run(cmd.missing());
      }).not.toThrow();
      expectCode(await rejection(handle!.result), 'FL_EXEC_FAILED');
    });

    check('env')('passes env', async () => {
      const r = await run(cmd.printEnv('FLOWLANE_CONFORMANCE'), { env: { FLOWLANE_CONFORMANCE: 'v=1 2' } }).result;
      expect(r.stdout).toBe('v=1 2\n');
    });

    check('cwd')('runs in cwd', async () => {
      const cwd = options.cwd ?? '/';
      expect((await run(cmd.pwd(), { cwd }).result).stdout).toBe(`${cwd}\n`);
    });

    check('stdin')('writes stdin (string and bytes) and closes it', async () => {
      expect((await run(cmd.cat(), { stdin: 'line 1\nline 2\n' }).result).stdout).toBe('line 1\nline 2\n');
      const bytes = new TextEncoder().encode('bytes ✓');
      expect((await run(cmd.cat(), { stdin: bytes }).result).stdout).toBe('bytes ✓');
    });

    it(
      'gives a command without stdin an empty, closed input (it does not wait for input)',
      async () => {
        expect((await run(cmd.cat(), { timeout: settle }).result).stdout).toBe('');
      },
      slow,
    );

    check('timeout')(
      'stops a command at its timeout with FL_TIMEOUT',
      async () => {
        const t0 = performance.now();
        expectCode(await rejection(run(cmd.sleep(60), { timeout: 300 }).result), 'FL_TIMEOUT');
        expect(performance.now() - t0).toBeLessThan(settle);
      },
      slow,
    );

    it(
      'stops a command when its signal aborts, or on kill(), with FL_CANCELLED',
      async () => {
        const ctrl = new AbortController();
        const handle = run(cmd.sleep(60), { signal: ctrl.signal });
        setTimeout(() => ctrl.abort(), 200);
        expectCode(await rejection(handle.result), 'FL_CANCELLED');
        const killed = run(cmd.sleep(60));
        setTimeout(() => killed.kill('conformance'), 200);
        expectCode(await rejection(killed.result), 'FL_CANCELLED');
        expectCode(await rejection(run(cmd.sleep(60), { signal: AbortSignal.abort() }).result), 'FL_CANCELLED');
      },
      slow,
    );

    check('outputLimit')(
      'stops a command whose output exceeds maxOutputBytes with FL_EXEC_OUTPUT_LIMIT',
      async () => {
        expectCode(
          await rejection(run(cmd.flood(1024 * 1024), { maxOutputBytes: 10_000 }).result),
          'FL_EXEC_OUTPUT_LIMIT',
        );
      },
      slow,
    );

    check('copyFile')(
      'copies a file in and out unchanged (sha256)',
      async () => {
        const content = randomBytes(64 * 1024 + 7);
        const local = join(scratch, 'in.bin');
        await writeFile(local, content);
        const there = await remote('artifact.bin');
        const copied = await ex.copyIn(local, there, target);
        expect(copied.bytes).toBe(content.length);
        expect(copied.files).toBe(1);
        if (copied.sha256 !== undefined) expect(copied.sha256).toBe(sha256(content));
        const back = join(scratch, 'back', 'artifact.bin');
        const returned = await ex.copyOut(there, back, target);
        expect(returned.bytes).toBe(content.length);
        expect(sha256(await readFile(back))).toBe(sha256(content));
      },
      slow,
    );

    check('copyFile')(
      'rejects a copy whose signal is already aborted with FL_CANCELLED (the engine’s own error as is)',
      async () => {
        const local = join(scratch, 'not-copied.txt');
        await writeFile(local, 'never');
        const there = await remote('not-copied.txt');
        const signal = AbortSignal.abort(new Error('stop'));
        expectCode(await rejection(ex.copyIn(local, there, { ...target, signal })), 'FL_CANCELLED');
        expectCode(
          await rejection(ex.copyOut(there, join(scratch, 'not-back.txt'), { ...target, signal })),
          'FL_CANCELLED',
        );
        // Aborted by the engine (run cancelled, node timed out): its FlowlaneError is the rejection, as
        // `copyCancelled(signal, path)` from core gives it.
        const byEngine = new FlowlaneError('FL_CANCELLED', { executionId: 'conformance-run', reason: 'run cancelled' });
        const engineSignal = AbortSignal.abort(byEngine);
        expect(await rejection(ex.copyIn(local, there, { ...target, signal: engineSignal }))).toBe(byEngine);
        expect(
          await rejection(ex.copyOut(there, join(scratch, 'not-back.txt'), { ...target, signal: engineSignal })),
        ).toBe(byEngine);
      },
    );

    check('copyDirectory')(
      'copies a directory tree in and out unchanged',
      async () => {
        const files: Record<string, string> = { 'a.txt': 'alpha', 'sub/b.txt': 'bravo', 'sub/deep/c.txt': 'charlie' };
        const src = join(scratch, 'tree');
        for (const [rel, text] of Object.entries(files)) {
          await mkdir(dirname(join(src, rel)), { recursive: true });
          await writeFile(join(src, rel), text);
        }
        const there = await remote('tree');
        expect((await ex.copyIn(src, there, target)).files).toBe(3);
        const back = join(scratch, 'tree-back');
        expect((await ex.copyOut(there, back, target)).files).toBe(3);
        for (const [rel, text] of Object.entries(files)) expect(await readFile(join(back, rel), 'utf8')).toBe(text);
      },
      slow,
    );

    it('reports health as { healthy: boolean }', async () => {
      const h = await ex.healthCheck(target);
      expect(h.healthy).toBe(true);
    });

    it(
      'dispose() stops running commands, settles their results and may be called twice',
      async () => {
        const fresh = await factory();
        const outcome = runOn(fresh, cmd.sleep(60)).result.then(
          () => 'resolved',
          () => 'rejected',
        );
        await new Promise((r) => setTimeout(r, 200));
        const t0 = performance.now();
        await fresh.dispose();
        expect(await outcome).toBe('rejected');
        expect(performance.now() - t0).toBeLessThan(settle);
        await fresh.dispose();
      },
      slow,
    );
  });
}
