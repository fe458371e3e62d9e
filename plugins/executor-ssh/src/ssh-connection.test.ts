import { execFileSync } from 'node:child_process';
import { appendFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from '@flowlane/core';
import { type SshdService, startSshd } from '@flowlane/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isSshExecutorError, type SshErrorCode } from './errors.js';
import type { SshHostOptions } from './options.js';
import { createSshExecutor } from './ssh-executor.js';
import { hostOf } from './ssh-test.test-helper.js';

let sshd: SshdService;
let dir: string;

beforeAll(async () => {
  sshd = await startSshd();
  dir = await mkdtemp(join(tmpdir(), 'flowlane-ssh-conn-'));
}, 30_000);
afterAll(async () => {
  await sshd?.dispose();
  if (dir) await rm(dir, { recursive: true, force: true });
}, 30_000);

const keygen = (name: string, passphrase = ''): string => {
  const path = join(dir, name);
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', passphrase, '-C', name, '-f', path]);
  return path;
};

/** Runs `true` on a fresh executor for `host` and returns the outcome (disposing the executor). */
async function attempt(host: SshHostOptions, logger?: Logger): Promise<'ok' | unknown> {
  const ex = createSshExecutor({ hosts: { web1: host }, ...(logger ? { logger } : {}) });
  try {
    await ex.exec('true', { target: 'web1' }).result;
    return 'ok';
  } catch (error) {
    return error;
  } finally {
    await ex.dispose();
  }
}
const expectCode = (outcome: unknown, code: SshErrorCode) => {
  expect(isSshExecutorError(outcome) ? outcome.code : outcome).toBe(code);
};
const hostKeyLine = () => sshd.hostPublicKey.split(' ').slice(0, 2).join(' ');

describe('host key verification', () => {
  it('accepts the key listed in a known_hosts file ([host]:port entry)', async () => {
    expect(await attempt(hostOf(sshd))).toBe('ok');
  });

  it('accepts a hashed known_hosts entry', async () => {
    const file = join(dir, 'hashed_known_hosts');
    await writeFile(file, await readFile(sshd.knownHostsPath));
    execFileSync('ssh-keygen', ['-H', '-f', file], { stdio: 'ignore' });
    expect(await readFile(file, 'utf8')).toMatch(/^\|1\|/);
    expect(await attempt(hostOf(sshd, { knownHosts: file }))).toBe('ok');
  });

  it('refuses a different key for the host with FL_SSH_HOST_KEY_MISMATCH (known_hosts)', async () => {
    const other = await readFile(`${keygen('impostor')}.pub`, 'utf8');
    const file = join(dir, 'wrong_known_hosts');
    await writeFile(file, `[${sshd.host}]:${sshd.port} ${other.split(' ').slice(0, 2).join(' ')}\n`);
    const outcome = await attempt(hostOf(sshd, { knownHosts: file }));
    expectCode(outcome, 'FL_SSH_HOST_KEY_MISMATCH');
    expect(isSshExecutorError(outcome, 'FL_SSH_HOST_KEY_MISMATCH') && outcome.details).toMatchObject({
      fingerprint: sshd.hostKeyFingerprint,
      source: 'knownHosts',
    });
  });

  it('refuses a host missing from known_hosts with FL_SSH_HOST_KEY_UNKNOWN (no trust on first use)', async () => {
    const file = join(dir, 'other_host_known_hosts');
    await writeFile(file, `[${sshd.host}]:${sshd.port + 1} ${hostKeyLine()}\n`);
    expectCode(await attempt(hostOf(sshd, { knownHosts: file })), 'FL_SSH_HOST_KEY_UNKNOWN');
    expectCode(await attempt(hostOf(sshd, { knownHosts: join(dir, 'does-not-exist') })), 'FL_SSH_HOST_KEY_UNKNOWN');
  });

  it('refuses a key marked @revoked', async () => {
    const file = join(dir, 'revoked_known_hosts');
    await writeFile(file, `[${sshd.host}]:${sshd.port} ${hostKeyLine()}\n@revoked * ${hostKeyLine()}\n`);
    expectCode(await attempt(hostOf(sshd, { knownHosts: file })), 'FL_SSH_HOST_KEY_REVOKED');
  });

  it('uses the executor-level knownHosts for hosts that set none', async () => {
    const { knownHosts: _, ...host } = hostOf(sshd);
    const ex = createSshExecutor({ hosts: { web1: host }, knownHosts: sshd.knownHostsPath });
    expect((await ex.exec('echo', { args: ['ok'], target: 'web1' }).result).stdout).toBe('ok\n');
    await ex.dispose();
  });

  it('checks pinned fingerprints instead of known_hosts when given', async () => {
    const pinned = { knownHosts: join(dir, 'does-not-exist') };
    expect(await attempt(hostOf(sshd, { ...pinned, hostKeyFingerprints: [sshd.hostKeyFingerprint] }))).toBe('ok');
    const wrong = `SHA256:${'A'.repeat(43)}`;
    const outcome = await attempt(hostOf(sshd, { ...pinned, hostKeyFingerprints: [wrong] }));
    expectCode(outcome, 'FL_SSH_HOST_KEY_MISMATCH');
    expect(isSshExecutorError(outcome, 'FL_SSH_HOST_KEY_MISMATCH') && outcome.details).toMatchObject({
      expected: [wrong],
      source: 'hostKeyFingerprints',
    });
  });

  it('rejects malformed fingerprints when the executor is created', () => {
    expect(() => createSshExecutor({ hosts: { web1: hostOf(sshd, { hostKeyFingerprints: ['MD5:ab:cd'] }) } })).toThrow(
      expect.objectContaining({ code: 'FL_SSH_INVALID_OPTION' }),
    );
  });

  it('accepts any key only with insecureAcceptAnyHostKey, and warns about it', async () => {
    const warnings: string[] = [];
    const logger: Logger = {
      debug: () => undefined,
      info: () => undefined,
      warn: (m) => warnings.push(m),
      error: () => undefined,
    };
    const host = hostOf(sshd, { knownHosts: join(dir, 'does-not-exist'), insecureAcceptAnyHostKey: true });
    expect(await attempt(host, logger)).toBe('ok');
    expect(warnings).toEqual([expect.stringContaining('host key verification is disabled')]);
  });
});

describe('connection errors are typed', () => {
  it('FL_SSH_AUTH_FAILED for a key the server does not accept', async () => {
    const outcome = await attempt(hostOf(sshd, { privateKey: await readFile(keygen('stranger'), 'utf8') }));
    expectCode(outcome, 'FL_SSH_AUTH_FAILED');
    expect(isSshExecutorError(outcome, 'FL_SSH_AUTH_FAILED') && outcome.details.username).toBe(sshd.username);
  });

  it('encrypted keys: the passphrase logs in, a wrong or missing one is FL_SSH_AUTH_FAILED', async () => {
    const path = keygen('encrypted', 'correct horse');
    await appendFile(join(sshd.dir, 'authorized_keys'), await readFile(`${path}.pub`, 'utf8'));
    const base = hostOf(sshd, { privateKey: undefined, privateKeyPath: path });
    expect(await attempt({ ...base, passphrase: 'correct horse' })).toBe('ok');
    expectCode(await attempt({ ...base, passphrase: 'wrong' }), 'FL_SSH_AUTH_FAILED');
    expectCode(await attempt(base), 'FL_SSH_AUTH_FAILED');
  });

  it('FL_SSH_INVALID_OPTION for an unreadable privateKeyPath', async () => {
    const outcome = await attempt(hostOf(sshd, { privateKey: undefined, privateKeyPath: join(dir, 'nope') }));
    expectCode(outcome, 'FL_SSH_INVALID_OPTION');
  });

  it('FL_SSH_CONNECTION_REFUSED when nothing listens on the port', async () => {
    const port = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const { port } = s.address() as { port: number };
        s.close(() => resolve(port));
      });
    });
    expectCode(await attempt(hostOf(sshd, { port })), 'FL_SSH_CONNECTION_REFUSED');
  });

  it('FL_SSH_TIMEOUT when the server never completes the handshake', async () => {
    const sockets = new Set<Socket>();
    const silent: Server = createServer((s) => sockets.add(s));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const { port } = silent.address() as { port: number };
    const outcome = await attempt(hostOf(sshd, { port, connectTimeoutMs: 300 }));
    expectCode(outcome, 'FL_SSH_TIMEOUT');
    expect(isSshExecutorError(outcome, 'FL_SSH_TIMEOUT') && outcome.details.ms).toBe(300);
    for (const s of sockets) s.destroy();
    await new Promise((r) => silent.close(r));
  });

  it('FL_SSH_HOST_UNREACHABLE when the name does not resolve', async () => {
    expectCode(await attempt(hostOf(sshd, { host: 'flowlane-no-such-host.invalid' })), 'FL_SSH_HOST_UNREACHABLE');
  });

  it('FL_SSH_INVALID_OPTION for bad configuration, when the executor is created', () => {
    const bad: Partial<SshHostOptions>[] = [
      { port: 70_000 },
      { maxChannelsPerConnection: 0 },
      { env: { 'A-B': 'x' } },
      { privateKeyPath: '/x' },
      { host: '' },
    ];
    for (const extra of bad)
      expect(() => createSshExecutor({ hosts: { web1: hostOf(sshd, extra) } })).toThrow(
        expect.objectContaining({ code: 'FL_SSH_INVALID_OPTION' }),
      );
    expect(() => createSshExecutor({ hosts: { web1: hostOf(sshd) }, defaultHost: 'db' })).toThrow(
      expect.objectContaining({ code: 'FL_SSH_HOST_NOT_CONFIGURED' }),
    );
  });
});
