import { existsSync, readFileSync, statSync } from 'node:fs';
import { request } from 'node:https';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startFakeKubeApi } from './start-fake-kube-api.js';
import type { FakeKubeApi } from './types.js';

let api: FakeKubeApi;

beforeAll(async () => {
  api = await startFakeKubeApi({
    token: 'secret',
    pods: [{ name: 'p', labels: { app: 'a', tier: 'x' } }, { name: 'q' }, { name: 'r', phase: 'Pending' }],
  });
});
afterAll(() => api?.dispose());

/** GET over HTTPS, trusting only the fake's CA (global fetch takes no CA). */
const get = (path: string, token = 'secret') =>
  new Promise<{ status: number; contentType: string | undefined; json(): unknown }>((resolve, reject) => {
    const req = request(
      `${api.server}${path}`,
      { ca: api.ca, headers: { Authorization: `Bearer ${token}` } },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            contentType: res.headers['content-type'],
            json: () => JSON.parse(text),
          }),
        );
      },
    );
    req.on('error', reject);
    req.end();
  });

/** Opens an exec socket and collects every frame until the server closes it. */
function execFrames(query: string, protocols: string[], send?: (ws: WebSocket) => void, pod = 'p') {
  return new Promise<{ protocol: string; frames: Buffer[]; code: number }>((resolve, reject) => {
    const ws = new WebSocket(
      `${api.server.replace('http', 'ws')}/api/v1/namespaces/default/pods/${pod}/exec?${query}`,
      protocols,
      { headers: { Authorization: 'Bearer secret' }, ca: api.ca },
    );
    const frames: Buffer[] = [];
    ws.on('open', () => send?.(ws));
    ws.on('message', (data: Buffer) => frames.push(data));
    ws.on('close', (code) => resolve({ protocol: ws.protocol, frames, code }));
    ws.on('error', reject);
  });
}

describe('startFakeKubeApi', () => {
  it('serves /version and pods with bearer-token auth and Status errors', async () => {
    expect((await get('/version', 'wrong')).status).toBe(401);
    expect((await get('/version')).json()).toMatchObject({ major: '1' });
    const list = (await get('/api/v1/namespaces/default/pods?labelSelector=app%3Da,tier!%3Dy')).json() as {
      items: { metadata: { name: string } }[];
    };
    expect(list.items.map((p) => p.metadata.name)).toEqual(['p']);
    const missing = await get('/api/v1/namespaces/default/pods/nope');
    expect(missing.status).toBe(404);
    expect(missing.contentType).toBe('application/json');
    expect(missing.json()).toMatchObject({ kind: 'Status', reason: 'NotFound', code: 404 });
    expect((await get('/api/v1/namespaces/default/pods/r')).json()).toMatchObject({
      status: {
        phase: 'Pending',
        containerStatuses: [{ name: 'main', state: { waiting: { reason: 'ContainerCreating' } } }],
      },
    });
  });

  it('serves HTTPS that only its own CA verifies, and plain HTTP with tls: false', async () => {
    expect(api.server).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(api.ca).toContain('BEGIN CERTIFICATE');
    // Without the CA, certificate verification fails as it would against a real cluster's self-signed CA.
    const untrusted = await fetch(`${api.server}/version`).then(
      () => undefined,
      (e: { cause?: { code?: string } }) => e.cause?.code,
    );
    expect(untrusted).toBe('UNABLE_TO_VERIFY_LEAF_SIGNATURE');
    const plain = await startFakeKubeApi({ tls: false, token: 't' });
    try {
      expect(plain.server).toMatch(/^http:\/\//);
      expect(plain.ca).toBeUndefined();
      expect(plain.kubeconfig).toContain('insecure-skip-tls-verify: true');
      const version = await fetch(`${plain.server}/version`, { headers: { Authorization: 'Bearer t' } });
      expect(await version.json()).toMatchObject({ major: '1' });
    } finally {
      await plain.dispose();
    }
  });

  it('writes the kubeconfig to a private file that dispose removes', async () => {
    const other = await startFakeKubeApi();
    expect(readFileSync(other.kubeconfigPath, 'utf8')).toBe(other.kubeconfig);
    expect(other.kubeconfig).toContain(`server: ${other.server}`);
    expect(other.kubeconfig).toContain(`certificate-authority-data: ${Buffer.from(other.ca!).toString('base64')}`);
    expect(other.kubeconfig).not.toContain('insecure-skip-tls-verify');
    expect(other.kubeconfig).toContain(`token: ${other.token}`);
    expect(statSync(other.kubeconfigPath).mode & 0o777).toBe(0o600);
    await other.dispose();
    expect(existsSync(other.kubeconfigPath)).toBe(false);
    await other.dispose();
  });

  it('speaks v5 exec: binary channel frames, stdin close, status frame before close', async () => {
    const query =
      'command=sh&command=-c&command=cat%3Becho%20err%20%3E%262%3Bexit%204&container=main&stdin=true&stdout=true&stderr=true';
    const { protocol, frames } = await execFrames(query, ['v5.channel.k8s.io', 'v4.channel.k8s.io'], (ws) => {
      ws.send(Buffer.from('\u0000hello'), { binary: true });
      ws.send('\u0000ignored text frame');
      ws.send(Buffer.of(255, 0), { binary: true });
    });
    expect(protocol).toBe('v5.channel.k8s.io');
    expect(frames.every((f) => [1, 2, 3].includes(f[0]!))).toBe(true);
    const text = (ch: number) =>
      frames
        .filter((f) => f[0] === ch)
        .map((f) => f.subarray(1).toString())
        .join('');
    expect(text(1)).toBe('hello');
    expect(text(2)).toBe('err\n');
    expect(frames.at(-1)![0]).toBe(3);
    expect(JSON.parse(text(3))).toMatchObject({
      status: 'Failure',
      reason: 'NonZeroExitCode',
      details: { causes: [{ reason: 'ExitCode', message: '4' }] },
    });
    expect(api.execLog.at(-1)).toMatchObject({ pod: 'p', container: 'main', argv: ['sh', '-c', expect.any(String)] });
  });

  it('kills the exec process group when the client hangs up', async () => {
    const ws = new WebSocket(
      `${api.server.replace('http', 'ws')}/api/v1/namespaces/default/pods/p/exec?command=sleep&command=30&container=main&stdout=true`,
      ['v5.channel.k8s.io'],
      { headers: { Authorization: 'Bearer secret' }, ca: api.ca },
    );
    await new Promise((resolve) => ws.on('open', resolve));
    await expect.poll(() => api.processes.size).toBe(1);
    ws.close();
    await expect.poll(() => api.processes.size, { timeout: 5000 }).toBe(0);
  });

  it('refuses clients without v5, unknown containers and pods that do not run', async () => {
    const noV5 = execFrames('command=true&container=main&stdout=true', ['v4.channel.k8s.io']);
    await expect(noV5).rejects.toThrow('400');
    await expect(execFrames('command=true&container=db&stdout=true', ['v5.channel.k8s.io'])).rejects.toThrow('400');
    const pending = execFrames('command=true&container=main&stdout=true', ['v5.channel.k8s.io'], undefined, 'r');
    await expect(pending).rejects.toThrow('400');
  });

  it('lists and removes pods through the handle', async () => {
    api.addPod({ namespace: 'other', name: 's', labels: { app: 'b' } });
    expect(api.pods.find((p) => p.name === 's')).toEqual({
      namespace: 'other',
      name: 's',
      labels: { app: 'b' },
      phase: 'Running',
      containers: ['main'],
      job: undefined,
      pid: undefined,
    });
    api.removePod('other', 's');
    expect(api.pods.some((p) => p.name === 's')).toBe(false);
  });
});
