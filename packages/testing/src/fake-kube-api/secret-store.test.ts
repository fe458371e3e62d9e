import { request } from 'node:https';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeKubeApi } from './start-fake-kube-api.js';
import type { FakeKubeApi } from './types.js';

let api: FakeKubeApi;
beforeAll(async () => {
  api = await startFakeKubeApi({ token: 't', secrets: [{ name: 'a', data: { k: 'v1' } }], watchHistory: 3 });
});
afterAll(() => api?.dispose());

/** One HTTPS call trusting only the fake's CA; `untilLines` ends a watch after that many lines. */
const call = (method: string, path: string, body?: unknown, untilLines?: number) =>
  new Promise<{ status: number; json: () => Record<string, unknown>; lines: () => Record<string, unknown>[] }>(
    (resolve, reject) => {
      const req = request(
        `${api.server}${path}`,
        { method, ca: api.ca, headers: { Authorization: 'Bearer t', 'Content-Type': 'application/json' } },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          const done = () =>
            resolve({
              status: res.statusCode ?? 0,
              json: () => JSON.parse(text) as Record<string, unknown>,
              lines: () =>
                text
                  .trim()
                  .split('\n')
                  .filter(Boolean)
                  .map((l) => JSON.parse(l) as Record<string, unknown>),
            });
          res.on('data', (c: string) => {
            text += c;
            if (untilLines !== undefined && text.split('\n').length > untilLines) {
              res.destroy();
              done();
            }
          });
          res.on('end', done);
        },
      );
      req.on('error', reject);
      req.end(body === undefined ? undefined : JSON.stringify(body));
    },
  );
const ns = '/api/v1/namespaces/default/secrets';

describe('fake Kubernetes API: Secrets', () => {
  it('gets, lists, creates (409 when present), replaces and deletes Secrets with base64 data and stringData', async () => {
    const a = (await call('GET', `${ns}/a`)).json();
    expect(a).toMatchObject({ kind: 'Secret', data: { k: Buffer.from('v1').toString('base64') } });
    expect((await call('GET', `${ns}/none`)).status).toBe(404);
    const created = await call('POST', ns, { metadata: { name: 'b' }, stringData: { s: 'plain' } });
    expect(created.status).toBe(201);
    expect((await call('POST', ns, { metadata: { name: 'b' } })).status).toBe(409);
    expect(
      (await call('PUT', `${ns}/b`, { metadata: { name: 'b' }, data: { s: Buffer.from('new').toString('base64') } }))
        .status,
    ).toBe(200);
    expect((await call('PUT', `${ns}/b`, { data: { s: 'not base64!' } })).status).toBe(422);
    expect(api.secrets.find((s) => s.name === 'b')?.data).toEqual({ s: 'new' });
    const list = (await call('GET', ns)).json();
    expect((list.items as unknown[]).length).toBe(2);
    expect((await call('DELETE', `${ns}/b`)).status).toBe(200);
    expect((await call('DELETE', `${ns}/b`)).status).toBe(404);
  });

  it('watches one Secret from a resourceVersion, and answers 410 Expired for a version older than the history', async () => {
    const rv = ((await call('GET', ns)).json().metadata as { resourceVersion: string }).resourceVersion;
    api.setSecret({ name: 'a', data: { k: 'v2' } });
    api.setSecret({ name: 'other', data: { x: 'y' } });
    const events = (
      await call('GET', `${ns}?watch=true&fieldSelector=metadata.name%3Da&resourceVersion=${rv}`, undefined, 1)
    ).lines();
    expect(events[0]).toMatchObject({
      type: 'MODIFIED',
      object: { metadata: { name: 'a' }, data: { k: Buffer.from('v2').toString('base64') } },
    });
    for (let k = 0; k < 4; k++) api.setSecret({ name: 'churn', data: { n: String(k) } });
    const expired = (await call('GET', `${ns}?watch=true&resourceVersion=${rv}`)).lines();
    expect(expired[0]).toMatchObject({ type: 'ERROR', object: { code: 410, reason: 'Expired' } });
  });
});
