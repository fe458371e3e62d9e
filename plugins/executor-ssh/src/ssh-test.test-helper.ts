import type { ExecHandle, ExecResult, OutputChunk } from '@flowlane/core';
import { type SshdService, startSshd } from '@flowlane/testing';
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
 * An sshd (from the harness, `leanLogin: true`) whose sessions get an empty HOME, so the login shell reads no rc file
 * and a command takes ~3 ms instead of the harness account's ~85 ms (its ~/.bashrc runs `pyenv init`). Fast commands
 * expose races that slow ones hide. `extraConfig` lines are appended to its sshd_config. Stop it with `stop()`.
 */
export async function startLeanSshd(
  extraConfig: readonly string[] = [],
): Promise<{ host: SshHostOptions; stop(): Promise<void> }> {
  const sshd = await startSshd({ leanLogin: true, extraConfig });
  return { host: hostOf(sshd), stop: () => sshd.dispose() };
}
