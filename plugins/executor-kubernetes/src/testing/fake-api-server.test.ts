import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { type FakeKubeApi, startFakeKubeApi } from './fake-api-server.js';

let api: FakeKubeApi;

beforeAll(async () => {
  api = await startFakeKubeApi({
    token: 'secret',
    pods: [{ name: 'p', labels: { app: 'a', tier: 'x' } }, { name: 'q' }],
  });
});
afterAll(() => api?.dispose());

const get = (path: string, token = 'secret') =>
  fetch(`${api.server}${path}`, { headers: { Authorization: `Bearer ${token}` } });

/** Opens an exec socket and collects every frame until the server closes it. */
function execFrames(query: string, protocols: string[], send?: (ws: WebSocket) => void) {
  return new Promise<{ protocol: string; frames: Buffer[]; code: number }>((resolve, reject) => {
    const ws = new WebSocket(
      `${api.server.replace('http', 'ws')}/api/v1/namespaces/default/pods/p/exec?${query}`,
      protocols,
      {
        headers: { Authorization: 'Bearer secret' },
      },
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
    expect(await (await get('/version')).json()).toMatchObject({ major: '1' });
    const list = (await (await get('/api/v1/namespaces/default/pods?labelSelector=app%3Da,tier!%3Dy')).json()) as {
      items: { metadata: { name: string } }[];
    };
    expect(list.items.map((p) => p.metadata.name)).toEqual(['p']);
    const missing = await get('/api/v1/namespaces/default/pods/nope');
    expect(missing.status).toBe(404);
    expect(missing.headers.get('content-type')).toBe('application/json');
    expect(await missing.json()).toMatchObject({ kind: 'Status', reason: 'NotFound', code: 404 });
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
  });

  it('refuses clients without v5 and unknown containers', async () => {
    const noV5 = execFrames('command=true&container=main&stdout=true', ['v4.channel.k8s.io']);
    await expect(noV5).rejects.toThrow('400');
    await expect(execFrames('command=true&container=db&stdout=true', ['v5.channel.k8s.io'])).rejects.toThrow('400');
  });
});
