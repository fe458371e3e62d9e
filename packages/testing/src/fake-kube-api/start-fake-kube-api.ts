import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type RequestListener, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { join } from 'node:path';
import { WebSocketServer } from 'ws';
import { createServiceHandle } from '../service-handle.js';
import { createTempDir, removeTempDir } from '../temp-dir.js';
import { killGroup, matchesSelector, STATUS_TEXT, statusBody } from './api-status.js';
import { type ProcessHost, runExecSession } from './exec-session.js';
import { JobController } from './job-controller.js';
import { PodStore } from './pod-store.js';
import { SecretStore } from './secret-store.js';
import { createServingCertificates } from './tls.js';
import type { FakeExecRecord, FakeKubeApi, FakeKubeApiOptions, FakeRequestRecord } from './types.js';

const V5 = 'v5.channel.k8s.io';
/** How many requests `requestLog` keeps (the most recent). */
const REQUEST_LOG_SIZE = 10_000;
const POD = /^\/api\/v1\/namespaces\/([^/]+)\/pods(?:\/([^/]+)(?:\/(log|exec))?)?$/;
const SECRET = /^\/api\/v1\/namespaces\/([^/]+)\/secrets(?:\/([^/]+))?$/;
const JOB = /^\/apis\/batch\/v1\/namespaces\/([^/]+)\/jobs(?:\/([^/]+)(\/status)?)?$/;

function kubeconfigYaml(url: string, token: string, ca: string | undefined): string {
  return [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    '- name: fake',
    '  cluster:',
    `    server: ${url}`,
    ca === undefined
      ? '    insecure-skip-tls-verify: true'
      : `    certificate-authority-data: ${Buffer.from(ca).toString('base64')}`,
    'users:',
    '- name: fake',
    '  user:',
    `    token: ${token}`,
    'contexts:',
    '- name: fake',
    '  context:',
    '    cluster: fake',
    '    user: fake',
    '    namespace: default',
    'current-context: fake',
    '',
  ].join('\n');
}

const readBody = (req: IncomingMessage): Promise<string> =>
  new Promise((resolve, reject) => {
    let text = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (text += c));
    req.on('end', () => resolve(text));
    req.on('error', reject);
  });

/**
 * Starts an in-process fake of the Kubernetes API on 127.0.0.1 (random port), for tests of code that uses the real
 * client. It speaks what Flowlane's Kubernetes executor uses, as a real API server does:
 *
 * - HTTPS with a certificate for `127.0.0.1` signed by a throwaway CA (made with the `openssl` CLI in a private
 *   temp dir); the kubeconfig carries that CA as `certificate-authority-data`, so clients verify the server as they
 *   would a real cluster's. `tls: false` serves plain HTTP instead, with `insecure-skip-tls-verify` in the kubeconfig;
 * - bearer-token auth (401 `Status` otherwise) and `GET /version`;
 * - pods: get, list (`labelSelector`; the list carries `metadata.resourceVersion`), delete, and
 *   `GET …/pods/{name}/log` (`text/plain`; `follow=true` streams until the container terminates;
 *   `stream=Stdout|Stderr|All`; `tailLines`);
 * - pod watches: `GET …/pods?watch=true` streams `{ type, object }` lines (`ADDED`, `MODIFIED`, `DELETED`) for pods
 *   matching `labelSelector` and `fieldSelector=metadata.name=…`, from `resourceVersion` (the last `watchHistory`
 *   changes are kept; older versions get an `ERROR` event with a 410 `Expired` Status), ending after `timeoutSeconds`
 *   (or `maxWatchSeconds`, as a real server ends watches after its request timeout);
 * - pod exec as a WebSocket upgrade with the `v5.channel.k8s.io` subprotocol — binary frames whose first byte is the
 *   channel (0 stdin, 1 stdout, 2 stderr, 3 status; client `[255, 0]` closes stdin), the status frame always sent
 *   before the socket closes, never channel 255 towards the client;
 * - batch/v1 Jobs: create (also `generateName`), get, list, delete (`propagationPolicy=Background|Foreground`
 *   deletes the pod, anything else orphans it). Each Job gets one pod labelled `job-name=<job>`; the first container's
 *   `command` + `args` run on this machine with its `env` and `workingDir` (the image is recorded, never pulled), the
 *   exit code lands in `state.terminated.exitCode`, and the Job reports `succeeded: 1` + `Complete` or `failed: 1` +
 *   `Failed`. `ttlSecondsAfterFinished` is honoured.
 *
 * - core/v1 Secrets: get, list, create (`POST`, 409 when it exists), replace (`PUT`), delete; `data` is base64 and
 *   `stringData` is folded into it; watches (`GET …/secrets?watch=true`, optionally `fieldSelector=metadata.name=…`,
 *   from `resourceVersion`) as for pods. `setSecret` / `deleteSecret` change them from the test.
 *
 * Every command runs in its own process group, killed when its exec socket closes early, its pod is deleted, or the
 * fake is disposed. Not implemented: client-certificate auth, watches of anything but pods and secrets, other
 * resources, PATCH.
 *
 * @example
 * ```ts
 * import { createKubernetesExecutor } from '@flowlane/executor-kubernetes';
 * import { startFakeKubeApi } from '@flowlane/testing';
 *
 * await using api = await startFakeKubeApi({ pods: [{ name: 'web-0', labels: { app: 'web' } }] });
 * const k8s = createKubernetesExecutor({ kubeConfig: { from: 'file', path: api.kubeconfigPath } });
 * console.log((await k8s.exec('echo', { args: ['hi'], target: 'web-0' }).result).stdout); // hi
 * await k8s.dispose();
 * ```
 */
export async function startFakeKubeApi(options: FakeKubeApiOptions = {}): Promise<FakeKubeApi> {
  const token = options.token ?? randomBytes(16).toString('hex');
  const processes = new Map<number, readonly string[]>();
  const children = new Set<ChildProcess>();
  const execLog: FakeExecRecord[] = [];
  const sockets = new Set<Socket>();
  const host: ProcessHost = {
    cwd: options.cwd ?? process.cwd(),
    track(child, argv) {
      children.add(child);
      const pid = child.pid;
      if (pid !== undefined) processes.set(pid, argv);
      return () => {
        children.delete(child);
        if (pid !== undefined) processes.delete(pid);
      };
    },
  };
  const pods = new PodStore(options.watchHistory);
  const jobs = new JobController(pods, host, options.jobs);
  for (const pod of options.pods ?? []) pods.addStandalone(pod);
  const secrets = new SecretStore(options.watchHistory);
  for (const secret of options.secrets ?? []) secrets.put(secret);

  const authorized = (req: IncomingMessage) => req.headers.authorization === `Bearer ${token}`;
  const sendJson = (res: ServerResponse, code: number, body: unknown) => {
    res.writeHead(code, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  const unsupported = (res: ServerResponse, req: IncomingMessage, path: string) =>
    sendJson(res, 405, statusBody(405, `the fake API server does not support ${req.method} ${path}`));

  const serveLog = (res: ServerResponse, ns: string, name: string, query: URLSearchParams) => {
    const answer = pods.log(ns, name, query);
    if ('code' in answer) return sendJson(res, answer.code, answer.body);
    res.writeHead(200, { 'Content-Type': 'text/plain' });
    if (answer.initial.length > 0) res.write(answer.initial);
    const pod = pods.get(ns, name);
    if (!answer.follow || pod === undefined) return res.end();
    res.flushHeaders();
    const follower = {
      write: (chunk: { stream: 'stdout' | 'stderr'; data: Buffer }) => {
        if (answer.accepts(chunk)) res.write(chunk.data);
      },
      end: () => res.end(),
    };
    pod.followers.add(follower);
    res.on('close', () => pod.followers.delete(follower));
  };

  /** Open pod watches' responses, ended on dispose. */
  const watches = new Set<ServerResponse>();
  /**
   * `GET …/pods?watch=true`: newline-delimited watch events for pods matching `labelSelector` and
   * `fieldSelector=metadata.name=<name>`, from `resourceVersion`, until `timeoutSeconds` pass or the client leaves.
   */
  const serveWatch = (
    req: IncomingMessage,
    res: ServerResponse,
    ns: string,
    query: URLSearchParams,
    kind: 'pods' | 'secrets' = 'pods',
  ) => {
    const field = query.get('fieldSelector') ?? '';
    const byName = /^metadata\.name=([^,]+)$/.exec(field);
    if (field !== '' && byName === null)
      return sendJson(res, 400, statusBody(400, `the fake API server supports only fieldSelector=metadata.name=…`));
    const asked = query.get('timeoutSeconds');
    const seconds = Math.min(
      asked === null ? Number.POSITIVE_INFINITY : Math.max(0, Number(asked) || 0),
      options.maxWatchSeconds ?? Number.POSITIVE_INFINITY,
    );
    res.writeHead(200, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' });
    res.flushHeaders();
    watches.add(res);
    const send = (event: { type: string }) => {
      res.write(`${JSON.stringify(event)}\n`);
      if (event.type === 'ERROR') res.end();
    };
    const from = query.get('resourceVersion') ?? undefined;
    const stop =
      kind === 'secrets'
        ? secrets.watch(ns, byName?.[1], from, send)
        : pods.watch({ namespace: ns, labelSelector: query.get('labelSelector') ?? '', name: byName?.[1] }, from, send);
    const timer = Number.isFinite(seconds) ? setTimeout(() => res.end(), seconds * 1000) : undefined;
    const done = () => {
      stop();
      if (timer !== undefined) clearTimeout(timer);
      watches.delete(res);
    };
    res.on('close', done);
    req.on('close', done);
  };

  const requestLog: FakeRequestRecord[] = [];
  const logRequest = (method: string, url: URL) => {
    requestLog.push({ method, path: url.pathname, query: url.search.replace(/^\?/, '') });
    if (requestLog.length > REQUEST_LOG_SIZE) requestLog.shift();
  };

  const route = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://fake');
    logRequest(req.method ?? 'GET', url);
    const path = url.pathname;
    if (!authorized(req)) return sendJson(res, 401, statusBody(401, 'Unauthorized'));
    if (path === '/version')
      return sendJson(res, 200, {
        major: '1',
        minor: '32',
        gitVersion: 'v1.32.0-flowlane-fake',
        platform: 'linux/amd64',
      });
    const selector = url.searchParams.get('labelSelector') ?? '';
    const pod = POD.exec(path);
    if (pod) {
      const [, ns, name, sub] = pod as unknown as [string, string, string | undefined, string | undefined];
      if (name === undefined) {
        if (req.method !== 'GET') return unsupported(res, req, path);
        const watch = url.searchParams.get('watch');
        if (watch === 'true' || watch === '1') return serveWatch(req, res, ns, url.searchParams);
        const items = pods.list(ns, selector).map((p) => pods.json(p));
        return sendJson(res, 200, {
          apiVersion: 'v1',
          kind: 'PodList',
          metadata: { resourceVersion: pods.version },
          items,
        });
      }
      if (sub === 'log')
        return req.method === 'GET' ? serveLog(res, ns, name, url.searchParams) : unsupported(res, req, path);
      if (sub === 'exec') return sendJson(res, 400, statusBody(400, 'exec needs a WebSocket upgrade'));
      const record = pods.get(ns, name);
      if (record === undefined)
        return sendJson(res, 404, statusBody(404, `pods "${name}" not found`, { name, kind: 'pods' }));
      if (req.method === 'GET') return sendJson(res, 200, pods.json(record));
      if (req.method === 'DELETE') {
        pods.remove(ns, name);
        return sendJson(res, 200, pods.json(record));
      }
      return unsupported(res, req, path);
    }
    const secret = SECRET.exec(path);
    if (secret) {
      const [, ns, name] = secret as unknown as [string, string, string | undefined];
      const watch = url.searchParams.get('watch');
      if (name === undefined && req.method === 'GET' && (watch === 'true' || watch === '1'))
        return serveWatch(req, res, ns, url.searchParams, 'secrets');
      let answer: { code: number; body: unknown };
      if (name === undefined && req.method === 'GET') answer = secrets.list(ns);
      else if (name !== undefined && req.method === 'GET') answer = secrets.get(ns, name);
      else if (name !== undefined && req.method === 'DELETE') answer = secrets.delete(ns, name);
      else if (req.method === 'POST' || req.method === 'PUT') {
        if ((req.method === 'POST') !== (name === undefined)) return unsupported(res, req, path);
        let body: unknown;
        try {
          body = JSON.parse(await readBody(req));
        } catch {
          return sendJson(res, 400, statusBody(400, 'the request body is not JSON'));
        }
        answer = secrets.write(ns, name, body);
      } else return unsupported(res, req, path);
      return sendJson(res, answer.code, answer.body);
    }
    const job = JOB.exec(path);
    if (job) {
      const [, ns, name] = job as unknown as [string, string, string | undefined];
      let answer: { code: number; body: unknown };
      if (name === undefined && req.method === 'GET') answer = jobs.list(ns, (l) => matchesSelector(l, selector));
      else if (name === undefined && req.method === 'POST') {
        let body: unknown;
        try {
          body = JSON.parse(await readBody(req));
        } catch {
          return sendJson(res, 400, statusBody(400, 'the request body is not JSON'));
        }
        answer = jobs.create(ns, body);
      } else if (name !== undefined && req.method === 'GET') answer = jobs.get(ns, name);
      else if (name !== undefined && req.method === 'DELETE') {
        const text = await readBody(req);
        let policy = url.searchParams.get('propagationPolicy') ?? undefined;
        try {
          const options = text === '' ? {} : (JSON.parse(text) as { propagationPolicy?: string });
          policy ??= options.propagationPolicy;
        } catch {
          return sendJson(res, 400, statusBody(400, 'the DeleteOptions body is not JSON'));
        }
        answer = jobs.delete(ns, name, policy);
      } else return unsupported(res, req, path);
      return sendJson(res, answer.code, answer.body);
    }
    return sendJson(res, 404, statusBody(404, `the fake API server does not serve ${path}`));
  };

  const handle: RequestListener = (req, res) => {
    route(req, res).catch((error: unknown) => {
      if (!res.headersSent) sendJson(res, 500, statusBody(500, String(error)));
      else res.destroy();
    });
  };
  const dir = await createTempDir('kube-api');
  let tls: Awaited<ReturnType<typeof createServingCertificates>> | undefined;
  try {
    if (options.tls !== false) tls = await createServingCertificates(dir, 'fake Kubernetes API');
  } catch (error) {
    await removeTempDir(dir);
    throw error;
  }
  const server = tls === undefined ? createServer(handle) : createHttpsServer({ cert: tls.cert, key: tls.key }, handle);
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  const wss = new WebSocketServer({ noServer: true, handleProtocols: (offered) => (offered.has(V5) ? V5 : false) });
  const refuse = (socket: Socket, code: number, body: unknown) => {
    const text = JSON.stringify(body);
    socket.end(
      `HTTP/1.1 ${code} ${STATUS_TEXT[code] ?? 'Error'}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(text)}\r\nConnection: close\r\n\r\n${text}`,
    );
  };
  server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    const url = new URL(req.url ?? '/', 'http://fake');
    logRequest('GET', url);
    const m = POD.exec(url.pathname);
    if (!authorized(req)) return refuse(socket, 401, statusBody(401, 'Unauthorized'));
    if (m?.[3] !== 'exec')
      return refuse(socket, 404, statusBody(404, `the fake API server does not serve ${url.pathname}`));
    const [ns, name] = [m[1]!, m[2]!];
    const record = pods.get(ns, name);
    if (record === undefined)
      return refuse(socket, 404, statusBody(404, `pods "${name}" not found`, { name, kind: 'pods' }));
    const container = url.searchParams.get('container') ?? '';
    const containers = record.spec.containers.map((c) => c.name);
    if (!containers.includes(container))
      return refuse(socket, 400, statusBody(400, `container ${container} is not valid for pod ${name}`));
    if (!('running' in record.state)) return refuse(socket, 400, statusBody(400, `pod ${name} is not running`));
    const argv = url.searchParams.getAll('command');
    if (argv.length === 0) return refuse(socket, 400, statusBody(400, 'you must specify at least 1 command'));
    const protocols = String(req.headers['sec-websocket-protocol'] ?? '')
      .split(',')
      .map((p) => p.trim());
    if (!protocols.includes(V5)) return refuse(socket, 400, statusBody(400, `the fake API server speaks only ${V5}`));
    wss.handleUpgrade(req, socket, head, (ws) => {
      execLog.push({ namespace: ns, pod: name, container, argv });
      runExecSession(ws, argv, url.searchParams.get('stdin') === 'true', host);
    });
  });

  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
  } catch (error) {
    await removeTempDir(dir);
    throw error;
  }
  const url = `${tls === undefined ? 'http' : 'https'}://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const kubeconfig = kubeconfigYaml(url, token, tls?.ca);
  const kubeconfigPath = join(dir, 'kubeconfig');
  await writeFile(kubeconfigPath, kubeconfig, { mode: 0o600 });

  const cleanup = async () => {
    jobs.dispose();
    const exits = [...children].map((c) => new Promise<void>((resolve) => c.once('close', () => resolve())));
    for (const p of pods.all()) pods.remove(p.namespace, p.name);
    for (const c of children) if (c.pid !== undefined) killGroup(c.pid);
    for (const client of wss.clients) client.terminate();
    for (const w of watches) w.end();
    await Promise.all(exits);
    wss.close();
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      for (const s of sockets) s.destroy();
    });
    await removeTempDir(dir);
  };

  return createServiceHandle(
    {
      server: url,
      ca: tls?.ca,
      token,
      kubeconfig,
      kubeconfigPath,
      processes,
      execLog,
      requestLog,
      jobLog: jobs.log,
      get pods() {
        return pods.all().map((p) => pods.snapshot(p));
      },
      get jobs() {
        return jobs.snapshots();
      },
      addPod: (pod) => pods.addStandalone(pod),
      get secrets() {
        return secrets.all().map((s) => secrets.snapshot(s));
      },
      setSecret: (secret) => secrets.put(secret),
      deleteSecret: (namespace, name) => secrets.remove(namespace, name),
      removePod: (namespace, name) => void pods.remove(namespace, name),
    } satisfies Omit<FakeKubeApi, 'dispose' | typeof Symbol.asyncDispose>,
    cleanup,
  );
}
