import { fileURLToPath } from 'node:url';
import { docSnippetsSuite, type SshdService, startSshd } from '@flowlane/testing';
import { afterAll, beforeAll } from 'vitest';

// The README's examples read their host from DEPLOY_* variables: point them at a real sshd and run them.
let sshd: SshdService;
const saved = { ...process.env };
beforeAll(async () => {
  sshd = await startSshd();
  Object.assign(process.env, {
    DEPLOY_HOST: sshd.host,
    DEPLOY_PORT: String(sshd.port),
    DEPLOY_USER: sshd.username,
    DEPLOY_KEY: sshd.privateKeyPath,
    DEPLOY_KNOWN_HOSTS: sshd.knownHostsPath,
  });
}, 30_000);
afterAll(async () => {
  for (const k of ['DEPLOY_HOST', 'DEPLOY_PORT', 'DEPLOY_USER', 'DEPLOY_KEY', 'DEPLOY_KNOWN_HOSTS']) {
    if (saved[k] === undefined) delete process.env[k];
    else process.env[k] = saved[k];
  }
  await sshd?.dispose();
}, 30_000);

// Every ```ts block of the README that imports this package runs as a program; printed output must match.
docSnippetsSuite({
  docs: [fileURLToPath(new URL('../README.md', import.meta.url))],
  imports: { '@flowlane/executor-ssh': fileURLToPath(new URL('./index.ts', import.meta.url)) },
  minSnippets: 2,
});
