import { execFile } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ServiceStartError } from './errors.js';
import { requireBinary } from './find-binary.js';
import { sshBanner } from './probes.js';
import { ServiceProcess, withFreePort } from './process.js';
import { createServiceHandle, type ServiceHandle } from './service-handle.js';
import { createTempDir, removeTempDir } from './temp-dir.js';
import { waitUntilReady } from './wait-until-ready.js';

const execFileAsync = promisify(execFile);

/** Options of {@link startSshd}. */
export interface StartSshdOptions {
  /** How long to wait for the `SSH-2.0` banner. Default: 10 000 ms. */
  readonly startupTimeoutMs?: number | undefined;
  /**
   * Give sessions an empty `HOME` (a directory inside the service's temp dir), so the login shell reads no rc file:
   * a command then costs what it does on a typical server account, not whatever the test user's `~/.bashrc` runs
   * (on the CI machine, root's pyenv set-up added ~0.5 s to every command and made suites time out). Default: true.
   * `false` keeps the user's own HOME and rc files.
   */
  readonly leanLogin?: boolean | undefined;
  /** More `sshd_config` lines (e.g. `MaxSessions 3`), appended after the harness's own. */
  readonly extraConfig?: readonly string[] | undefined;
}

/** A running private OpenSSH server that accepts one generated ed25519 client key for the current user. */
export interface SshdService extends ServiceHandle {
  /** Always `127.0.0.1`. */
  readonly host: string;
  readonly port: number;
  /** User to log in as: the user running the tests (`os.userInfo().username`). */
  readonly username: string;
  /** Client private key (OpenSSH format, unencrypted). */
  readonly privateKey: string;
  /** File holding {@link SshdService.privateKey} (mode 0600), e.g. for `ssh -i`. */
  readonly privateKeyPath: string;
  /** Client public key line (`ssh-ed25519 AAAA… comment`), the only authorized key. */
  readonly publicKey: string;
  /** Server host public key line (`ssh-ed25519 AAAA… comment`). */
  readonly hostPublicKey: string;
  /** Host key fingerprint as `ssh-keygen -l` prints it: `SHA256:<base64 without padding>`. */
  readonly hostKeyFingerprint: string;
  /** A known_hosts file with `[127.0.0.1]:<port> <host key>`, e.g. for `ssh -o UserKnownHostsFile=…`. */
  readonly knownHostsPath: string;
  /** Private directory with keys, config and pid file (removed on dispose). */
  readonly dir: string;
}

async function generateKey(keygen: string, path: string, comment: string): Promise<void> {
  await execFileAsync(keygen, ['-q', '-t', 'ed25519', '-N', '', '-C', comment, '-f', path]);
}

/**
 * Starts a private `sshd` on 127.0.0.1 and a random free port with freshly generated host and client keys
 * (public-key auth only, SFTP enabled), and waits until it sends its `SSH-2.0` banner. Throws
 * {@link ServiceUnavailableError} when openssh-server is not installed.
 *
 * @example
 * ```ts
 * import { Client } from 'ssh2';
 * import { startSshd } from '@flowlane/testing';
 *
 * await using sshd = await startSshd();
 * const client = new Client();
 * client.connect({
 *   host: sshd.host, port: sshd.port, username: sshd.username, privateKey: sshd.privateKey,
 *   hostVerifier: (key: Buffer) => key.equals(Buffer.from(sshd.hostPublicKey.split(' ')[1]!, 'base64')),
 * });
 * ```
 */
export async function startSshd(options: StartSshdOptions = {}): Promise<SshdService> {
  const sshd = await requireBinary('sshd', '/usr/sbin/sshd', 'openssh-server');
  const keygen = await requireBinary('sshd', 'ssh-keygen', 'openssh-client');
  const host = '127.0.0.1';
  const username = userInfo().username;
  const lean = options.leanLogin ?? true;
  // sshd refuses to start without its privilege separation directory; only root can create it.
  await mkdir('/run/sshd', { recursive: true, mode: 0o755 }).catch(() => undefined);

  return withFreePort(async (port) => {
    const dir = await createTempDir('sshd');
    let proc: ServiceProcess | undefined;
    const cleanup = async () => {
      await proc?.stop(5000, { childrenFirst: true });
      await removeTempDir(dir);
    };
    try {
      const hostKeyPath = join(dir, 'host_ed25519');
      const privateKeyPath = join(dir, 'id_ed25519');
      const configPath = join(dir, 'sshd_config');
      const knownHostsPath = join(dir, 'known_hosts');
      await Promise.all([
        generateKey(keygen, hostKeyPath, 'flowlane-test-host'),
        generateKey(keygen, privateKeyPath, 'flowlane-test-client'),
      ]);
      const [privateKey, publicKey, hostPublicKey] = await Promise.all([
        readFile(privateKeyPath, 'utf8'),
        readFile(`${privateKeyPath}.pub`, 'utf8').then((s) => s.trim()),
        readFile(`${hostKeyPath}.pub`, 'utf8').then((s) => s.trim()),
      ]);
      const { stdout: fingerprintLine } = await execFileAsync(keygen, [
        '-l',
        '-E',
        'sha256',
        '-f',
        `${hostKeyPath}.pub`,
      ]);
      const hostKeyFingerprint = fingerprintLine.split(' ')[1] ?? '';
      await writeFile(join(dir, 'authorized_keys'), `${publicKey}\n`, { mode: 0o600 });
      await writeFile(knownHostsPath, `[${host}]:${port} ${hostPublicKey.split(' ').slice(0, 2).join(' ')}\n`);
      await writeFile(
        configPath,
        [
          `Port ${port}`,
          `ListenAddress ${host}`,
          `HostKey ${hostKeyPath}`,
          `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
          `PidFile ${join(dir, 'sshd.pid')}`,
          'UsePAM no',
          'StrictModes no',
          'PubkeyAuthentication yes',
          'PasswordAuthentication no',
          'KbdInteractiveAuthentication no',
          'PermitRootLogin yes',
          'Subsystem sftp internal-sftp',
          ...(lean ? [`SetEnv HOME=${join(dir, 'home')}`] : []),
          ...(options.extraConfig ?? []),
          '',
        ].join('\n'),
      );
      if (lean) await mkdir(join(dir, 'home'), { mode: 0o700 });
      try {
        await execFileAsync(sshd, ['-t', '-f', configPath]);
      } catch (err) {
        const stderr = (err as { stderr?: string }).stderr ?? '';
        throw new ServiceStartError('sshd', `sshd -t rejected ${configPath}`, stderr.trim(), { cause: err });
      }
      proc = await ServiceProcess.spawn('sshd', sshd, ['-D', '-e', '-f', configPath], { cwd: dir });
      const started = proc;
      await waitUntilReady({
        service: 'sshd',
        process: started,
        probe: () => sshBanner(host, port),
        timeoutMs: options.startupTimeoutMs ?? 10_000,
      });
      return createServiceHandle(
        {
          host,
          port,
          username,
          privateKey,
          privateKeyPath,
          publicKey,
          hostPublicKey,
          hostKeyFingerprint,
          knownHostsPath,
          dir,
        },
        cleanup,
      );
    } catch (err) {
      await cleanup();
      throw err;
    }
  });
}
