import { createEngine, workflow } from '@flowlane/core';
import { startFakeKubeApi } from '@flowlane/testing';
import { describe, expect, it } from 'vitest';
import { kubernetesSecrets } from './index.js';

const read = workflow('read')
  .input<{ name: string }>()
  .addNode('get', (ctx) => ctx.getSecret(ctx.input.name))
  .build();

/** Polls `check` (every 20 ms, up to 15 s) until it is true: watches deliver asynchronously. */
async function until(what: string, check: () => boolean | Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`${what} did not happen within 15 s`);
}

describe('kubernetesSecrets watch recovery', () => {
  it('recovers from 410 Expired by watching from the current state and misses no change', async () => {
    // The server ends every watch after 1 s and keeps only 2 past changes, so resuming from db's version expires.
    await using api = await startFakeKubeApi({
      secrets: [{ name: 'db', data: { password: 'one' } }],
      maxWatchSeconds: 1,
      watchHistory: 2,
    });
    const engine = createEngine({
      plugins: [kubernetesSecrets({ kubeConfig: { from: 'file', path: api.kubeconfigPath } })],
    });
    try {
      const get = async () => (await engine.run(read, { name: 'db/password' }).result).outputs.get;
      expect(await get()).toBe('one');
      const watches = () => api.requestLog.filter((r) => r.query.includes('watch=true')).map((r) => r.query);
      for (let n = 0; n < 3; n++) api.setSecret({ name: `noise-${n}`, data: { n: String(n) } });
      // Watching (or, after the server ends a watch at 1 s, resuming) from db's version 1 gets 410 Expired once
      // only 2 past changes are kept; the provider then watches without a version, which starts with the Secret as
      // it is now.
      await until('a watch without a resourceVersion after the 410', () =>
        watches().some((q) => !q.includes('resourceVersion')),
      );
      expect(watches()[0]).toContain('resourceVersion=1');
      api.setSecret({ name: 'db', data: { password: 'two' } });
      await until('the change to reach the provider', async () => (await get()) === 'two');
      // No busy loop: a handful of watch requests in this time, one read of the Secret.
      expect(watches().length).toBeLessThan(10);
      expect(api.requestLog.filter((r) => r.path.endsWith('/secrets/db')).length).toBe(1);
    } finally {
      await engine.close();
    }
  }, 30_000);
});
