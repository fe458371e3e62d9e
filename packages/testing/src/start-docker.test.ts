import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { runningServiceProcesses } from './process.js';
import { type DockerService, startDocker } from './start-docker.js';

/** Splits Docker's multiplexed log stream (8-byte frame headers) into stdout and stderr. */
function demux(buffer: Buffer): { stdout: string; stderr: string } {
  let stdout = '';
  let stderr = '';
  for (let offset = 0; offset + 8 <= buffer.length; ) {
    const size = buffer.readUInt32BE(offset + 4);
    const payload = buffer.subarray(offset + 8, offset + 8 + size).toString('utf8');
    if (buffer[offset] === 2) stderr += payload;
    else stdout += payload;
    offset += 8 + size;
  }
  return { stdout, stderr };
}

describe('startDocker', () => {
  let docker: DockerService;
  let client: Docker;

  async function run(cmd: string[], user?: string): Promise<{ stdout: string; stderr: string; exitCode: number }> {
    const container = await client.createContainer({
      Image: docker.image,
      Cmd: cmd,
      ...(user ? { User: user } : {}),
      HostConfig: { NetworkMode: 'none' },
    });
    try {
      await container.start();
      const { StatusCode } = (await container.wait()) as { StatusCode: number };
      const logs = await container.logs({ stdout: true, stderr: true, follow: false });
      return { ...demux(logs), exitCode: StatusCode };
    } finally {
      await container.remove({ force: true });
    }
  }

  beforeAll(async () => {
    docker = await startDocker();
    client = new Docker({ socketPath: docker.socketPath });
  }, 60_000);

  afterAll(async () => {
    await docker?.dispose();
  }, 60_000);

  it('answers on its private socket with the base image imported', async () => {
    expect(docker.socketPath).toBe(`${docker.dir}/docker.sock`);
    expect(docker.dockerHost).toBe(`unix://${docker.socketPath}`);
    expect((await client.ping()).toString()).toBe('OK');
    const images = await client.listImages();
    expect(images.flatMap((i) => i.RepoTags ?? [])).toEqual(['flowlane-test/busybox:latest']);
  });

  it("keeps dockerd's and containerd's temp files in its own dir (a containerd stack dump lands there, not in /tmp)", async () => {
    const containerd = runningServiceProcesses().find(
      (p) => p.service === 'docker' && p.command.includes('containerd'),
    );
    expect(containerd, 'containerd among the harness processes').toBeDefined();
    process.kill(containerd!.pid, 'SIGUSR1'); // containerd dumps its goroutine stacks to $TMPDIR on SIGUSR1
    const dump = join(docker.dir, 'tmp', `containerd.${containerd!.pid}.stacks.log`);
    await vi.waitFor(() => expect(existsSync(dump)).toBe(true), { timeout: 5000 });
    expect(existsSync(join(tmpdir(), `containerd.${containerd!.pid}.stacks.log`))).toBe(false);
  });

  it('runs a container through dockerode', async () => {
    expect(await run(['echo', 'hi'])).toEqual({ stdout: 'hi\n', stderr: '', exitCode: 0 });
  });

  it('provides users, a writable /tmp and no network', async () => {
    expect((await run(['id', '-un'])).stdout).toBe('root\n');
    const asNobody = await run(['sh', '-c', 'id -un && echo ok > /tmp/probe && cat /tmp/probe'], 'nobody');
    expect(asNobody).toEqual({ stdout: 'nobody\nok\n', stderr: '', exitCode: 0 });
    expect((await run(['ls', '/sys/class/net'])).stdout.split(/\s+/).filter(Boolean)).toEqual(['lo']);
    expect((await run(['sh', '-c', 'exit 3'])).exitCode).toBe(3);
  });
});
