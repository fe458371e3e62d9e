/* Test helpers shared by this package's tests (not part of the build). */
import { spawn } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { type AddressInfo, connect, createServer } from 'node:net';
import { join } from 'node:path';
import type { ExecHandle, ExecResult, OutputChunk } from '@flowlane/core';
import type { SshdService } from '@flowlane/testing';
import { expect } from 'vitest';
import type { SshHostOptions } from './options.js';

/** Options that reach the harness's sshd with verified host key. */
export const hostOf = (sshd: SshdService, extra: Partial<SshHostOptions> = {}): SshHostOptions => ({
  host: sshd.host,
  port: sshd.port,
  username: sshd.username,
  privateKey: sshd.privateKey,
  knownHosts: sshd.knownHostsPath,
  ...extra,
});

/** Polls `probe` until it returns true (every `intervalMs`), failing after `timeoutMs`. */
export async function waitFor(
  probe: () => boolean | Promise<boolean>,
  { timeoutMs = 5000, intervalMs = 50, what = 'condition' } = {},
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    if (await probe()) return;
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** The rejection of `promise` (fails the test if it resolves). */
export async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => expect.unreachable('expected a rejection'),
    (e: unknown) => e,
  );
}

/** Output chunks and result of a handle. */
export async function collect(handle: ExecHandle): Promise<{ chunks: OutputChunk[]; result: ExecResult }> {
  const chunks: OutputChunk[] = [];
  handle.output$.subscribe((c) => chunks.push(c));
  return { chunks, result: await handle.result };
}

/** A unique `sleep` duration that identifies a test's remote processes in `ps` (e.g. `60.4821937`). */
export const uniqueSleep = (): string => `60.${Math.floor(Math.random() * 1e7)}`;

/**
 * A second sshd sharing the harness's keys and config whose sessions get an empty HOME, so the login shell reads no
 * rc file and a command takes ~3 ms instead of the harness account's ~85 ms (its ~/.bashrc runs `pyenv init`).
 * Fast commands expose races that slow ones hide. `extraConfig` lines are appended to its sshd_config. Stop it with
 * `stop()`.
 */
export async function startLeanSshd(
  sshd: SshdService,
  extraConfig: readonly string[] = [],
): Promise<{ host: SshHostOptions; stop(): Promise<void> }> {
  const port = await new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => resolve(port));
    });
  });
  const home = join(sshd.dir, 'lean-home');
  await mkdir(home, { recursive: true });
  const config = (await readFile(join(sshd.dir, 'sshd_config'), 'utf8'))
    .replace(/^Port \d+$/m, `Port ${port}`)
    .replace(/^PidFile .*$/m, `PidFile ${join(sshd.dir, `lean-${port}.pid`)}`);
  const configPath = join(sshd.dir, `lean-${port}_config`);
  await writeFile(configPath, `${config}SetEnv HOME=${home}\n${extraConfig.map((l) => `${l}\n`).join('')}`);
  const knownHosts = join(sshd.dir, `lean-${port}_known_hosts`);
  await writeFile(knownHosts, `[${sshd.host}]:${port} ${sshd.hostPublicKey.split(' ').slice(0, 2).join(' ')}\n`);
  const proc = spawn('/usr/sbin/sshd', ['-D', '-e', '-f', configPath], { stdio: 'ignore' });
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  await waitFor(
    () =>
      new Promise<boolean>((resolve) => {
        const s = connect(port, sshd.host);
        s.once('data', () => {
          s.destroy();
          resolve(true);
        });
        s.once('error', () => resolve(false));
      }),
    { what: 'the lean sshd banner', intervalMs: 20 },
  );
  return {
    host: { ...hostOf(sshd), port, knownHosts },
    stop: async () => {
      proc.kill('SIGTERM');
      await exited;
    },
  };
}
