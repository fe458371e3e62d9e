import { createSocket } from 'node:dgram';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import Docker from 'dockerode';
import { Client } from 'ssh2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningServiceProcess, runningServiceProcesses } from './process.js';
import type { ServiceHandle } from './service-handle.js';
import { type DockerService, startDocker } from './start-docker.js';
import { type PrometheusService, startPrometheus } from './start-prometheus.js';
import { type RedisService, startRedis } from './start-redis.js';
import { type SshdService, startSshd } from './start-sshd.js';
import { type StatsdListener, startStatsdListener } from './start-statsd-listener.js';

/** Resolves with the error code of a TCP connection attempt (`undefined` if it connected). */
function connectError(options: { port: number; host: string } | { path: string }): Promise<string | undefined> {
  return new Promise((resolve) => {
    const socket = connect(options);
    socket.once('connect', () => {
      socket.destroy();
      resolve(undefined);
    });
    socket.once('error', (err: NodeJS.ErrnoException) => resolve(err.code));
  });
}

/** A process is gone when signal 0 fails, or (for orphans nobody reaps) when only its zombie remains. */
function isGone(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return true;
  }
  try {
    return /^\d+ \(.*\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return true;
  }
}

/** Live (non-zombie) processes whose command line mentions `text`. */
function processesMentioning(text: string): string[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry) && Number(entry) !== process.pid)
    .flatMap((entry) => {
      try {
        const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replaceAll('\0', ' ');
        return cmdline.includes(text) && !isGone(Number(entry)) ? [`${entry}: ${cmdline}`] : [];
      } catch {
        return [];
      }
    });
}

describe('disposing every service', () => {
  let redis: RedisService;
  let sshd: SshdService;
  let prometheus: PrometheusService;
  let statsd: StatsdListener;
  let docker: DockerService;
  let started: RunningServiceProcess[];
  let sshSessionPid: number;
  let containerPid: number;
  let sshClient: Client;

  beforeAll(async () => {
    const results = await Promise.allSettled([
      startRedis(),
      startSshd(),
      startPrometheus({ scrapeTargets: [] }),
      startStatsdListener(),
      startDocker(),
    ]);
    const failure = results.find((r) => r.status === 'rejected');
    if (failure) {
      await Promise.all(
        results.map((r) => (r.status === 'fulfilled' ? (r.value as ServiceHandle).dispose() : undefined)),
      );
      throw failure.reason;
    }
    const value = <T>(result: PromiseSettledResult<T>) => (result as PromiseFulfilledResult<T>).value;
    redis = value(results[0]);
    sshd = value(results[1]);
    prometheus = value(results[2]);
    statsd = value(results[3]);
    docker = value(results[4]);
    started = runningServiceProcesses();

    // Leave work running inside the services so dispose has to clean up more than the main processes.
    sshClient = new Client();
    sshClient.on('error', () => undefined);
    await new Promise<void>((resolve, reject) => {
      sshClient.once('ready', resolve).once('error', reject);
      sshClient.connect({ host: sshd.host, port: sshd.port, username: sshd.username, privateKey: sshd.privateKey });
    });
    sshSessionPid = await new Promise<number>((resolve, reject) => {
      sshClient.exec('echo $$; exec sleep 60', (err, stream) => {
        if (err) return reject(err);
        stream.once('data', (chunk: Buffer) => resolve(Number(chunk.toString('utf8').trim())));
        stream.stderr.resume();
      });
    });
    const dockerClient = new Docker({ socketPath: docker.socketPath });
    const container = await dockerClient.createContainer({
      Image: docker.image,
      Cmd: ['sleep', '60'],
      HostConfig: { NetworkMode: 'none' },
    });
    await container.start();
    containerPid = (await container.inspect()).State.Pid;
  }, 60_000);

  afterAll(async () => {
    sshClient?.end();
    await Promise.all([redis, sshd, prometheus, statsd, docker].map((s) => s?.dispose()));
  }, 60_000);

  it('leaves no process, port, socket or directory behind', async () => {
    expect(new Set(started.map((p) => p.service))).toEqual(new Set(['redis', 'sshd', 'prometheus', 'docker']));
    expect(started.map((p) => p.command)).toContain('containerd');
    expect(isGone(sshSessionPid)).toBe(false);
    expect(isGone(containerPid)).toBe(false);
    const dirs = [redis.dir, sshd.dir, prometheus.dir, docker.dir];
    expect(dirs.every((dir) => existsSync(dir))).toBe(true);
    // The container's shim names the private directory on its command line.
    expect(processesMentioning(docker.dir).some((p) => p.includes('containerd-shim'))).toBe(true);

    await Promise.all([redis.dispose(), sshd.dispose(), prometheus.dispose(), statsd.dispose(), docker.dispose()]);

    expect(runningServiceProcesses()).toEqual([]);
    for (const { pid } of started)
      expect(() => process.kill(pid, 0)).toThrow(expect.objectContaining({ code: 'ESRCH' }));
    expect(isGone(sshSessionPid)).toBe(true);
    expect(isGone(containerPid)).toBe(true);

    for (const port of [redis.port, sshd.port, prometheus.port]) {
      expect(await connectError({ host: '127.0.0.1', port })).toBe('ECONNREFUSED');
    }
    expect(await connectError({ path: docker.socketPath })).toBe('ENOENT');
    const udp = createSocket('udp4');
    await new Promise<void>((resolve, reject) => {
      udp.once('error', reject);
      udp.bind(statsd.port, '127.0.0.1', resolve);
    });
    await new Promise<void>((resolve) => udp.close(() => resolve()));

    for (const dir of dirs) {
      expect(existsSync(dir)).toBe(false);
      expect(processesMentioning(dir)).toEqual([]);
    }
  }, 60_000);

  it('dispose is idempotent, also through Symbol.asyncDispose', async () => {
    await Promise.all([redis, sshd, prometheus, statsd, docker].map((s) => s[Symbol.asyncDispose]()));
    await redis.dispose();
    expect(runningServiceProcesses()).toEqual([]);
  });
});
