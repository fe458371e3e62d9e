import { mkdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { dockerCall, dockerRequest } from './docker-api.js';
import { importBaseImage, requireStaticBusybox } from './docker-base-image.js';
import { ServiceStartError, ServiceUnavailableError } from './errors.js';
import { requireBinary } from './find-binary.js';
import { adoptProcess, processesMentioning, ServiceProcess, terminateTrees } from './process.js';
import { createServiceHandle, type ServiceHandle } from './service-handle.js';
import { createTempDir, removeTempDir } from './temp-dir.js';
import { waitUntilReady } from './wait-until-ready.js';

/** Options of {@link startDocker}. */
export interface StartDockerOptions {
  /** How long to wait for `/_ping`. Default: 30 000 ms. */
  readonly startupTimeoutMs?: number | undefined;
}

/** A running private Docker daemon with the `flowlane-test/busybox:latest` base image imported. */
export interface DockerService extends ServiceHandle {
  /** The daemon's API socket, e.g. for `new Docker({ socketPath })`. */
  readonly socketPath: string;
  /** `unix://<socketPath>`, e.g. for `DOCKER_HOST`. */
  readonly dockerHost: string;
  /** `flowlane-test/busybox:latest`: static busybox with every applet, `/etc/passwd` (root, nobody), `/tmp`. */
  readonly image: string;
  /** Private directory holding data root, exec root, socket and pid file (removed on dispose). */
  readonly dir: string;
}

/** unix socket paths are limited to 108 bytes; containerd puts its sockets under `<exec-root>/containerd/`. */
const MAX_SOCKET_PATH = 100;

/**
 * Starts a private `dockerd` (own data root, exec root, socket and containerd namespace; no bridge network, no
 * iptables), waits for `/_ping`, then imports the base image built from the host's static busybox — no image
 * registry is needed. Needs root. Containers should use `NetworkMode: 'none'` (or `'host'`). Dispose removes
 * every container, stops the daemon and deletes its directory. Throws {@link ServiceUnavailableError} when
 * docker.io or busybox-static is not installed.
 *
 * @example
 * ```ts
 * import Docker from 'dockerode';
 * import { startDocker } from '@flowlane/testing';
 *
 * await using docker = await startDocker();
 * const client = new Docker({ socketPath: docker.socketPath });
 * const container = await client.createContainer({
 *   Image: docker.image, Cmd: ['echo', 'hi'], HostConfig: { NetworkMode: 'none' },
 * });
 * await container.start();
 * await container.wait();
 * ```
 */
export async function startDocker(options: StartDockerOptions = {}): Promise<DockerService> {
  const dockerd = await requireBinary('docker', 'dockerd', 'docker.io');
  const busybox = await requireBinary('docker', 'busybox', 'busybox-static');
  const tar = await requireBinary('docker', 'tar', 'tar');
  await requireStaticBusybox(busybox);
  if (process.getuid?.() !== 0) {
    throw new ServiceStartError('docker', 'dockerd needs root privileges; run the tests as root', '');
  }

  const longestSocket = join(tmpdir(), 'flowlane-docker-XXXXXX', 'exec', 'containerd', 'containerd.sock.ttrpc');
  const dir = await createTempDir('docker', longestSocket.length > MAX_SOCKET_PATH ? '/tmp' : tmpdir());
  const socketPath = join(dir, 'docker.sock');
  const namespace = `flowlane-${basename(dir).slice(-6).toLowerCase()}`;
  let proc: ServiceProcess | undefined;

  const cleanup = async () => {
    if (proc && !proc.exitStatus) {
      // Containers left running would keep dockerd (and their mounts) busy on shutdown.
      const list = await dockerCall(socketPath, 'GET', '/containers/json?all=1').catch(() => '[]');
      await Promise.all(
        (JSON.parse(list) as { Id: string }[]).map(({ Id }) =>
          dockerRequest(socketPath, 'DELETE', `/containers/${Id}?force=true&v=true`).catch(() => undefined),
        ),
      );
    }
    await proc?.stop(20_000);
    // containerd-shim daemons are re-parented away from dockerd; normally they are gone with the containers.
    await terminateTrees(processesMentioning(dir), 5000);
    await removeTempDir(dir);
  };

  try {
    await mkdir(join(dir, 'tmp'));
    proc = await ServiceProcess.spawn(
      'docker',
      dockerd,
      [
        `--data-root=${join(dir, 'data')}`,
        `--exec-root=${join(dir, 'exec')}`,
        `--pidfile=${join(dir, 'docker.pid')}`,
        `--host=unix://${socketPath}`,
        '--iptables=false',
        '--ip6tables=false',
        '--bridge=none',
        // A private namespace keeps containers apart if dockerd picks up a system-wide containerd.
        `--containerd-namespace=${namespace}`,
        `--containerd-plugins-namespace=${namespace}-plugins`,
        '--log-level=warn',
      ],
      // Its own TMPDIR, removed with the rest: containerd writes a stack dump there when dockerd, stopping, finds it
      // slow to exit (one was left in /tmp under CI load).
      { cwd: dir, env: { ...process.env, TMPDIR: join(dir, 'tmp') } },
    );
    const started = proc;
    await waitUntilReady({
      service: 'docker',
      process: started,
      probe: async () => (await dockerRequest(socketPath, 'GET', '/_ping', { timeoutMs: 2000 })).status === 200,
      timeoutMs: options.startupTimeoutMs ?? 30_000,
      intervalMs: 100,
    });
    // dockerd runs its own containerd; track it so leak checks notice if it outlives dockerd.
    const containerdPid = await readFile(join(dir, 'exec', 'containerd', 'containerd.pid'), 'utf8').catch(() => '');
    if (/^\d+$/.test(containerdPid.trim())) adoptProcess('docker', Number(containerdPid.trim()), 'containerd');
    const image = await importBaseImage(socketPath, { busybox, tar }, dir);
    return createServiceHandle({ socketPath, dockerHost: `unix://${socketPath}`, image, dir }, cleanup);
  } catch (err) {
    await cleanup().catch(() => undefined);
    if (err instanceof ServiceStartError || err instanceof ServiceUnavailableError || !proc) throw err;
    throw new ServiceStartError('docker', err instanceof Error ? err.message : String(err), proc.output(), {
      cause: err,
    });
  }
}
