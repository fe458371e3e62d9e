import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createReadStream, createWriteStream } from 'node:fs';
import { lstat, mkdir, mkdtemp, readFile, readlink, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { isFlowlaneError } from '@flowlane/core';
import { type SshdService, startSshd } from '@flowlane/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isSshExecutorError } from './errors.js';
import { createSshExecutor, type SshExecutor } from './ssh-executor.js';
import { hostOf, rejection, waitFor } from './ssh-test.test-helper.js';

// The harness's sshd runs on this machine: "remote" paths are local paths in another temporary directory.
let sshd: SshdService;
let ssh: SshExecutor;
let local: string;
let remote: string;
const target = { target: 'web1' };

beforeAll(async () => {
  sshd = await startSshd();
  ssh = createSshExecutor({ hosts: { web1: hostOf(sshd) } });
  local = await mkdtemp(join(tmpdir(), 'flowlane-sftp-local-'));
  remote = await mkdtemp(join(tmpdir(), 'flowlane-sftp-remote-'));
}, 30_000);
afterAll(async () => {
  await ssh?.dispose();
  await sshd?.dispose();
  for (const d of [local, remote]) if (d) await rm(d, { recursive: true, force: true });
}, 30_000);

const sha256File = (path: string): Promise<string> =>
  new Promise((resolve, reject) => {
    const h = createHash('sha256');
    createReadStream(path)
      .on('data', (d) => h.update(d))
      .on('error', reject)
      .on('end', () => resolve(h.digest('hex')));
  });

describe('copyIn / copyOut', () => {
  it('copies a file both ways with size and sha256, creating parents and keeping the mode', async () => {
    const content = randomBytes(300_001);
    const src = join(local, 'app.bin');
    await writeFile(src, content, { mode: 0o750 });
    const there = join(remote, 'a', 'b', 'app.bin');
    const sha = createHash('sha256').update(content).digest('hex');
    expect(await ssh.copyIn(src, there, target)).toEqual({ bytes: content.length, files: 1, sha256: sha });
    expect((await stat(there)).mode & 0o777).toBe(0o750);
    const back = join(local, 'x', 'y', 'app.bin');
    expect(await ssh.copyOut(there, back, target)).toEqual({ bytes: content.length, files: 1, sha256: sha });
    expect((await readFile(back)).equals(content)).toBe(true);
    expect((await stat(back)).mode & 0o777).toBe(0o750);
  });

  it('copies empty files and overwrites existing ones', async () => {
    const src = join(local, 'empty');
    await writeFile(src, '');
    const there = join(remote, 'overwrite');
    await writeFile(there, 'old content that is longer');
    expect(await ssh.copyIn(src, there, target)).toMatchObject({ bytes: 0, files: 1 });
    expect(await readFile(there, 'utf8')).toBe('');
  });

  it('copies directory trees recursively (nested and empty directories, symlinks, modes)', async () => {
    const tree = join(local, 'dist');
    const files: Record<string, string> = {
      'index.html': '<html></html>',
      'assets/app.js': 'console.log(1)',
      'assets/deep/er/x.css': 'body{}',
      "odd name's $(x).txt": 'quoted',
    };
    for (const [rel, text] of Object.entries(files)) {
      await mkdir(dirname(join(tree, rel)), { recursive: true });
      await writeFile(join(tree, rel), text);
    }
    await mkdir(join(tree, 'empty'));
    await writeFile(join(tree, 'run.sh'), '#!/bin/sh\n', { mode: 0o755 });
    await symlink('assets/app.js', join(tree, 'latest.js'));
    const bytes = Object.values(files).reduce((n, t) => n + Buffer.byteLength(t), 0) + '#!/bin/sh\n'.length;

    const there = join(remote, 'srv', 'dist');
    expect(await ssh.copyIn(tree, there, target)).toEqual({ bytes, files: 5 });
    for (const [rel, text] of Object.entries(files)) expect(await readFile(join(there, rel), 'utf8')).toBe(text);
    expect((await stat(join(there, 'empty'))).isDirectory()).toBe(true);
    expect((await stat(join(there, 'run.sh'))).mode & 0o777).toBe(0o755);
    expect(await readlink(join(there, 'latest.js'))).toBe('assets/app.js');

    const back = join(local, 'dist-back');
    expect(await ssh.copyOut(there, back, target)).toEqual({ bytes, files: 5 });
    for (const [rel, text] of Object.entries(files)) expect(await readFile(join(back, rel), 'utf8')).toBe(text);
    expect((await lstat(join(back, 'latest.js'))).isSymbolicLink()).toBe(true);
    expect((await stat(join(back, 'empty'))).isDirectory()).toBe(true);
    // Copying again merges into the existing tree.
    expect(await ssh.copyIn(tree, there, target)).toEqual({ bytes, files: 5 });
  });

  it('fails with FL_SSH_PATH_NOT_FOUND for a missing source, on either side', async () => {
    const inMissing = await rejection(ssh.copyIn(join(local, 'nope'), join(remote, 'x'), target));
    expect(isSshExecutorError(inMissing, 'FL_SSH_PATH_NOT_FOUND') && inMissing.details.side).toBe('local');
    const outMissing = await rejection(ssh.copyOut(join(remote, 'nope'), join(local, 'x'), target));
    expect(isSshExecutorError(outMissing, 'FL_SSH_PATH_NOT_FOUND') && outMissing.details.side).toBe('remote');
  });

  it('fails with FL_SSH_SFTP_FAILED when the remote side refuses the write', async () => {
    const src = join(local, 'small');
    await writeFile(src, 'x');
    await writeFile(join(remote, 'a-file'), '');
    const e = await rejection(ssh.copyIn(src, join(remote, 'a-file', 'child'), target));
    expect(isSshExecutorError(e, 'FL_SSH_SFTP_FAILED')).toBe(true);
    expect(ssh.stats().web1!.channels).toBe(0);
  });

  it('stops a copy when its signal aborts (FL_CANCELLED) and gives the channel back', async () => {
    const src = join(local, 'abort.bin');
    await writeFile(src, Buffer.alloc(32 * 1024 * 1024, 1));
    const ctrl = new AbortController();
    const copying = ssh.copyIn(src, join(remote, 'abort.bin'), { ...target, signal: ctrl.signal });
    await waitFor(async () => (await stat(join(remote, 'abort.bin')).catch(() => undefined)) !== undefined, {
      what: 'the copy to start',
      intervalMs: 5,
    });
    ctrl.abort();
    const e = await rejection(copying);
    expect(isFlowlaneError(e, 'FL_CANCELLED')).toBe(true);
    expect(ssh.stats().web1!.channels).toBe(0);
    const early = await rejection(ssh.copyOut(src, join(local, 'never'), { ...target, signal: AbortSignal.abort() }));
    expect(isFlowlaneError(early, 'FL_CANCELLED')).toBe(true);
  });

  it('streams a 96 MiB file both ways without holding it in memory', async () => {
    const size = 96 * 1024 * 1024;
    const src = join(local, 'big.bin');
    const h = createHash('sha256');
    const out = createWriteStream(src);
    const block = randomBytes(1024 * 1024);
    for (let i = 0; i < size / block.length; i++) {
      block.writeUInt32LE(i, 0); // no two blocks alike
      h.update(block);
      if (!out.write(Buffer.from(block))) await once(out, 'drain');
    }
    await new Promise<void>((resolve, reject) => out.on('error', reject).end(resolve));
    const sha = h.digest('hex');

    // Memory still referenced (heap + buffers) right after a full collection, sampled during both transfers.
    const gc = (globalThis as { gc?: () => void }).gc;
    const retained = (): number => {
      gc?.();
      const m = process.memoryUsage();
      return m.heapUsed + m.arrayBuffers;
    };
    const base = retained();
    const baseRss = process.memoryUsage().rss;
    let peak = 0;
    let peakRss = 0;
    const sampler = setInterval(() => {
      peak = Math.max(peak, retained() - base);
      peakRss = Math.max(peakRss, process.memoryUsage().rss - baseRss);
    }, 200); // each sample is a full collection: every 20 ms made this test 3.6× slower (15 s alone) and it timed out under CI load
    try {
      const there = join(remote, 'big.bin');
      expect(await ssh.copyIn(src, there, target)).toEqual({ bytes: size, files: 1, sha256: sha });
      const back = join(local, 'big-back.bin');
      expect(await ssh.copyOut(there, back, target)).toEqual({ bytes: size, files: 1, sha256: sha });
      expect(await sha256File(back)).toBe(sha);
    } finally {
      clearInterval(sampler);
    }
    expect(gc, 'run with --expose-gc (vitest.config.ts)').toBeTypeOf('function');
    // Buffering the file would retain all 96 MiB. Streaming keeps a window of requests (2 MiB) plus ssh2's own
    // packet buffers: 1.8–3.3 MiB measured here with single-threaded GC (vitest.config.ts), independent of the file
    // size. With V8's concurrent sweeper, buffers already garbage were still counted after gc(): 6–33 MiB alone and
    // once 61 MiB under CI load on Node 24.
    expect(peak).toBeLessThan(size / 2);
    expect(peakRss).toBeLessThan(size);
  }, 180_000); // 2 × 96 MiB through sshd: 29–49 s in CI runs at load 15–25, over 60 s once
});
