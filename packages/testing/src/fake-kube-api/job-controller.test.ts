import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeKubeApi } from './start-fake-kube-api.js';
import type { FakeKubeApi } from './types.js';

let api: FakeKubeApi;
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'flowlane-fake-jobs-'));
  // Plain HTTP: these tests call the Job API directly with fetch (which takes no CA); TLS is tested beside the server.
  api = await startFakeKubeApi({ cwd: dir, jobs: { unpullableImages: ['ghost:1'] }, tls: false });
});
afterAll(async () => {
  await api?.dispose();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const call = (method: string, path: string, body?: unknown) =>
  fetch(`${api.server}${path}`, {
    method,
    headers: { Authorization: `Bearer ${api.token}`, 'Content-Type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
const json = async <T = Record<string, unknown>>(method: string, path: string, body?: unknown) => {
  const res = await call(method, path, body);
  return { status: res.status, body: (await res.json()) as T };
};

interface ContainerState {
  waiting?: { reason: string };
  running?: object;
  terminated?: { exitCode: number; reason: string };
}
interface PodJson {
  metadata: { name: string; labels: Record<string, string>; ownerReferences: object[] };
  status: { phase: string; containerStatuses: { state: ContainerState }[] };
}
interface JobJson {
  metadata: { name: string };
  status: { conditions?: object[] };
}

const JOBS = '/apis/batch/v1/namespaces/default/jobs';
const PODS = '/api/v1/namespaces/default/pods';

function job(name: string, container: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name, labels: { team: 'a' } },
    spec: {
      backoffLimit: 0,
      ...extra,
      template: {
        metadata: { labels: { app: 'batch' } },
        spec: { restartPolicy: 'Never', containers: [{ name: 'main', image: 'busybox:1', ...container }] },
      },
    },
  };
}

/** The Job's pod, once the Job controller created it. */
async function podOf(name: string): Promise<PodJson> {
  let pod: PodJson | undefined;
  await expect
    .poll(async () => {
      pod = (await json<{ items: PodJson[] }>('GET', `${PODS}?labelSelector=job-name%3D${name}`)).body.items[0];
      return pod;
    })
    .toBeDefined();
  return pod!;
}

async function terminated(pod: string): Promise<ContainerState['terminated']> {
  let state: ContainerState = {};
  await expect
    .poll(async () => {
      state = (await json<PodJson>('GET', `${PODS}/${pod}`)).body.status.containerStatuses[0]!.state;
      return state.terminated !== undefined;
    })
    .toBe(true);
  return state.terminated;
}

interface WatchLine {
  type: string;
  object: {
    kind: string;
    code?: number;
    metadata: { name: string; resourceVersion: string };
    status: PodJson['status'];
  };
}

/** Opens a watch and collects its events until `until` says stop (then hangs up) or the server ends it. */
async function watchPods(query: string, until: (events: WatchLine[]) => boolean = () => false): Promise<WatchLine[]> {
  const ctrl = new AbortController();
  const res = await fetch(`${api.server}${PODS}?watch=true&${query}`, {
    headers: { Authorization: `Bearer ${api.token}` },
    signal: ctrl.signal,
  });
  expect(res.status).toBe(200);
  const events: WatchLine[] = [];
  let text = '';
  const decoder = new TextDecoder();
  try {
    for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
      text += decoder.decode(chunk, { stream: true });
      const lines = text.split('\n');
      text = lines.pop()!;
      for (const line of lines) events.push(JSON.parse(line) as WatchLine);
      if (until(events)) break;
    }
  } finally {
    ctrl.abort();
  }
  return events;
}

describe('fake pod watches', () => {
  const phases = (events: WatchLine[]) => events.map((e) => `${e.type} ${e.object.status.phase}`);

  it("streams a Job pod's changes from the list's resourceVersion, and replays them from any kept version", async () => {
    const list = await json<{ metadata: { resourceVersion: string } }>(
      'GET',
      `${PODS}?labelSelector=job-name%3Dwatched`,
    );
    const from = list.body.metadata.resourceVersion;
    expect(from).toMatch(/^\d+$/);
    const watching = watchPods(`labelSelector=job-name%3Dwatched&resourceVersion=${from}`, (events) =>
      events.some((e) => e.object.status.phase === 'Succeeded'),
    );
    expect((await json('POST', JOBS, job('watched', { command: ['true'] }))).status).toBe(201);
    const events = await watching;
    expect(phases(events)).toEqual(['ADDED Pending', 'MODIFIED Running', 'MODIFIED Succeeded']);
    const versions = events.map((e) => Number(e.object.metadata.resourceVersion));
    expect(versions).toEqual([...versions].sort((a, b) => a - b));
    expect(versions[0]).toBeGreaterThan(Number(from));
    // Resuming after the first event replays the rest; the pod's own name as field selector works too.
    const name = events[0]!.object.metadata.name;
    const resumed = await watchPods(
      `fieldSelector=metadata.name%3D${name}&resourceVersion=${versions[0]}&timeoutSeconds=0`,
    );
    expect(phases(resumed)).toEqual(['MODIFIED Running', 'MODIFIED Succeeded']);
  });

  it('starts with ADDED for existing pods without a resourceVersion, and reports deletions', async () => {
    expect((await json('POST', JOBS, job('doomed', { command: ['sleep', '30'] }))).status).toBe(201);
    const pod = await podOf('doomed');
    let deleting: Promise<unknown> | undefined;
    const events = await watchPods('labelSelector=job-name%3Ddoomed', (seen) => {
      // Delete only once the watch is known to be open (its first event arrived).
      deleting ??= json('DELETE', `${JOBS}/doomed?propagationPolicy=Background`);
      return seen.some((e) => e.type === 'DELETED');
    });
    await deleting;
    expect(events[0]).toMatchObject({ type: 'ADDED', object: { metadata: { name: pod.metadata.name } } });
    expect(events.at(-1)).toMatchObject({ type: 'DELETED', object: { metadata: { name: pod.metadata.name } } });
    expect((await call('GET', `${PODS}?watch=true&fieldSelector=spec.nodeName%3Dx`)).status).toBe(400);
  });

  it('answers a watch from a version older than watchHistory with an ERROR event (410 Expired)', async () => {
    const small = await startFakeKubeApi({ cwd: dir, tls: false, watchHistory: 2 });
    try {
      for (const name of ['a', 'b', 'c', 'd']) small.addPod({ name }); // versions 1…4; 3 and 4 are kept
      const res = await fetch(`${small.server}${PODS}?watch=true&resourceVersion=1`, {
        headers: { Authorization: `Bearer ${small.token}` },
      });
      const lines = (await res.text()).trim().split('\n');
      expect(lines.map((l) => JSON.parse(l))).toEqual([
        { type: 'ERROR', object: expect.objectContaining({ kind: 'Status', code: 410, reason: 'Expired' }) },
      ]);
      // Within the kept history, the changes after the version are replayed.
      const kept = await fetch(`${small.server}${PODS}?watch=true&resourceVersion=3&timeoutSeconds=0`, {
        headers: { Authorization: `Bearer ${small.token}` },
      });
      const replayed = (await kept.text())
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as WatchLine);
      expect(replayed.map((e) => `${e.type} ${e.object.metadata.name}`)).toEqual(['ADDED d']);
    } finally {
      await small.dispose();
    }
  });
});

describe('fake Jobs', () => {
  it('runs the container command with env and workingDir, streams the log and completes the Job', async () => {
    const created = await json(
      'POST',
      JOBS,
      job('hello', {
        command: ['sh', '-c'],
        args: ['echo "$GREETING from $(pwd)"; sleep 0.3; echo done >&2'],
        env: [{ name: 'GREETING', value: 'hi' }],
        workingDir: '/tmp',
      }),
    );
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ metadata: { name: 'hello', labels: { team: 'a' } }, status: { active: 1 } });
    const pod = await podOf('hello');
    expect(pod.metadata.labels).toMatchObject({ app: 'batch', 'job-name': 'hello' });
    expect(pod.metadata.ownerReferences[0]).toMatchObject({ kind: 'Job', name: 'hello', controller: true });
    await expect
      .poll(async () => (await json<PodJson>('GET', `${PODS}/${pod.metadata.name}`)).body.status.phase)
      .toBe('Running');

    const res = await call('GET', `${PODS}/${pod.metadata.name}/log?container=main&follow=true`);
    expect(res.headers.get('content-type')).toBe('text/plain');
    const reader = res.body!.getReader();
    const first = Buffer.from((await reader.read()).value!).toString();
    expect(first).toBe('hi from /tmp\n');
    let rest = '';
    for (let r = await reader.read(); !r.done; r = await reader.read()) rest += Buffer.from(r.value).toString();
    expect(rest).toBe('done\n');

    expect(await terminated(pod.metadata.name)).toMatchObject({ exitCode: 0, reason: 'Completed' });
    const done = (await json<JobJson>('GET', `${JOBS}/hello`)).body;
    expect(done.status).toMatchObject({ succeeded: 1 });
    expect(done.status.conditions).toContainEqual(expect.objectContaining({ type: 'Complete', status: 'True' }));
    expect(api.jobLog.at(-1)).toMatchObject({ name: 'hello', manifest: { spec: { backoffLimit: 0 } } });
  });

  it('reports a failing command in the pod status and the Job conditions, and splits log streams', async () => {
    await json('POST', JOBS, job('fails', { command: ['sh', '-c', 'echo out; echo err >&2; exit 3'] }));
    const pod = (await podOf('fails')).metadata.name;
    expect(await terminated(pod)).toMatchObject({ exitCode: 3, reason: 'Error' });
    expect((await json<PodJson>('GET', `${PODS}/${pod}`)).body.status.phase).toBe('Failed');
    const failed = (await json<JobJson>('GET', `${JOBS}/fails`)).body.status;
    expect(failed).toMatchObject({ failed: 1 });
    expect(failed.conditions).toContainEqual(
      expect.objectContaining({ type: 'Failed', reason: 'BackoffLimitExceeded' }),
    );
    const log = async (q: string) => (await call('GET', `${PODS}/${pod}/log?${q}`)).text();
    expect(await log('follow=true')).toBe('out\nerr\n');
    expect(await log('stream=Stdout&follow=true')).toBe('out\n');
    expect(await log('stream=Stderr')).toBe('err\n');
    expect(await log('tailLines=1')).toBe('err\n');
    expect((await call('GET', `${PODS}/${pod}/log?stream=Stderr&tailLines=1`)).status).toBe(422);
  });

  it('reports a command that cannot start as StartError with exit code 128', async () => {
    await json('POST', JOBS, job('nocmd', { command: ['flowlane-no-such-command'] }));
    const pod = (await podOf('nocmd')).metadata.name;
    expect(await terminated(pod)).toMatchObject({ exitCode: 128, reason: 'StartError' });
  });

  it('keeps an unpullable image waiting, and refuses its log', async () => {
    await json('POST', JOBS, job('ghost', { image: 'ghost:1', command: ['true'] }));
    const pod = await podOf('ghost');
    expect(pod.status.containerStatuses[0]!.state.waiting?.reason).toBe('ErrImagePull');
    const log = await json<{ message: string }>('GET', `${PODS}/${pod.metadata.name}/log?container=main`);
    expect(log.status).toBe(400);
    expect(log.body.message).toContain('is waiting to start: ErrImagePull');
  });

  it('deletes the pod and kills its command with Background propagation, orphans it otherwise', async () => {
    await json('POST', JOBS, job('sleeper', { command: ['sleep', '30'] }));
    await expect.poll(() => api.jobs.find((j) => j.name === 'sleeper')?.pid).toBeDefined();
    const pid = api.jobs.find((j) => j.name === 'sleeper')!.pid!;
    const deleted = await json('DELETE', `${JOBS}/sleeper?propagationPolicy=Background`);
    expect(deleted).toMatchObject({ status: 200, body: { status: 'Success', details: { name: 'sleeper' } } });
    expect(api.jobs.some((j) => j.name === 'sleeper')).toBe(false);
    expect(api.pods.some((p) => p.labels['job-name'] === 'sleeper')).toBe(false);
    await expect.poll(() => api.processes.has(pid), { timeout: 5000 }).toBe(false);
    expect((await json('GET', `${JOBS}/sleeper`)).status).toBe(404);

    await json('POST', JOBS, job('orphan', { command: ['sleep', '30'] }));
    await expect.poll(() => api.jobs.find((j) => j.name === 'orphan')?.pid).toBeDefined();
    expect((await json('DELETE', `${JOBS}/orphan`)).status).toBe(200);
    const orphan = api.pods.find((p) => p.labels['job-name'] === 'orphan')!;
    expect(orphan).toMatchObject({ job: undefined, phase: 'Running' });
    api.removePod('default', orphan.name);
    await expect.poll(() => api.processes.size, { timeout: 5000 }).toBe(0);
  });

  it('deletes finished Jobs after ttlSecondsAfterFinished', async () => {
    await json('POST', JOBS, job('short-lived', { command: ['true'] }, { ttlSecondsAfterFinished: 0 }));
    await expect.poll(async () => (await json('GET', `${JOBS}/short-lived`)).status).toBe(404);
    expect(api.pods.some((p) => p.labels['job-name'] === 'short-lived')).toBe(false);
  });

  it('validates Jobs like the API server: names, restartPolicy, containers, duplicates, generateName', async () => {
    const bad = (await json('POST', JOBS, job('Bad_Name', { command: ['true'] }))).body;
    expect(bad).toMatchObject({ code: 422, reason: 'Invalid' });
    const always = job('always', { command: ['true'] });
    always.spec.template.spec.restartPolicy = 'Always';
    expect((await json('POST', JOBS, always)).status).toBe(422);
    expect((await json('POST', JOBS, job('noimage', { image: '' }))).status).toBe(422);
    await json('POST', JOBS, job('twice', { command: ['true'] }));
    expect((await json('POST', JOBS, job('twice', { command: ['true'] }))).body).toMatchObject({
      code: 409,
      reason: 'AlreadyExists',
    });
    const generated = job('', { command: ['true'] });
    generated.metadata = { generateName: 'gen-' } as never;
    expect((await json<JobJson>('POST', JOBS, generated)).body.metadata.name).toMatch(/^gen-[a-z0-9]{5}$/);
    const listed = (await json<{ items: JobJson[] }>('GET', `${JOBS}?labelSelector=team%3Da`)).body.items;
    expect(listed.map((j) => j.metadata.name)).toContain('twice');
    expect((await json('PUT', `${JOBS}/twice`, {})).status).toBe(405);
  });
});
