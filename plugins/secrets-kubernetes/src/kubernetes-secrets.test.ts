import { createEngine, type Engine, workflow } from '@flowlane/core';
import { type FakeKubeApi, startFakeKubeApi } from '@flowlane/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KubernetesSecretsError, kubernetesSecrets } from './index.js';

let api: FakeKubeApi;
let engine: Engine;
beforeAll(async () => {
  api = await startFakeKubeApi({
    secrets: [
      { name: 'db', data: { password: 'pw-initial-0001', user: 'app' } },
      { namespace: 'other', name: 'x', data: { k: 'v' } },
    ],
  });
  engine = createEngine({
    plugins: [
      kubernetesSecrets({
        kubeConfig: { from: 'file', path: api.kubeconfigPath },
        secrets: { 'db-password': { name: 'db', key: 'password' } },
      }),
    ],
  });
});
afterAll(async () => {
  await engine?.close();
  await api?.dispose();
});

const read = workflow('read')
  .input<{ name: string }>()
  .addNode('get', async (ctx) => {
    const v = await ctx.getSecret(ctx.input.name);
    ctx.log.info(`got ${v}`);
    return v;
  })
  .build();
const get = async (name: string) => {
  const r = await engine.run(read, { name }).result;
  return r.status === 'success' ? r.outputs.get : r.nodes.get?.error?.code;
};

/** Waits (up to 15 s) until `name` reads as `want`: the watch delivers changes asynchronously. */
async function eventually(name: string, want: unknown): Promise<void> {
  const deadline = Date.now() + 15_000;
  let last: unknown;
  while (Date.now() < deadline) {
    last = await get(name);
    if (last === want) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`"${name}" still reads ${String(last)} after 15 s, expected ${String(want)}`);
}

describe('kubernetesSecrets', () => {
  it('reads Secret keys by alias, as secret/key and namespace/secret/key, and redacts them from events', async () => {
    expect(await get('db-password')).toBe('pw-initial-0001');
    expect(await get('db/user')).toBe('app');
    expect(await get('default/db/user')).toBe('app');
    expect(await get('db/nope')).toBe('FL_SECRET_NOT_FOUND');
    expect(await get('no-slash-name')).toBe('FL_SECRET_NOT_FOUND');
    const run = engine.run(read, { name: 'db-password' });
    const events: unknown[] = [];
    run.events$.subscribe((e) => events.push(e));
    await run.result;
    expect(JSON.stringify(events)).toContain('got [REDACTED]');
    expect(JSON.stringify(events)).not.toContain('pw-initial-0001');
  });

  it('follows changes, creation and deletion through a watch, not by polling', async () => {
    expect(await get('db-password')).toBe('pw-initial-0001');
    const reads = () =>
      api.requestLog.filter((r) => r.method === 'GET' && r.path === '/api/v1/namespaces/default/secrets/db').length;
    const before = reads();
    api.setSecret({ name: 'db', data: { password: 'pw-rotated-0002', user: 'app' } });
    await eventually('db-password', 'pw-rotated-0002');
    expect(reads()).toBe(before); // the new value came through the watch
    expect(
      api.requestLog.some((r) => r.path === '/api/v1/namespaces/default/secrets' && r.query.includes('watch=true')),
    ).toBe(true);

    expect(await get('late/token')).toBe('FL_SECRET_NOT_FOUND');
    api.setSecret({ name: 'late', data: { token: 'tok-created-later' } });
    await eventually('late/token', 'tok-created-later');

    api.deleteSecret('default', 'db');
    await eventually('db-password', 'FL_SECRET_NOT_FOUND');
  });

  it('refuses namespaces that are not allowed and bad options', async () => {
    expect(await get('other/x/k')).toBe('FL_K8S_SECRETS_NAMESPACE_NOT_ALLOWED');
    let e: unknown;
    try {
      kubernetesSecrets({ secrets: { a: { name: 'db', kye: 'x' } as never } });
    } catch (x) {
      e = x;
    }
    expect(KubernetesSecretsError.is(e, 'FL_K8S_SECRETS_INVALID_OPTION') && e.message).toContain('did you mean "key"?');
    // The kubeConfig source's own keys were not checked: a missing path or a misspelt context passed.
    expect(() => kubernetesSecrets({ kubeConfig: { from: 'file' } as never })).toThrow(
      /option "kubeConfig\.path": expected the path of a kubeconfig file/,
    );
    expect(() => kubernetesSecrets({ kubeConfig: { from: 'file', path: 'k', contxt: 'prod' } as never })).toThrow(
      /option "kubeConfig\.contxt": unknown option for from: "file"; did you mean "context"\?/,
    );
    expect(() => kubernetesSecrets({ kubeConfig: { from: 'in-cluster', path: 'k' } as never })).toThrow(
      /kubeConfig\.path": unknown option for from: "in-cluster"/,
    );
    expect(() => kubernetesSecrets({ kubeConfig: { from: 'yaml', yaml: '' } })).toThrow(/kubeConfig\.yaml/);
    const bad = createEngine({
      plugins: [kubernetesSecrets({ kubeConfig: { from: 'yaml', yaml: 'a: [unclosed\n  token: s3cret' } })],
    });
    const setup = await bad.ready().catch((x: unknown) => x);
    expect(JSON.stringify(setup) + String((setup as Error).message)).not.toContain('s3cret');
    expect((setup as { code?: string }).code).toBe('FL_PLUGIN_SETUP_FAILED');
    await bad.close();
  });
});
