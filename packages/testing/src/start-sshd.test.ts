import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Client, type SFTPWrapper } from 'ssh2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SshdService, startSshd } from './start-sshd.js';

const execFileAsync = promisify(execFile);

const fingerprintOf = (key: Buffer) => `SHA256:${createHash('sha256').update(key).digest('base64').replace(/=+$/, '')}`;

function connect(sshd: SshdService, hostVerifier: (key: Buffer) => boolean): Promise<Client> {
  return new Promise((resolve, reject) => {
    const client = new Client();
    client
      .once('ready', () => resolve(client))
      .once('error', reject)
      .connect({
        host: sshd.host,
        port: sshd.port,
        username: sshd.username,
        privateKey: sshd.privateKey,
        hostVerifier,
        readyTimeout: 10_000,
      });
  });
}

function exec(client: Client, command: string): Promise<{ stdout: string; stderr: string; code: number }> {
  return new Promise((resolve, reject) => {
    client.exec(command, (err, stream) => {
      if (err) return reject(err);
      let stdout = '';
      let stderr = '';
      stream.on('data', (chunk: Buffer) => {
        stdout += chunk.toString('utf8');
      });
      stream.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString('utf8');
      });
      stream.once('close', (code: number) => resolve({ stdout, stderr, code }));
    });
  });
}

describe('startSshd', () => {
  let sshd: SshdService;
  let client: Client;
  const seenHostKeys: string[] = [];

  beforeAll(async () => {
    sshd = await startSshd();
    client = await connect(sshd, (key) => {
      seenHostKeys.push(fingerprintOf(key));
      return fingerprintOf(key) === sshd.hostKeyFingerprint;
    });
  }, 30_000);

  afterAll(async () => {
    client?.end();
    await sshd?.dispose();
  });

  it('authenticates with the generated key after verifying the host key fingerprint', () => {
    expect(sshd.hostKeyFingerprint).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
    expect(seenHostKeys).toEqual([sshd.hostKeyFingerprint]);
    const [type, base64] = sshd.hostPublicKey.split(' ');
    expect(type).toBe('ssh-ed25519');
    expect(fingerprintOf(Buffer.from(base64 ?? '', 'base64'))).toBe(sshd.hostKeyFingerprint);
  });

  it('runs a command', async () => {
    expect(await exec(client, 'echo hello')).toEqual({ stdout: 'hello\n', stderr: '', code: 0 });
    expect((await exec(client, 'id -un')).stdout.trim()).toBe(sshd.username);
  });

  it('round-trips a file over SFTP', async () => {
    const sftp = await new Promise<SFTPWrapper>((resolve, reject) =>
      client.sftp((err, s) => (err ? reject(err) : resolve(s))),
    );
    const path = join(sshd.dir, 'sftp-upload.txt');
    const content = `flowlane ${Date.now()}\n`;
    await new Promise<void>((resolve, reject) =>
      sftp.writeFile(path, content, (err) => (err ? reject(err) : resolve())),
    );
    const back = await new Promise<Buffer>((resolve, reject) =>
      sftp.readFile(path, (err, data) => (err ? reject(err) : resolve(data))),
    );
    sftp.end();
    expect(back.toString('utf8')).toBe(content);
    expect(await readFile(path, 'utf8')).toBe(content);
  });

  it('refuses a connection whose host key does not verify', async () => {
    await expect(connect(sshd, () => false)).rejects.toThrow(/verification failed/i);
  });

  it('provides a key file and known_hosts usable by the OpenSSH client', async () => {
    expect((await stat(sshd.privateKeyPath)).mode & 0o077).toBe(0);
    expect(await readFile(sshd.privateKeyPath, 'utf8')).toBe(sshd.privateKey);
    expect(sshd.privateKey).toMatch(/^-----BEGIN OPENSSH PRIVATE KEY-----/);
    expect(await readFile(sshd.knownHostsPath, 'utf8')).toBe(
      `[127.0.0.1]:${sshd.port} ${sshd.hostPublicKey.split(' ').slice(0, 2).join(' ')}\n`,
    );
    const { stdout } = await execFileAsync('ssh', [
      '-i',
      sshd.privateKeyPath,
      '-p',
      String(sshd.port),
      '-o',
      `UserKnownHostsFile=${sshd.knownHostsPath}`,
      '-o',
      'StrictHostKeyChecking=yes',
      '-o',
      'BatchMode=yes',
      '-o',
      'IdentitiesOnly=yes',
      `${sshd.username}@127.0.0.1`,
      'echo from-openssh',
    ]);
    expect(stdout).toBe('from-openssh\n');
  });
});

describe('startSshd({ leanLogin, extraConfig })', () => {
  it("gives sessions an empty HOME by default, and the user's own with leanLogin: false", async () => {
    const home = async (service: SshdService) => {
      const client = await connect(service, (key) => fingerprintOf(key) === service.hostKeyFingerprint);
      try {
        return (await exec(client, 'echo "$HOME"')).stdout.trim();
      } finally {
        client.end();
      }
    };
    const byDefault = await startSshd();
    const own = await startSshd({ leanLogin: false });
    try {
      expect(await home(byDefault)).toBe(join(byDefault.dir, 'home'));
      expect(await home(own)).toBe(userInfo().homedir);
    } finally {
      await Promise.all([byDefault.dispose(), own.dispose()]);
    }
  });

  it('gives sessions an empty HOME inside its own dir, applies extra config lines, and removes it all on dispose', async () => {
    const lean = await startSshd({ leanLogin: true, extraConfig: ['MaxSessions 1'] });
    const client = await connect(lean, (key) => fingerprintOf(key) === lean.hostKeyFingerprint);
    try {
      const { stdout } = await exec(client, 'echo "$HOME"; ls -A "$HOME" | wc -l');
      expect(stdout.split('\n').slice(0, 2)).toEqual([join(lean.dir, 'home'), '0']);
      expect(await readFile(join(lean.dir, 'sshd_config'), 'utf8')).toMatch(/^MaxSessions 1$/m);
      // MaxSessions 1: a second session on the same connection is refused while the first is open.
      const second = await new Promise<unknown>((resolve) =>
        client.exec('sleep 2', (err, first) => {
          if (err) return resolve(err);
          client.exec('true', (refused) => {
            first.close();
            resolve(refused);
          });
        }),
      );
      expect(String(second)).toMatch(/open failed/i);
    } finally {
      client.end();
      await lean.dispose();
    }
    await expect(stat(lean.dir)).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
