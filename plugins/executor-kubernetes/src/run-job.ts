/* Internal: one command as a batch/v1 Job — create, wait for the pod, stream its log, read the exit code, delete. */
import type { CommandRun } from '@flowlane/core';
import type { BatchV1Api, CoreV1Api, KubeConfig, V1ContainerStateTerminated, V1Pod } from '@kubernetes/client-node';
import { httpStatusOf, toKubernetesError } from './api-errors.js';
import { KubernetesExecutorError } from './errors.js';
import { JOB_CONTAINER, type JobCommand, jobManifest, jobName } from './job-manifest.js';
import type { JobTarget } from './options.js';
import { followPodLog, type LogFollow, type LogStream } from './pod-log.js';
import { waitForPods } from './pod-watch.js';

/** What the executor lends a Job run. */
export interface JobRunContext {
  readonly kc: KubeConfig;
  readonly core: CoreV1Api;
  readonly batch: BatchV1Api;
  readonly server: string;
  /** Work that must finish before the executor is disposed (Job deletions). */
  track(work: Promise<unknown>): void;
}

/** Waiting reasons after which the container will not start without someone changing something. */
const START_FAILURES = new Set([
  'ErrImagePull',
  'ImagePullBackOff',
  'ErrImageNeverPull',
  'InvalidImageName',
  'CreateContainerConfigError',
  'CreateContainerError',
]);

const oldest = (pods: V1Pod[]): V1Pod | undefined =>
  pods.sort(
    (a, b) => (a.metadata?.creationTimestamp?.getTime() ?? 0) - (b.metadata?.creationTimestamp?.getTime() ?? 0),
  )[0];

const mainState = (pod: V1Pod) =>
  pod.status?.containerStatuses?.find((c) => c.name === JOB_CONTAINER)?.state ?? undefined;

/**
 * Runs `command` as a Job of `target` and settles `run`: output from the followed log (stdout, or both streams
 * with `logStreams: 'split'`), the exit code from the container's terminated state. The Job is deleted with
 * `propagationPolicy: Background` when the command ends (unless `target.keep`) and whenever `run` is stopped.
 */
export async function runJob(
  ctx: JobRunContext,
  run: CommandRun,
  target: JobTarget,
  namespace: string,
  command: JobCommand,
): Promise<void> {
  const name = jobName(target.namePrefix);
  const stopped = new AbortController();
  const follows = new Set<LogFollow>();
  let created = false;
  let deletion: Promise<void> | undefined;
  const remove = (): Promise<void> => {
    deletion ??= ctx.batch.deleteNamespacedJob({ name, namespace, propagationPolicy: 'Background' }).then(
      () => undefined,
      () => undefined, // already gone, or not ours to delete: ttlSecondsAfterFinished is the backstop
    );
    return deletion;
  };
  run.onStop(() => {
    stopped.abort();
    for (const f of follows) f.close();
    if (created) ctx.track(remove());
  });
  const lost = (reason: string) => new KubernetesExecutorError('FL_K8S_JOB_LOST', { namespace, job: name, reason });
  const pods = <T>(decide: (pods: ReadonlyMap<string, V1Pod>) => T | undefined | Promise<T | undefined>) =>
    waitForPods({
      kc: ctx.kc,
      core: ctx.core,
      server: ctx.server,
      namespace,
      labelSelector: `job-name=${name}`,
      signal: stopped.signal,
      decide,
    });

  /** Waits until the Job's pod runs or has finished; typed errors when it cannot start or vanished. */
  const podStarted = (): Promise<string> =>
    pods(async (current) => {
      const pod = oldest([...current.values()]);
      if (pod === undefined) {
        // No pod yet (or it was deleted): fine while the Job lives and has not failed.
        const job = await ctx.batch.readNamespacedJob({ name, namespace }).catch((e: unknown) => {
          throw httpStatusOf(e) === 404 ? lost('the Job was deleted') : toKubernetesError('get job', e, ctx.server);
        });
        const failed = job.status?.conditions?.find((c) => c.type === 'Failed' && c.status === 'True');
        if (failed)
          throw lost(`${failed.reason ?? 'Failed'}: ${failed.message ?? 'the Job failed before its pod ran'}`);
        return undefined;
      }
      const state = mainState(pod);
      if (state?.running !== undefined || state?.terminated !== undefined) return pod.metadata?.name ?? '';
      if (state?.waiting?.reason !== undefined && START_FAILURES.has(state.waiting.reason))
        throw new KubernetesExecutorError('FL_K8S_JOB_START_FAILED', {
          namespace,
          job: name,
          pod: pod.metadata?.name ?? '',
          reason: state.waiting.reason,
          message: state.waiting.message ?? '',
        });
      if (pod.status?.phase === 'Failed')
        throw lost(`pod ${pod.status.reason ?? 'failed'}: ${pod.status.message ?? ''}`);
      return undefined;
    });

  /** Waits until the pod's container reports how it ended (usually already so once its log ended). */
  const terminated = (pod: string): Promise<V1ContainerStateTerminated> =>
    pods((current) => {
      const now = current.get(pod);
      if (now === undefined) throw lost(`its pod ${pod} was deleted`);
      const state = mainState(now)?.terminated;
      if (state !== undefined) return state;
      if (now.status?.phase === 'Failed')
        throw lost(`pod ${now.status.reason ?? 'failed'}: ${now.status.message ?? ''}`);
      return undefined;
    });

  try {
    const manifest = jobManifest(target, name, namespace, command);
    await ctx.batch.createNamespacedJob({ namespace, body: manifest }).catch((e: unknown) => {
      throw toKubernetesError('create job', e, ctx.server);
    });
    created = true;
    stopped.signal.throwIfAborted(); // stopped while the Job was being created
    const pod = await podStarted();
    const ref = { namespace, pod, container: JOB_CONTAINER };
    const streams: [LogStream, 'stdout' | 'stderr'][] =
      target.logStreams === 'split'
        ? [
            ['Stdout', 'stdout'],
            ['Stderr', 'stderr'],
          ]
        : [['All', 'stdout']];
    const complete = await Promise.all(
      streams.map(([query, stream]) => {
        const follow = followPodLog(ctx.kc, ref, query, (chunk) => run.output(stream, chunk));
        follows.add(follow);
        return follow.done.catch((e: unknown) =>
          Promise.reject(
            httpStatusOf(e) === 404 ? lost(`its pod ${pod} was deleted`) : toKubernetesError('pod log', e, ctx.server),
          ),
        );
      }),
    );
    stopped.signal.throwIfAborted();
    const end = await terminated(pod);
    if (!complete.every(Boolean))
      run.output(
        'stderr',
        Buffer.from(`[flowlane] the log stream of pod ${namespace}/${pod} was cut; output is missing\n`),
      );
    if (end.reason === 'StartError' || end.reason === 'ContainerCannotRun')
      run.output('stderr', Buffer.from(`${end.message ?? end.reason}\n`));
    if (!target.keep) await remove();
    run.finish({ exitCode: end.exitCode });
  } catch (error) {
    for (const f of follows) f.close(); // one stream failed: do not leave the other one open
    if (created && (run.stopReason !== undefined || !target.keep)) await remove();
    run.fail(error);
  }
}
