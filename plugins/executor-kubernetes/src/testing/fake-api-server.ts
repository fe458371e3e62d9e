import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { type WebSocket, WebSocketServer } from 'ws';

/** A pod the fake API server knows about. Commands exec'd "into" it run on this machine. */
export interface FakePod {
  /** Default `'default'`. */
  readonly namespace?: string | undefined;
  readonly name: string;
  /** Container names. Default `['main']`. */
  readonly containers?: readonly string[] | undefined;
  readonly labels?: Readonly<Record<string, string>> | undefined;
  /** Default `'Running'`. */
  readonly phase?: 'Pending' | 'Running' | 'Succeeded' | 'Failed' | undefined;
  /** The `Ready` condition. Default true. */
  readonly ready?: boolean | undefined;
}

/** One exec request served by the fake. */
export interface FakeExecRecord {
  readonly namespace: string;
  readonly pod: string;
  readonly container: string;
  readonly argv: readonly string[];
}

/** Options of {@link startFakeKubeApi}. */
export interface FakeKubeApiOptions {
  /** Bearer token clients must send. Default: random. */
  readonly token?: string | undefined;
  readonly pods?: readonly FakePod[] | undefined;
  /** Working directory of exec'd commands. Default: this process's cwd. */
  readonly cwd?: string | undefined;
}

/** A running fake Kubernetes API server. */
export interface FakeKubeApi {
  /** `http://127.0.0.1:<port>`. */
  readonly server: string;
  readonly token: string;
  /** A kubeconfig (YAML) for this server: cluster `fake` (`insecure-skip-tls-verify`), bearer token, namespace `default`. */
  readonly kubeconfig: string;
  /** Commands running now (pid → argv), started by exec requests. */
  readonly processes: ReadonlyMap<number, readonly string[]>;
  /** Every exec request served, in order. */
  readonly execLog: readonly FakeExecRecord[];
  addPod(pod: FakePod): void;
  removePod(namespace: string, name: string): void;
  /** Kills every running command, closes every connection and the server. Idempotent. */
  dispose(): Promise<void>;
  /** Same as `dispose()`, for `await using`. */
  [Symbol.asyncDispose](): Promise<void>;
}

interface PodRecord {
  readonly pod: FakePod;
  readonly uid: string;
}

const V5 = 'v5.channel.k8s.io';
const STATUS_TEXT: Record<number, string> = { 400: 'Bad Request', 401: 'Unauthorized', 404: 'Not Found' };
const REASON: Record<number, string> = { 400: 'BadRequest', 401: 'Unauthorized', 404: 'NotFound' };

function status(code: number, message: string, details?: Record<string, unknown>): Record<string, unknown> {
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message,
    reason: REASON[code] ?? 'InternalError',
    ...(details === undefined ? {} : { details }),
    code,
  };
}

function podJson({ pod, uid }: PodRecord): Record<string, unknown> {
  const containers = pod.containers ?? ['main'];
  const phase = pod.phase ?? 'Running';
  const ready = (pod.ready ?? true) && phase === 'Running';
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: pod.name, namespace: pod.namespace ?? 'default', uid, labels: { ...pod.labels } },
    spec: { containers: containers.map((name) => ({ name, image: 'flowlane-fake' })) },
    status: {
      phase,
      conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }],
      containerStatuses: containers.map((name) => ({ name, ready, restartCount: 0, image: 'flowlane-fake' })),
    },
  };
}

/** `a=b,c!=d,e` (equality, inequality and existence requirements). */
function matches(labels: Readonly<Record<string, string>>, selector: string): boolean {
  return selector
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .every((req) => {
      const ne = /^([^!=]+)!=(.*)$/.exec(req);
      if (ne) return labels[ne[1]!.trim()] !== ne[2]!.trim();
      const eq = /^([^=]+)==?(.*)$/.exec(req);
      if (eq) return labels[eq[1]!.trim()] === eq[2]!.trim();
      return req.startsWith('!') ? !(req.slice(1) in labels) : req in labels;
    });
}

/** Status frame for a finished command, as the kubelet sends it on channel 3. */
function exitStatus(code: number | null, signal: NodeJS.Signals | null, spawnError: Error | undefined): object {
  if (spawnError !== undefined)
    return { metadata: {}, status: 'Failure', message: spawnError.message, reason: 'InternalError' };
  if (code === 0) return { metadata: {}, status: 'Success' };
  const exit = code ?? 128 + (signal === null ? 0 : (SIGNALS[signal] ?? 0));
  return {
    metadata: {},
    status: 'Failure',
    message: `command terminated with non-zero exit code: error executing command, exit status ${exit}`,
    reason: 'NonZeroExitCode',
    details: { causes: [{ reason: 'ExitCode', message: String(exit) }] },
  };
}
const SIGNALS: Partial<Record<NodeJS.Signals, number>> = { SIGHUP: 1, SIGINT: 2, SIGKILL: 9, SIGTERM: 15, SIGPIPE: 13 };

/**
 * Starts an in-process fake of the Kubernetes API on 127.0.0.1 (random port, plain HTTP — the kubeconfig sets
 * `insecure-skip-tls-verify`, which `@kubernetes/client-node` needs for `http://`). It speaks what the executor
 * uses, as a real API server does: bearer-token auth (401 otherwise), `GET /version`, pods get/list (with
 * `labelSelector`), and pod exec as a WebSocket upgrade with the `v5.channel.k8s.io` subprotocol — binary frames
 * whose first byte is the channel (0 stdin, 1 stdout, 2 stderr, 3 status; client `[255, 0]` closes stdin), the
 * status frame always sent before the socket closes, never channel 255 towards the client. Exec'd commands run on
 * this machine with real stdout/stderr in their own process group, killed when the socket closes early.
 *
 * @example
 * ```ts
 * import { startFakeKubeApi } from '@flowlane/executor-kubernetes/testing';
 *
 * await using api = await startFakeKubeApi({ pods: [{ name: 'web-0', labels: { app: 'web' } }] });
 * const k8s = createKubernetesExecutor({ kubeConfig: { from: 'yaml', yaml: api.kubeconfig } });
 * ```
 */
export async function startFakeKubeApi(options: FakeKubeApiOptions = {}): Promise<FakeKubeApi> {
  const token = options.token ?? randomBytes(16).toString('hex');
  const pods = new Map<string, PodRecord>();
  const processes = new Map<number, readonly string[]>();
  const children = new Set<ChildProcess>();
  const execLog: FakeExecRecord[] = [];
  const sockets = new Set<Socket>();
  const key = (ns: string, name: string) => `${ns}/${name}`;
  const addPod = (pod: FakePod) => pods.set(key(pod.namespace ?? 'default', pod.name), { pod, uid: randomUUID() });
  for (const pod of options.pods ?? []) addPod(pod);

  const authorized = (req: IncomingMessage) => req.headers.authorization === `Bearer ${token}`;
  const sendJson = (res: ServerResponse, code: number, body: unknown) => {
    res.writeHead(code, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify(body));
  };

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://fake');
    if (!authorized(req)) return sendJson(res, 401, status(401, 'Unauthorized'));
    if (req.method !== 'GET')
      return sendJson(res, 405, status(405, `method ${req.method} is not supported by the fake`));
    if (url.pathname === '/version')
      return sendJson(res, 200, {
        major: '1',
        minor: '31',
        gitVersion: 'v1.31.0-flowlane-fake',
        platform: 'linux/amd64',
      });
    const list = /^\/api\/v1\/namespaces\/([^/]+)\/pods$/.exec(url.pathname);
    if (list) {
      const selector = url.searchParams.get('labelSelector') ?? '';
      const items = [...pods.values()]
        .filter((r) => (r.pod.namespace ?? 'default') === list[1] && matches(r.pod.labels ?? {}, selector))
        .map(podJson);
      return sendJson(res, 200, { apiVersion: 'v1', kind: 'PodList', metadata: {}, items });
    }
    const one = /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)$/.exec(url.pathname);
    if (one) {
      const record = pods.get(key(one[1]!, one[2]!));
      if (record === undefined)
        return sendJson(res, 404, status(404, `pods "${one[2]}" not found`, { name: one[2], kind: 'pods' }));
      return sendJson(res, 200, podJson(record));
    }
    return sendJson(res, 404, status(404, `the fake API server does not serve ${url.pathname}`));
  });
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
    const m = /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)\/exec$/.exec(url.pathname);
    if (!authorized(req)) return refuse(socket, 401, status(401, 'Unauthorized'));
    if (!m) return refuse(socket, 404, status(404, `the fake API server does not serve ${url.pathname}`));
    const record = pods.get(key(m[1]!, m[2]!));
    if (record === undefined)
      return refuse(socket, 404, status(404, `pods "${m[2]}" not found`, { name: m[2], kind: 'pods' }));
    const container = url.searchParams.get('container') ?? '';
    const containers = record.pod.containers ?? ['main'];
    if (!containers.includes(container))
      return refuse(socket, 400, status(400, `container ${container} is not valid for pod ${m[2]}`));
    if ((record.pod.phase ?? 'Running') !== 'Running')
      return refuse(socket, 400, status(400, `pod ${m[2]} is not running`));
    const argv = url.searchParams.getAll('command');
    if (argv.length === 0) return refuse(socket, 400, status(400, 'you must specify at least 1 command'));
    const protocols = String(req.headers['sec-websocket-protocol'] ?? '')
      .split(',')
      .map((p) => p.trim());
    if (!protocols.includes(V5)) return refuse(socket, 400, status(400, `the fake API server speaks only ${V5}`));
    wss.handleUpgrade(req, socket, head, (ws) => {
      execLog.push({ namespace: m[1]!, pod: m[2]!, container, argv });
      runExec(ws, argv, url.searchParams.get('stdin') === 'true');
    });
  });

  const runExec = (ws: WebSocket, argv: string[], stdin: boolean) => {
    const send = (channel: number, data: Buffer) => {
      if (ws.readyState === ws.OPEN) ws.send(Buffer.concat([Buffer.of(channel), data]), { binary: true });
    };
    const child = spawn(argv[0]!, argv.slice(1), {
      cwd: options.cwd ?? process.cwd(),
      detached: true,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    children.add(child);
    if (child.pid !== undefined) processes.set(child.pid, argv);
    let exited = false;
    let spawnError: Error | undefined;
    child.on('error', (e) => {
      spawnError = e;
    });
    child.stdout?.on('data', (d: Buffer) => send(1, d));
    child.stderr?.on('data', (d: Buffer) => send(2, d));
    child.stdin?.on('error', () => undefined);
    if (!stdin) child.stdin?.end();
    child.on('close', (code, signal) => {
      exited = true;
      children.delete(child);
      if (child.pid !== undefined) processes.delete(child.pid);
      send(3, Buffer.from(JSON.stringify(exitStatus(code, signal, spawnError))));
      if (ws.readyState === ws.OPEN) ws.close(1000);
    });
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      if (!isBinary || data.length === 0) return; // the protocol is binary-only
      if (data[0] === 0) child.stdin?.write(data.subarray(1));
      else if (data[0] === 255 && data[1] === 0) child.stdin?.end();
    });
    ws.on('close', () => {
      // The client hung up while the command ran: that is the abort, kill the whole process group.
      if (!exited && child.pid !== undefined) killGroup(child.pid);
    });
  };

  const killGroup = (pid: number) => {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  };

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  let closing: Promise<void> | undefined;

  const close = () => {
    closing ??= (async () => {
      const exits = [...children].map((c) => new Promise<void>((resolve) => c.once('close', () => resolve())));
      for (const c of children) if (c.pid !== undefined) killGroup(c.pid);
      for (const client of wss.clients) client.terminate();
      await Promise.all(exits);
      wss.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      });
    })();
    return closing;
  };

  return {
    server: url,
    token,
    kubeconfig: [
      'apiVersion: v1',
      'kind: Config',
      'clusters:',
      '- name: fake',
      '  cluster:',
      `    server: ${url}`,
      '    insecure-skip-tls-verify: true',
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
    ].join('\n'),
    processes,
    execLog,
    addPod,
    removePod: (namespace, name) => void pods.delete(key(namespace, name)),
    dispose: close,
    [Symbol.asyncDispose]: close,
  };
}
