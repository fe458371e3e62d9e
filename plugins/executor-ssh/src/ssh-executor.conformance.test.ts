import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { executorConformance, type SshdService, startSshd } from '@flowlane/testing';
import { afterAll, beforeAll } from 'vitest';
import { createSshExecutor } from './ssh-executor.js';
import { hostOf } from './ssh-test.test-helper.js';

// The harness's sshd runs on this machine, so the "remote" side is a local temporary directory.
let sshd: SshdService;
let remoteRoot: string;
beforeAll(async () => {
  sshd = await startSshd();
  remoteRoot = await mkdtemp(join(tmpdir(), 'flowlane-ssh-conformance-'));
}, 30_000);
afterAll(async () => {
  await sshd?.dispose();
  if (remoteRoot) await rm(remoteRoot, { recursive: true, force: true });
}, 30_000);

executorConformance('createSshExecutor', () => createSshExecutor({ hosts: { web1: hostOf(sshd) }, killGraceMs: 500 }), {
  target: 'web1',
  remotePath: async (name) => join(await mkdtemp(join(remoteRoot, 'r-')), name),
});
