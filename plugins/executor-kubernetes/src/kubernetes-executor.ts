import { randomUUID } from 'node:crypto';
import { lstat } from 'node:fs/promises';
import { posix } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { extractTo, packPath } from '@flowlane/artifacts';
import {
  type CommandRun,
  type CopyOptions,
  type CopyResult,
  commandLabel,
  copyCancelled,
  createCommandRun,
  type ExecHandle,
  type ExecOptions,
  type Executor,
  FlowlaneError,
  type HealthStatus,
} from '@flowlane/core';
import { BatchV1Api, CoreV1Api, Exec, VersionApi } from '@kubernetes/client-node';
import { toKubernetesError } from './api-errors.js';
import { KubernetesExecutorError } from './errors.js';
import { MANAGED_BY } from './job-manifest.js';
import { loadKubeConfig } from './kube-config.js';
import { rejectUnknownKeys } from './option-keys.js';
import type { JobTarget, KubernetesExecutorOptions, PodTarget } from './options.js';
import { closeOnFailure, type ExecSocket, podExec, sink } from './pod-exec.js';
import { type PodRef, parseTarget, resolvePod } from './pod-resolver.js';
import { type JobRunContext, runJob } from './run-job.js';

/** A command's target, looked up: a Job to run or a pod to exec into. */
type Destination =
  | { readonly kind: 'job'; readonly name: string; readonly job: JobTarget }
  | { readonly kind: 'pod'; readonly pod: PodTarget };

/** Records the shell's pid (a process-group leader under exec), runs the command, cleans up. */
const WRAPPER = 'f=$1; shift; { echo $$ >"$f"; } 2>/dev/null; "$@"; s=$?; rm -f "$f"; exit $s';
/** Kills the recorded process group (and the pid itself, should it not lead a group). */
const KILLER = 'p=$(cat "$0" 2>/dev/null) || exit 0; kill -9 -"$p" 2>/dev/null; kill -9 "$p" 2>/dev/null; rm -f "$0"';
const CWD = 'cd -- "$0" && exec "$@"';
const UNTAR = 'mkdir -p -- "$0" && exec tar -x -o -f - -C "$0"';
const TAR = '[ -e "$0/$1" ] || [ -L "$0/$1" ] || exit 66; exec tar -c -f - -C "$0" "./$1"';
const MISSING = 66;

/**
 * An {@link Executor} that runs commands in Kubernetes pods through the API server's exec endpoint (WebSocket,
 * `v5.channel.k8s.io`), with `@kubernetes/client-node`. Output is streamed per stream, the exit code comes from the
 * exec status frame, a timeout or abort kills the command's process group and closes the stream, and artifacts move
 * as tar over exec (like `kubectl cp`; the container needs `/bin/sh` and `tar`). A command's `target` picks a
 * configured {@link PodTarget} (pod name or label selector) or is read as `[namespace/]pod[:container]`. A
 * configured {@link JobTarget} (`kind: 'job'`) instead runs each command as a `batch/v1` Job from an image: its log
 * is followed into `output$`, the exit code read from the container's terminated state, and the Job deleted
 * afterwards (unless `keep`) and on timeout or abort.
 *
 * @example
 * ```ts
 * import { createKubernetesExecutor } from '@flowlane/executor-kubernetes';
 *
 * const k8s = createKubernetesExecutor({
 *   kubeConfig: { from: 'file', path: `${process.env.HOME}/.kube/config` },
 *   targets: {
 *     web: { namespace: 'prod', labelSelector: 'app=web', container: 'app' },
 *     unit: { kind: 'job', namespace: 'ci', image: 'node:20-alpine' },
 *   },
 * });
 * const { stdout } = await k8s.exec('cat', { args: ['/etc/hostname'], target: 'web' }).result;
 * await k8s.exec('node', { args: ['--test'], target: 'unit', timeout: 600_000 }).result;
 * await k8s.dispose();
 * ```
 */
export function createKubernetesExecutor(options: KubernetesExecutorOptions = {}): Executor {
  rejectUnknownKeys(options);
  const kc = loadKubeConfig(options.kubeConfig);
  const server = kc.getCurrentCluster()?.server ?? '(unknown)';
  const namespace = options.namespace ?? kc.getContextObject(kc.getCurrentContext())?.namespace ?? 'default';
  const core = kc.makeApiClient(CoreV1Api);
  const exec = new Exec(kc);
  const killable = options.killable ?? true;
  const running = new Set<ExecHandle>();
  /** Killer execs still in flight (awaited by dispose). */
  const pending = new Set<Promise<unknown>>();
  let disposed: Promise<void> | undefined;

  const track = (p: Promise<unknown>): void => {
    pending.add(p);
    void p.catch(() => undefined).finally(() => pending.delete(p));
  };

  const jobs: JobRunContext = {
    kc,
    core,
    batch: kc.makeApiClient(BatchV1Api),
    server,
    track,
  };

  const destination = (target: string | undefined): Destination => {
    const name = target ?? options.defaultTarget;
    if (name === undefined)
      throw new KubernetesExecutorError('FL_K8S_TARGET_REQUIRED', { targets: Object.keys(options.targets ?? {}) });
    const configured = options.targets?.[name];
    if (configured?.kind === 'job') return { kind: 'job', name, job: configured };
    return { kind: 'pod', pod: configured ?? parseTarget(name) };
  };

  /** The pod to exec into for `feature` (Job targets have none: `FL_K8S_JOB_UNSUPPORTED`). */
  const resolveTarget = async (target: string | undefined, feature: string): Promise<PodRef> => {
    const dest = destination(target);
    if (dest.kind === 'job')
      throw new KubernetesExecutorError('FL_K8S_JOB_UNSUPPORTED', { target: dest.name, feature });
    return resolvePod(core, dest.pod, namespace, server);
  };

  const runCommand = async (run: CommandRun, ref: PodRef, argv: readonly string[], stdin: Buffer | undefined) => {
    const pidFile = `/tmp/.flowlane-exec-${randomUUID()}.pid`;
    let socket: ExecSocket | undefined;
    run.onStop(() => {
      socket?.close();
      if (killable)
        track(
          podExec(
            exec,
            ref,
            ['/bin/sh', '-c', KILLER, pidFile],
            { stdin: null, stdout: sink(), stderr: sink() },
            server,
            () => undefined,
          ),
        );
    });
    const outcome = await podExec(
      exec,
      ref,
      killable ? ['/bin/sh', '-c', WRAPPER, 'sh', pidFile, ...argv] : argv,
      {
        stdin: stdin === undefined ? null : Readable.from([stdin]),
        stdout: sink((c) => run.output('stdout', c)),
        stderr: sink((c) => run.output('stderr', c)),
      },
      server,
      (s) => {
        socket = s;
        if (run.stopReason !== undefined) s.close();
      },
    );
    if (outcome.message !== undefined) run.output('stderr', Buffer.from(`${outcome.message}\n`));
    run.finish({ exitCode: outcome.exitCode });
  };

  return {
    exec(command: string, opts: ExecOptions = {}): ExecHandle {
      const run = createCommandRun(commandLabel(command, opts.args), opts, options.maxOutputBytes);
      if (disposed !== undefined) {
        run.fail(
          new FlowlaneError('FL_CANCELLED', { executionId: '-', reason: 'the Kubernetes executor was disposed' }),
        );
        return run.handle;
      }
      running.add(run.handle);
      const forget = () => running.delete(run.handle);
      run.handle.result.then(forget, forget);
      let dest: Destination;
      try {
        dest = destination(opts.target);
        if (dest.kind === 'job' && opts.stdin !== undefined)
          throw new KubernetesExecutorError('FL_K8S_JOB_UNSUPPORTED', { target: dest.name, feature: 'stdin' });
      } catch (error) {
        run.fail(error);
        return run.handle;
      }
      if (dest.kind === 'job') {
        const argv = opts.shell
          ? ['/bin/sh', '-c', command, 'sh', ...(opts.args ?? [])]
          : [command, ...(opts.args ?? [])];
        if (run.stopReason !== undefined) run.fail(run.stopReason);
        else
          runJob(jobs, run, dest.job, dest.job.namespace ?? namespace, { argv, env: opts.env, cwd: opts.cwd }).catch(
            (error: unknown) => run.fail(error),
          );
        return run.handle;
      }
      let argv = opts.shell ? ['/bin/sh', '-c', command, 'sh', ...(opts.args ?? [])] : [command, ...(opts.args ?? [])];
      const env = Object.entries(opts.env ?? {}).map(([k, v]) => `${k}=${v}`);
      if (env.length > 0) argv = ['env', ...env, ...argv];
      if (opts.cwd !== undefined) argv = ['/bin/sh', '-c', CWD, opts.cwd, ...argv];
      const stdin = opts.stdin === undefined ? undefined : Buffer.from(opts.stdin);
      resolvePod(core, dest.pod, namespace, server)
        .then((ref) => (run.stopReason === undefined ? runCommand(run, ref, argv, stdin) : run.fail(run.stopReason)))
        .catch((error: unknown) => run.fail(error));
      return run.handle;
    },

    async copyIn(localPath: string, remotePath: string, opts: CopyOptions = {}): Promise<CopyResult> {
      const { signal } = opts;
      if (signal?.aborted) throw copyCancelled(signal, localPath);
      // A Job target refuses copies before the local path is looked at (the fix is the target, not the path).
      const dest = destination(opts.target);
      if (dest.kind === 'job')
        throw new KubernetesExecutorError('FL_K8S_JOB_UNSUPPORTED', { target: dest.name, feature: 'copyIn' });
      try {
        await lstat(localPath);
      } catch (error) {
        throw new KubernetesExecutorError(
          'FL_K8S_PATH_NOT_FOUND',
          { side: 'local', path: localPath },
          { cause: error },
        );
      }
      const ref = await resolveTarget(opts.target, 'copyIn');
      if (signal?.aborted) throw copyCancelled(signal, localPath);
      // Aborting closes the file being packed (packPath) and hangs up the exec, which stops the remote tar.
      const packed = packPath(localPath, posix.basename(remotePath), [], { signal });
      const stdin = new PassThrough();
      packed.stream.pipe(stdin);
      // A local read error must not leave tar waiting for the rest of the archive: hang up, then report it.
      const hangUp = closeOnFailure(packed.done, signal);
      let stderr = '';
      let outcome: Awaited<ReturnType<typeof podExec>>;
      let totals: CopyResult;
      try {
        [outcome, totals] = await Promise.all([
          podExec(
            exec,
            ref,
            ['/bin/sh', '-c', UNTAR, posix.dirname(remotePath)],
            { stdin, stdout: sink(), stderr: sink((c) => (stderr += c.toString())) },
            server,
            hangUp,
          ).catch(async (error: unknown) => {
            await packed.done; // the local failure, if that is why the stream closed
            throw error;
          }),
          packed.done,
        ]);
      } catch (error) {
        throw signal?.aborted ? copyCancelled(signal, localPath) : error;
      } finally {
        hangUp.release();
      }
      if (signal?.aborted) throw copyCancelled(signal, localPath);
      if (outcome.exitCode !== 0)
        throw new KubernetesExecutorError('FL_K8S_COPY_FAILED', {
          path: remotePath,
          exitCode: outcome.exitCode,
          stderr: stderr || (outcome.message ?? ''),
        });
      return totals;
    },

    async copyOut(remotePath: string, localPath: string, opts: CopyOptions = {}): Promise<CopyResult> {
      const { signal } = opts;
      if (signal?.aborted) throw copyCancelled(signal, remotePath);
      const ref = await resolveTarget(opts.target, 'copyOut');
      if (signal?.aborted) throw copyCancelled(signal, remotePath);
      const archive = new PassThrough();
      const extraction = extractTo(archive, localPath);
      extraction.catch(() => undefined);
      // A refused or unwritable entry ends the copy: stop tar instead of buffering the rest. Aborting hangs up too.
      const hangUp = closeOnFailure(extraction, signal);
      let stderr = '';
      let outcome: Awaited<ReturnType<typeof podExec>>;
      try {
        outcome = await podExec(
          exec,
          ref,
          ['/bin/sh', '-c', TAR, posix.dirname(remotePath), posix.basename(remotePath)],
          { stdin: null, stdout: archive, stderr: sink((c) => (stderr += c.toString())) },
          server,
          hangUp,
        ).catch(async (error: unknown) => {
          if (signal?.aborted) throw copyCancelled(signal, remotePath);
          await extraction; // the local failure, if that is why the stream closed
          throw error;
        });
      } finally {
        hangUp.release();
        if (!archive.writableEnded) archive.end();
      }
      if (signal?.aborted) {
        await extraction.catch(() => undefined); // let the partial extraction finish writing before reporting
        throw copyCancelled(signal, remotePath);
      }
      if (outcome.exitCode === MISSING)
        throw new KubernetesExecutorError('FL_K8S_PATH_NOT_FOUND', { side: 'pod', path: remotePath });
      if (outcome.exitCode !== 0)
        throw new KubernetesExecutorError('FL_K8S_COPY_FAILED', {
          path: remotePath,
          exitCode: outcome.exitCode,
          stderr: stderr || (outcome.message ?? ''),
        });
      return extraction;
    },

    async healthCheck(
      opts: { target?: string | undefined; signal?: AbortSignal | undefined } = {},
    ): Promise<HealthStatus> {
      const started = performance.now();
      try {
        opts.signal?.throwIfAborted();
        await kc.makeApiClient(VersionApi).getCode();
        if (opts.target !== undefined || options.defaultTarget !== undefined) {
          const dest = destination(opts.target);
          if (dest.kind === 'pod') await resolvePod(core, dest.pod, namespace, server);
          // A Job target: its namespace must be readable (the executor lists the Jobs' pods there).
          else
            await core.listNamespacedPod({
              namespace: dest.job.namespace ?? namespace,
              labelSelector: Object.entries(MANAGED_BY)
                .map(([k, v]) => `${k}=${v}`)
                .join(','),
              limit: 1,
            });
        }
        return { healthy: true, latencyMs: performance.now() - started };
      } catch (error) {
        return { healthy: false, message: toKubernetesError('health check', error, server).message };
      }
    },

    dispose(): Promise<void> {
      disposed ??= (async () => {
        const handles = [...running];
        for (const h of handles) h.kill('the Kubernetes executor was disposed');
        await Promise.all(handles.map((h) => h.result.catch(() => undefined)));
        await Promise.all([...pending].map((p) => p.catch(() => undefined)));
      })();
      return disposed;
    },
  };
}
