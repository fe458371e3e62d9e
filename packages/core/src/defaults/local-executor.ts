import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { cp, mkdir, readdir, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { FlowlaneError } from '../errors.js';
import { copyCancelled } from '../executor/copy-cancelled.js';
import { commandLabel, createCommandRun } from '../executor/create-command-run.js';
import { groupAlive, type PipeHolder, pipeHolders } from '../executor/pipe-holders.js';
import type { CopyResult, ExecHandle, ExecOptions, Executor } from '../plugin/types.js';
import { SECRET_ENV_PREFIX } from './env-secrets-provider.js';

/** Options of {@link createLocalExecutor}. */
export interface LocalExecutorOptions {
  /**
   * Base environment (default `process.env` without the `FLOWLANE_SECRET_*` variables and the `FLOWLANE_SECRETS_*`
   * ones, such as `FLOWLANE_SECRETS_KEY`, the key of `@flowlane/secrets-file`: a command gets a secret only when a node
   * passes it, `env: { TOKEN: await ctx.getSecret('TOKEN') }`, which also redacts it in that run).
   */
  readonly env?: NodeJS.ProcessEnv | undefined;
  /** Default working directory (default `process.cwd()`). */
  readonly cwd?: string | undefined;
  /** Time between SIGTERM and SIGKILL when a command is stopped, ms. Default 2000. */
  readonly killGraceMs?: number | undefined;
  /** Default output limit (stdout + stderr), bytes. Default 16 MiB. */
  readonly maxOutputBytes?: number | undefined;
  /**
   * How long the output pipes may stay open once the command and every process of its group have exited, ms
   * (checked every `drainMs`; the pipes are closed between one and two periods after the group is gone). Default
   * 2000. A process the command started outside its group (`setsid cmd &`) can hold them open forever; after the
   * drain the pipes are closed, the command settles (`FL_EXEC_FAILED` naming the escaped process, or its stop reason
   * if it was stopped) and `engine.close()` is not held up. Background jobs inside the group are waited for.
   */
  readonly drainMs?: number | undefined;
}

/**
 * The default executor: runs commands on this machine with `child_process.spawn` — argv by default, a shell only
 * with `shell: true` — in their own process group, so a timeout or abort kills the whole tree (SIGTERM, then
 * SIGKILL after a grace period). Artifacts are plain file copies.
 *
 * @example
 * ```ts
 * import { createLocalExecutor } from '@flowlane/core';
 *
 * const local = createLocalExecutor();
 * const { stdout } = await local.exec('echo', { args: ['hello'] }).result; // 'hello\n'
 * await local.dispose();
 * ```
 */
export function createLocalExecutor(options: LocalExecutorOptions = {}): Executor {
  const live = new Set<ChildProcess>();
  const grace = options.killGraceMs ?? 2000;
  const drainMs = options.drainMs ?? 2000;

  // Signal the whole process group until the child's 'close': the direct child may have exited while
  // grandchildren still run (and hold its pipes open).
  const killTree = (child: ChildProcess, signal: NodeJS.Signals): void => {
    if (child.pid === undefined || !live.has(child)) return;
    try {
      process.kill(-child.pid, signal);
    } catch {
      /* group already gone (ESRCH) */
    }
  };

  return {
    exec(command: string, opts: ExecOptions = {}): ExecHandle {
      const label = commandLabel(command, opts.args);
      const run = createCommandRun(label, opts, options.maxOutputBytes);
      let child: ChildProcess;
      try {
        const argv = opts.shell ? ['-c', command, 'sh', ...(opts.args ?? [])] : [...(opts.args ?? [])];
        child = spawn(opts.shell ? '/bin/sh' : command, argv, {
          cwd: opts.cwd ?? options.cwd,
          env: { ...(options.env ?? withoutSecrets(process.env)), ...(opts.env ?? {}) },
          detached: true, // its own process group, so stopping it kills the whole tree
          // Without stdin, /dev/null (EOF at once). Not a pipe: node's pipes are socketpairs, and bash on a socket
          // stdin takes itself for an rshd session and sources ~/.bashrc (0.7 s and the user's aliases, here).
          stdio: [opts.stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
        });
      } catch (error) {
        run.fail(
          new FlowlaneError(
            'FL_EXEC_FAILED',
            { command: label, exitCode: null, stderr: String(error) },
            { cause: error },
          ),
        );
        return run.handle;
      }
      live.add(child);
      let killTimer: NodeJS.Timeout | undefined;
      run.onStop(() => {
        killTree(child, 'SIGTERM');
        killTimer = setTimeout(() => killTree(child, 'SIGKILL'), grace);
        killTimer.unref();
      });
      child.stdout?.on('data', (buf: Buffer) => run.output('stdout', buf));
      child.stderr?.on('data', (buf: Buffer) => run.output('stderr', buf));
      child.stdin?.on('error', () => undefined); // EPIPE when the command does not read stdin
      if (opts.stdin !== undefined) child.stdin?.end(opts.stdin);

      let spawnError: Error | undefined;
      child.on('error', (e) => {
        spawnError = e;
      });
      // Exited, but the pipes may be held by a process that escaped the group: close them after a bounded drain.
      let drainTimer: NodeJS.Timeout | undefined;
      let escaped: PipeHolder[] | undefined;
      let groupGone = false;
      const drain = (): void => {
        // Processes still in the command's group are its own (`cmd &`): their output is waited for as before. Once
        // the group is gone, the pipes get one more full period to deliver what is left and reach EOF.
        const alive = child.pid !== undefined && groupAlive(child.pid);
        if (alive || !groupGone) {
          groupGone = !alive;
          drainTimer = setTimeout(drain, drainMs);
          drainTimer.unref();
          return;
        }
        const fds = [child.stdout, child.stderr].map((s) => (s as { _handle?: { fd?: number } } | null)?._handle?.fd);
        escaped = pipeHolders(fds.filter((fd): fd is number => typeof fd === 'number' && fd >= 0));
        child.stdout?.destroy();
        child.stderr?.destroy();
      };
      child.once('exit', () => {
        drainTimer = setTimeout(drain, drainMs);
        drainTimer.unref();
      });
      child.on('close', (exitCode, signal) => {
        live.delete(child);
        if (killTimer) clearTimeout(killTimer);
        if (drainTimer) clearTimeout(drainTimer);
        // The group may still hold grandchildren that ignored SIGTERM: make sure none survives.
        if (run.stopReason !== undefined && child.pid !== undefined) {
          try {
            process.kill(-child.pid, 'SIGKILL');
          } catch {
            /* group already gone */
          }
        }
        if (spawnError !== undefined && run.stopReason === undefined)
          run.fail(
            new FlowlaneError(
              'FL_EXEC_FAILED',
              { command: label, exitCode: null, stderr: spawnError.message },
              { cause: spawnError },
            ),
          );
        else if (escaped !== undefined && run.stopReason === undefined)
          run.fail(
            new FlowlaneError('FL_EXEC_FAILED', {
              command: label,
              exitCode,
              signal,
              stderr: escapedMessage(escaped, drainMs),
            }),
          );
        else run.finish({ exitCode, signal });
      });
      return run.handle;
    },

    async copyIn(localPath, remotePath, options) {
      return copy(localPath, remotePath, options?.signal);
    },
    async copyOut(remotePath, localPath, options) {
      return copy(remotePath, localPath, options?.signal);
    },
    async healthCheck() {
      const t = performance.now();
      try {
        await this.exec('/bin/sh', { args: ['-c', 'exit 0'] }).result;
        return { healthy: true, latencyMs: performance.now() - t };
      } catch (e) {
        return { healthy: false, message: (e as Error).message };
      }
    },
    async dispose() {
      const waits = [...live].map(
        (c) =>
          new Promise<void>((resolve) => {
            c.once('close', () => resolve());
            killTree(c, 'SIGKILL');
          }),
      );
      await Promise.all(waits);
    },
  };
}

function escapedMessage(holders: readonly PipeHolder[], drainMs: number): string {
  const who =
    holders.length === 0
      ? 'a process it started outside its process group'
      : holders.map((h) => `pid ${h.pid}${h.name === undefined ? '' : ` (${h.name})`}`).join(', ');
  return `the command exited but ${who} still held its output open ${drainMs} ms later; output after the exit was discarded. Redirect the background process's output (cmd >file 2>&1 &) or wait for it`;
}

/** Variables that hold the key of an encrypted secrets file (`FLOWLANE_SECRETS_KEY` of `@flowlane/secrets-file`). */
const SECRETS_KEY_ENV_PREFIX = 'FLOWLANE_SECRETS_';

/** `env` without the variables the default secrets provider reads (`FLOWLANE_SECRET_*`) nor `FLOWLANE_SECRETS_*`. */
function withoutSecrets(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {};
  for (const k of Object.keys(env))
    if (!k.startsWith(SECRET_ENV_PREFIX) && !k.startsWith(SECRETS_KEY_ENV_PREFIX)) out[k] = env[k];
  return out;
}

async function copy(from: string, to: string, signal?: AbortSignal): Promise<CopyResult> {
  // fs.cp cannot be interrupted: the signal is checked between steps.
  const check = (): void => {
    if (signal?.aborted) throw copyCancelled(signal, from);
  };
  check();
  const s = await stat(from);
  await mkdir(dirname(to), { recursive: true });
  check();
  await cp(from, to, { recursive: true, force: true });
  check();
  if (s.isFile()) return { bytes: s.size, files: 1, sha256: await sha256(to) };
  let bytes = 0;
  let files = 0;
  const walk = async (dir: string): Promise<void> => {
    for (const e of await readdir(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) await walk(p);
      else if (e.isFile()) {
        files++;
        bytes += (await stat(p)).size;
      }
    }
  };
  await walk(to);
  return { bytes, files };
}

function sha256(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const h = createHash('sha256');
    createReadStream(path)
      .on('data', (d) => h.update(d))
      .on('error', reject)
      .on('end', () => resolve(h.digest('hex')));
  });
}
