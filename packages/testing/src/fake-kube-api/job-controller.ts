/* Internal: batch/v1 Jobs — each runs one pod whose container command runs on this machine. */
import { spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { exitCodeOf, notFound, statusBody } from './api-status.js';
import type { ProcessHost } from './exec-session.js';
import type { ApiFailure, ContainerSpec, PodRecord, PodStore } from './pod-store.js';
import type { FakeJob, FakeJobOptions, FakeJobRecord } from './types.js';

interface JobRecord {
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
  readonly created: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly spec: Readonly<Record<string, unknown>>;
  readonly ttlSeconds: number | undefined;
  pod: PodRecord | undefined;
  state: FakeJob['state'];
  exitCode: number | undefined;
  startTime: string;
  completionTime: string | undefined;
  ttlTimer: NodeJS.Timeout | undefined;
}

/** A successful answer: HTTP status and JSON body. */
export interface ApiAnswer {
  readonly code: number;
  readonly body: Record<string, unknown>;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const now = () => new Date().toISOString();
const suffix = () => [...randomBytes(5)].map((b) => 'bcdfghjklmnpqrstvwxz2456789'[b % 27]).join(''); // Kubernetes' alphabet
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const invalid = (name: string, message: string): ApiFailure => ({
  code: 422,
  body: statusBody(422, `Job.batch "${name}" is invalid: ${message}`, { name, group: 'batch', kind: 'Job' }),
});

/** The Job controller and kubelet in one: creates a Job's pod, runs its command, reports status, cleans up. */
export class JobController {
  readonly #jobs = new Map<string, JobRecord>();
  readonly #pods: PodStore;
  readonly #host: ProcessHost;
  readonly #options: FakeJobOptions;
  /** Every Job created, with its manifest. */
  readonly log: FakeJobRecord[] = [];

  constructor(pods: PodStore, host: ProcessHost, options: FakeJobOptions = {}) {
    this.#pods = pods;
    this.#host = host;
    this.#options = options;
  }

  /** `POST /apis/batch/v1/namespaces/{ns}/jobs`. */
  create(namespace: string, body: unknown): ApiFailure | ApiAnswer {
    if (!isObj(body)) return { code: 400, body: statusBody(400, 'the request body is not a Job object') };
    const metadata = isObj(body.metadata) ? body.metadata : {};
    const name =
      typeof metadata.name === 'string'
        ? metadata.name
        : typeof metadata.generateName === 'string'
          ? `${metadata.generateName}${suffix()}`
          : '';
    if (name === '') return invalid(name, 'metadata.name: Required value: name or generateName is required');
    if (name.length > 63 || !DNS_LABEL.test(name))
      return invalid(name, 'metadata.name: Invalid value: must be a DNS-1123 label of at most 63 characters');
    if (this.#jobs.has(`${namespace}/${name}`))
      return { code: 409, body: statusBody(409, `jobs.batch "${name}" already exists`, { name, kind: 'jobs' }) };
    const spec = isObj(body.spec) ? body.spec : {};
    const template = isObj(spec.template) ? spec.template : {};
    const podSpec = isObj(template.spec) ? template.spec : {};
    const containers = Array.isArray(podSpec.containers) ? (podSpec.containers as ContainerSpec[]) : [];
    if (containers.length === 0 || containers.some((c) => !isObj(c) || typeof c.name !== 'string' || !c.image))
      return invalid(name, 'spec.template.spec.containers: Required value: every container needs a name and an image');
    if (podSpec.restartPolicy !== 'Never' && podSpec.restartPolicy !== 'OnFailure')
      return invalid(name, 'spec.template.spec.restartPolicy: Required value: valid values: "OnFailure", "Never"');

    const uid = randomUUID();
    const created = now();
    const labels = isObj(metadata.labels) ? (metadata.labels as Record<string, string>) : {};
    const templateLabels = isObj(template.metadata) && isObj(template.metadata.labels) ? template.metadata.labels : {};
    const podLabels = {
      ...(templateLabels as Record<string, string>),
      'batch.kubernetes.io/controller-uid': uid,
      'batch.kubernetes.io/job-name': name,
      'controller-uid': uid,
      'job-name': name,
    };
    const ttl = typeof spec.ttlSecondsAfterFinished === 'number' ? spec.ttlSecondsAfterFinished : undefined;
    const job: JobRecord = {
      namespace,
      name,
      uid,
      created,
      labels,
      spec: {
        ...spec,
        backoffLimit: spec.backoffLimit ?? 6,
        completions: 1,
        parallelism: 1,
        selector: { matchLabels: { 'batch.kubernetes.io/controller-uid': uid } },
        template: { metadata: { labels: podLabels }, spec: podSpec },
      },
      ttlSeconds: ttl,
      pod: undefined,
      state: 'pending',
      exitCode: undefined,
      startTime: created,
      completionTime: undefined,
      ttlTimer: undefined,
    };
    this.#jobs.set(`${namespace}/${name}`, job);
    this.log.push({ namespace, name, manifest: { ...body, metadata: { ...metadata, name } } });

    const pod: PodRecord = {
      namespace,
      name: `${name}-${suffix()}`,
      uid: randomUUID(),
      created,
      labels: podLabels,
      spec: { ...podSpec, containers },
      phase: 'Pending',
      ready: true,
      state: { waiting: { reason: 'ContainerCreating' } },
      job: { name, uid },
      child: undefined,
      startTimer: undefined,
      log: [],
      followers: new Set(),
      deleted: false,
    };
    job.pod = pod;
    this.#pods.add(pod);
    const image = String(containers[0]!.image);
    if (this.#options.unpullableImages?.includes(image)) {
      pod.state = {
        waiting: {
          reason: 'ErrImagePull',
          message: `failed to pull and unpack image "${image}": not found (the fake API server's unpullableImages)`,
        },
      };
      this.#pods.changed(pod);
    } else {
      pod.startTimer = setTimeout(() => this.#start(job, pod, containers[0]!), this.#options.startDelayMs ?? 0);
    }
    return { code: 201, body: this.json(job) };
  }

  /** `GET …/jobs/{name}` (and `/status`). */
  get(namespace: string, name: string): ApiFailure | ApiAnswer {
    const job = this.#jobs.get(`${namespace}/${name}`);
    return job === undefined
      ? { code: 404, body: notFound('jobs', name, 'batch') }
      : { code: 200, body: this.json(job) };
  }

  /** `GET …/jobs` with an optional label selector (matched against the Job's labels). */
  list(namespace: string, matches: (labels: Readonly<Record<string, string>>) => boolean): ApiAnswer {
    const items = [...this.#jobs.values()]
      .filter((j) => j.namespace === namespace && matches(j.labels))
      .map((j) => this.json(j));
    return { code: 200, body: { apiVersion: 'batch/v1', kind: 'JobList', metadata: {}, items } };
  }

  /**
   * `DELETE …/jobs/{name}`: `Background`/`Foreground` propagation deletes the pod (killing its command); anything
   * else orphans it, as the real API does for batch/v1 Jobs.
   */
  delete(namespace: string, name: string, propagationPolicy: string | undefined): ApiFailure | ApiAnswer {
    const job = this.#jobs.get(`${namespace}/${name}`);
    if (job === undefined) return { code: 404, body: notFound('jobs', name, 'batch') };
    this.#jobs.delete(`${namespace}/${name}`);
    if (job.ttlTimer !== undefined) clearTimeout(job.ttlTimer);
    const pod = job.pod;
    if (pod !== undefined && !pod.deleted) {
      if (propagationPolicy === 'Background' || propagationPolicy === 'Foreground')
        this.#pods.remove(pod.namespace, pod.name);
      else {
        pod.job = undefined;
        this.#pods.changed(pod);
      }
    }
    return {
      code: 200,
      body: {
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Success',
        details: { name, group: 'batch', kind: 'jobs', uid: job.uid },
      },
    };
  }

  snapshots(): FakeJob[] {
    return [...this.#jobs.values()].map((j) => ({
      namespace: j.namespace,
      name: j.name,
      uid: j.uid,
      pod: j.pod === undefined || j.pod.deleted ? undefined : j.pod.name,
      pid: j.pod === undefined ? undefined : this.#pods.snapshot(j.pod).pid,
      state: j.state,
      exitCode: j.exitCode,
    }));
  }

  dispose(): void {
    for (const job of this.#jobs.values()) if (job.ttlTimer !== undefined) clearTimeout(job.ttlTimer);
  }

  json(job: JobRecord): Record<string, unknown> {
    const condition = (type: string, reason: string, message: string) => ({
      type,
      status: 'True',
      reason,
      message,
      lastProbeTime: job.completionTime ?? now(),
      lastTransitionTime: job.completionTime ?? now(),
    });
    const status: Obj = { startTime: job.startTime, ready: job.state === 'running' ? 1 : 0, terminating: 0 };
    if (job.state === 'pending' || job.state === 'running') status.active = 1;
    if (job.state === 'succeeded') {
      status.succeeded = 1;
      status.completionTime = job.completionTime;
      const why = 'Reached expected number of succeeded pods';
      status.conditions = [
        condition('SuccessCriteriaMet', 'CompletionsReached', why),
        condition('Complete', 'CompletionsReached', why),
      ];
    }
    if (job.state === 'failed') {
      status.failed = 1;
      const why = 'Job has reached the specified backoff limit';
      status.conditions = [
        condition('FailureTarget', 'BackoffLimitExceeded', why),
        condition('Failed', 'BackoffLimitExceeded', why),
      ];
    }
    return {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: {
        name: job.name,
        namespace: job.namespace,
        uid: job.uid,
        creationTimestamp: job.created,
        labels: { ...job.labels },
      },
      spec: job.spec,
      status,
    };
  }

  #start(job: JobRecord, pod: PodRecord, container: ContainerSpec): void {
    pod.startTimer = undefined;
    const startedAt = now();
    const argv = [...(container.command ?? []), ...(container.args ?? [])];
    if (argv.length === 0) {
      const message = 'the fake API server runs container commands on the host and knows no image entrypoints';
      this.#terminate(job, pod, { exitCode: 128, reason: 'StartError', message }, startedAt);
      return;
    }
    const env: NodeJS.ProcessEnv = { ...process.env };
    for (const e of container.env ?? []) env[e.name] = e.value ?? '';
    const child = spawn(argv[0]!, argv.slice(1), {
      cwd: container.workingDir ?? this.#host.cwd,
      env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    pod.child = child;
    const forget = this.#host.track(child, argv);
    let spawnError: Error | undefined;
    child.on('error', (e) => {
      spawnError = e;
    });
    child.on('spawn', () => {
      if (pod.deleted) return;
      pod.state = { running: { startedAt } };
      pod.phase = 'Running';
      job.state = 'running';
      this.#pods.changed(pod);
    });
    child.stdout?.on('data', (data: Buffer) => this.#pods.appendLog(pod, { stream: 'stdout', data }));
    child.stderr?.on('data', (data: Buffer) => this.#pods.appendLog(pod, { stream: 'stderr', data }));
    child.on('close', (code, signal) => {
      forget();
      this.#terminate(
        job,
        pod,
        spawnError === undefined
          ? { exitCode: exitCodeOf(code, signal), reason: code === 0 ? 'Completed' : 'Error' }
          : {
              exitCode: 128,
              reason: 'StartError',
              message: `failed to create containerd task: exec: "${argv[0]}": ${spawnError.message}`,
            },
        startedAt,
      );
    });
  }

  #terminate(
    job: JobRecord,
    pod: PodRecord,
    end: { exitCode: number; reason: string; message?: string },
    startedAt: string,
  ): void {
    if (pod.deleted) return;
    const finishedAt = now();
    pod.state = { terminated: { ...end, startedAt, finishedAt } };
    pod.phase = end.exitCode === 0 ? 'Succeeded' : 'Failed';
    this.#pods.changed(pod);
    this.#pods.endLogs(pod);
    if (this.#jobs.get(`${job.namespace}/${job.name}`) !== job) return;
    job.exitCode = end.exitCode;
    job.state = end.exitCode === 0 ? 'succeeded' : 'failed';
    if (end.exitCode === 0) job.completionTime = finishedAt;
    if (job.ttlSeconds !== undefined) {
      job.ttlTimer = setTimeout(() => this.delete(job.namespace, job.name, 'Background'), job.ttlSeconds * 1000);
      job.ttlTimer.unref();
    }
  }
}
