/* Internal: the fake's pods — standalone ones and Jobs' — their JSON, container states and logs. */
import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { killGroup, matchesSelector, notFound, statusBody } from './api-status.js';
import type { FakePod, FakePodState } from './types.js';

export type Phase = 'Pending' | 'Running' | 'Succeeded' | 'Failed';

/** The part of a container spec the fake reads. */
export interface ContainerSpec {
  readonly name: string;
  readonly image?: string | undefined;
  readonly command?: readonly string[] | undefined;
  readonly args?: readonly string[] | undefined;
  readonly env?: readonly { readonly name: string; readonly value?: string | undefined }[] | undefined;
  readonly workingDir?: string | undefined;
}

export type ContainerState =
  | { readonly waiting: { readonly reason: string; readonly message?: string | undefined } }
  | { readonly running: { readonly startedAt: string } }
  | {
      readonly terminated: {
        readonly exitCode: number;
        readonly reason: string;
        readonly message?: string | undefined;
        readonly startedAt: string;
        readonly finishedAt: string;
      };
    };

/** A chunk of container output, kept per stream as the kubelet's log does. */
export interface LogChunk {
  readonly stream: 'stdout' | 'stderr';
  readonly data: Buffer;
}

/** A client following a pod's log. */
export interface LogFollower {
  write(chunk: LogChunk): void;
  end(): void;
}

export interface PodRecord {
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
  readonly created: string;
  readonly labels: Readonly<Record<string, string>>;
  /** The pod spec as served (`containers` plus whatever the Job template carried). */
  readonly spec: { readonly containers: readonly ContainerSpec[] } & Readonly<Record<string, unknown>>;
  phase: Phase;
  /** The `Ready` condition while the container runs (always true for Job pods). */
  readonly ready: boolean;
  /** One state for every container. */
  state: ContainerState;
  /** Owning Job; cleared when the Job is deleted with orphaning. */
  job: { readonly name: string; readonly uid: string } | undefined;
  child: ChildProcess | undefined;
  startTimer: NodeJS.Timeout | undefined;
  readonly log: LogChunk[];
  readonly followers: Set<LogFollower>;
  deleted: boolean;
  /** `metadata.resourceVersion`: the store's version at this pod's last change (set by the store). */
  resourceVersion?: string;
}

/** A watch event as the API server streams it (one JSON object per line). */
export interface WatchEvent {
  readonly type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'ERROR';
  readonly object: Record<string, unknown>;
}

/** Which pods a watch wants. */
export interface PodWatchFilter {
  readonly namespace: string;
  readonly labelSelector: string;
  /** `metadata.name=<name>` from a `fieldSelector`, the only field selector the fake understands. */
  readonly name: string | undefined;
}

const now = () => new Date().toISOString();

/** An error answer: HTTP status and `Status` body. */
export interface ApiFailure {
  readonly code: number;
  readonly body: Record<string, unknown>;
}

/** What a log request gets: the log so far and whether to keep following. */
export interface LogAnswer {
  readonly initial: Buffer;
  readonly follow: boolean;
  readonly accepts: (chunk: LogChunk) => boolean;
}

export class PodStore {
  readonly #pods = new Map<string, PodRecord>();
  #version = 0;
  /** Recent changes, oldest first: what a watch from a past `resourceVersion` replays. */
  readonly #history: { readonly version: number; readonly pod: PodRecord; readonly event: WatchEvent }[] = [];
  readonly #watchers = new Set<{ readonly filter: PodWatchFilter; readonly send: (e: WatchEvent) => void }>();

  /** @param historySize How many past changes are kept for watches that resume from a `resourceVersion`. */
  constructor(readonly historySize = 1000) {}

  static key = (namespace: string, name: string): string => `${namespace}/${name}`;

  /** Adds (or replaces) a standalone pod. */
  addStandalone(pod: FakePod): void {
    const phase = pod.phase ?? 'Running';
    const state: ContainerState =
      phase === 'Running'
        ? { running: { startedAt: now() } }
        : phase === 'Pending'
          ? { waiting: { reason: 'ContainerCreating' } }
          : {
              terminated: {
                exitCode: phase === 'Succeeded' ? 0 : 1,
                reason: phase === 'Succeeded' ? 'Completed' : 'Error',
                startedAt: now(),
                finishedAt: now(),
              },
            };
    this.add({
      namespace: pod.namespace ?? 'default',
      name: pod.name,
      uid: randomUUID(),
      created: now(),
      labels: { ...pod.labels },
      spec: { containers: (pod.containers ?? ['main']).map((name) => ({ name, image: 'flowlane-fake' })) },
      phase,
      ready: pod.ready ?? true,
      state,
      job: undefined,
      child: undefined,
      startTimer: undefined,
      log: [],
      followers: new Set(),
      deleted: false,
    });
  }

  add(record: PodRecord): void {
    this.#pods.set(PodStore.key(record.namespace, record.name), record);
    this.changed(record, 'ADDED');
  }

  /** The store's current `resourceVersion` (of lists). */
  get version(): string {
    return String(this.#version);
  }

  /** Records a change of `pod` (state, phase, owner) under a new resourceVersion and tells the watches. */
  changed(pod: PodRecord, type: 'ADDED' | 'MODIFIED' | 'DELETED' = 'MODIFIED'): void {
    const version = ++this.#version;
    pod.resourceVersion = String(version);
    const event: WatchEvent = { type, object: this.json(pod) };
    this.#history.push({ version, pod, event });
    if (this.#history.length > this.historySize) this.#history.shift();
    for (const w of this.#watchers) if (this.#matches(pod, w.filter)) w.send(event);
  }

  /**
   * Starts a watch: with no `resourceVersion` (or "0") an `ADDED` event for each matching pod, else the changes
   * after that version; then every change as it happens. A version older than the kept history gets an `ERROR`
   * event with a 410 `Status` ("too old resource version"), as from a real API server, and nothing more. Returns
   * the function that ends the watch.
   */
  watch(filter: PodWatchFilter, resourceVersion: string | undefined, send: (e: WatchEvent) => void): () => void {
    if (resourceVersion === undefined || resourceVersion === '' || resourceVersion === '0') {
      for (const pod of this.#pods.values())
        if (this.#matches(pod, filter)) send({ type: 'ADDED', object: this.json(pod) });
    } else {
      const from = Number(resourceVersion);
      const oldest = this.#history[0]?.version ?? this.#version + 1;
      if (!Number.isInteger(from) || from < oldest - 1) {
        send({ type: 'ERROR', object: statusBody(410, `too old resource version: ${resourceVersion}`) });
        return () => undefined;
      }
      for (const h of this.#history) if (h.version > from && this.#matches(h.pod, filter)) send(h.event);
    }
    const watcher = { filter, send };
    this.#watchers.add(watcher);
    return () => void this.#watchers.delete(watcher);
  }

  #matches(pod: PodRecord, filter: PodWatchFilter): boolean {
    return (
      pod.namespace === filter.namespace &&
      (filter.name === undefined || pod.name === filter.name) &&
      matchesSelector(pod.labels, filter.labelSelector)
    );
  }

  get(namespace: string, name: string): PodRecord | undefined {
    return this.#pods.get(PodStore.key(namespace, name));
  }

  list(namespace: string | undefined, selector: string): PodRecord[] {
    return [...this.#pods.values()].filter(
      (p) => (namespace === undefined || p.namespace === namespace) && matchesSelector(p.labels, selector),
    );
  }

  all(): PodRecord[] {
    return [...this.#pods.values()];
  }

  /** Deletes a pod: its command is killed, its followed logs end. */
  remove(namespace: string, name: string): PodRecord | undefined {
    const pod = this.get(namespace, name);
    if (pod === undefined) return undefined;
    this.#pods.delete(PodStore.key(namespace, name));
    pod.deleted = true;
    if (pod.startTimer !== undefined) clearTimeout(pod.startTimer);
    if (pod.child?.pid !== undefined && pod.child.exitCode === null && pod.child.signalCode === null)
      killGroup(pod.child.pid);
    this.endLogs(pod);
    this.changed(pod, 'DELETED');
    return pod;
  }

  appendLog(pod: PodRecord, chunk: LogChunk): void {
    pod.log.push(chunk);
    for (const f of pod.followers) f.write(chunk);
  }

  endLogs(pod: PodRecord): void {
    for (const f of [...pod.followers]) f.end();
    pod.followers.clear();
  }

  /** `GET …/pods/{name}/log` with `container`, `follow`, `stream` (`All`/`Stdout`/`Stderr`) and `tailLines`. */
  log(namespace: string, name: string, query: URLSearchParams): ApiFailure | LogAnswer {
    const pod = this.get(namespace, name);
    if (pod === undefined) return { code: 404, body: notFound('pods', name) };
    const names = pod.spec.containers.map((c) => c.name);
    const container = query.get('container') ?? (names.length === 1 ? names[0] : undefined);
    if (container === undefined)
      return bad(`a container name must be specified for pod ${name}, choose one of: [${names.join(' ')}]`);
    if (!names.includes(container)) return bad(`container ${container} is not valid for pod ${name}`);
    if ('waiting' in pod.state)
      return bad(`container "${container}" in pod "${name}" is waiting to start: ${pod.state.waiting.reason}`);
    const stream = query.get('stream') ?? 'All';
    if (!['All', 'Stdout', 'Stderr'].includes(stream))
      return { code: 422, body: statusBody(422, `PodLogOptions "${name}" is invalid: stream: Unsupported value`) };
    const tail = query.get('tailLines');
    if (tail !== null && stream !== 'All')
      return {
        code: 422,
        body: statusBody(422, `PodLogOptions "${name}" is invalid: stream: tailLines can only be used with stream All`),
      };
    const accepts = (c: LogChunk) => stream === 'All' || c.stream === stream.toLowerCase();
    let initial = Buffer.concat(pod.log.filter(accepts).map((c) => c.data));
    if (tail !== null) initial = Buffer.from(tailLines(initial.toString(), Number(tail)));
    return { initial, follow: query.get('follow') === 'true' && !('terminated' in pod.state), accepts };
  }

  json(pod: PodRecord): Record<string, unknown> {
    const ready = pod.ready && 'running' in pod.state;
    return {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: pod.name,
        namespace: pod.namespace,
        uid: pod.uid,
        resourceVersion: pod.resourceVersion ?? this.version,
        creationTimestamp: pod.created,
        labels: { ...pod.labels },
        ...(pod.job === undefined
          ? {}
          : {
              ownerReferences: [
                {
                  apiVersion: 'batch/v1',
                  kind: 'Job',
                  name: pod.job.name,
                  uid: pod.job.uid,
                  controller: true,
                  blockOwnerDeletion: true,
                },
              ],
            }),
      },
      spec: pod.spec,
      status: {
        phase: pod.phase,
        conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }],
        containerStatuses: pod.spec.containers.map((c) => ({
          name: c.name,
          image: c.image ?? 'flowlane-fake',
          ready,
          restartCount: 0,
          started: 'running' in pod.state,
          state: pod.state,
        })),
      },
    };
  }

  snapshot(pod: PodRecord): FakePodState {
    return {
      namespace: pod.namespace,
      name: pod.name,
      labels: { ...pod.labels },
      phase: pod.phase,
      containers: pod.spec.containers.map((c) => c.name),
      job: pod.job?.name,
      pid: pod.child?.exitCode === null && pod.child.signalCode === null ? pod.child.pid : undefined,
    };
  }
}

const bad = (message: string): ApiFailure => ({ code: 400, body: statusBody(400, message) });

function tailLines(text: string, n: number): string {
  if (!Number.isInteger(n) || n < 0) return text;
  const lines = text.split(/(?<=\n)/);
  return n === 0 ? '' : lines.slice(-n).join('');
}
