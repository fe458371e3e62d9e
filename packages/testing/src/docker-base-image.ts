/* Internal: builds the `flowlane-test/busybox` base image from the host's static busybox (no registry needed). */
import { execFile } from 'node:child_process';
import { chmod, copyFile, mkdir, open, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { dockerCall } from './docker-api.js';
import { ServiceUnavailableError } from './errors.js';
import { installCommandFor } from './find-binary.js';

const execFileAsync = promisify(execFile);

/** Repository and tag of the base image. */
export const BASE_IMAGE_REPO = 'flowlane-test/busybox';
export const BASE_IMAGE_TAG = 'latest';

/** `true` unless the ELF file has a PT_INTERP program header (i.e. needs a dynamic loader the image lacks). */
async function isStaticElf(path: string): Promise<boolean> {
  const file = await open(path, 'r');
  try {
    const header = Buffer.alloc(64);
    await file.read(header, 0, 64, 0);
    if (header.readUInt32BE(0) !== 0x7f454c46 || header[4] !== 2 || header[5] !== 1) return false; // ELF64 LE only
    const phoff = Number(header.readBigUInt64LE(32));
    const phentsize = header.readUInt16LE(54);
    const phnum = header.readUInt16LE(56);
    const table = Buffer.alloc(phentsize * phnum);
    await file.read(table, 0, table.length, phoff);
    for (let i = 0; i < phnum; i++) {
      if (table.readUInt32LE(i * phentsize) === 3 /* PT_INTERP */) return false;
    }
    return true;
  } finally {
    await file.close();
  }
}

/** Throws {@link ServiceUnavailableError} unless `busybox` is statically linked (it must run in an empty image). */
export async function requireStaticBusybox(busybox: string): Promise<void> {
  if (!(await isStaticElf(busybox))) {
    throw new ServiceUnavailableError(
      'docker',
      `static busybox (${busybox} is dynamically linked)`,
      installCommandFor('busybox-static'),
    );
  }
}

/**
 * Writes a minimal rootfs (`bin/busybox` + one symlink per applet, `etc/passwd` with root and nobody, a
 * world-writable `tmp/`) under `workDir`, tars it with the system `tar` and imports it through the API.
 */
export async function importBaseImage(
  socketPath: string,
  tools: { busybox: string; tar: string },
  workDir: string,
): Promise<string> {
  const rootfs = join(workDir, 'rootfs');
  await Promise.all(['bin', 'etc', 'tmp', 'root'].map((d) => mkdir(join(rootfs, d), { recursive: true })));
  await chmod(join(rootfs, 'tmp'), 0o1777);
  await chmod(join(rootfs, 'root'), 0o700);
  await copyFile(tools.busybox, join(rootfs, 'bin', 'busybox'));
  await chmod(join(rootfs, 'bin', 'busybox'), 0o755);
  const { stdout: list } = await execFileAsync(tools.busybox, ['--list']);
  const applets = list.split('\n').filter((name) => /^[\w.[-]+$/.test(name) && name !== 'busybox');
  await Promise.all(applets.map((name) => symlink('busybox', join(rootfs, 'bin', name))));
  await writeFile(
    join(rootfs, 'etc', 'passwd'),
    'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n',
  );
  await writeFile(join(rootfs, 'etc', 'group'), 'root:x:0:\nnogroup:x:65534:\n');

  const { stdout: tarball } = await execFileAsync(
    tools.tar,
    ['--numeric-owner', '--owner=0', '--group=0', '-C', rootfs, '-cf', '-', '.'],
    { encoding: 'buffer', maxBuffer: 256 * 1024 * 1024 },
  );
  const reply = await dockerCall(
    socketPath,
    'POST',
    `/images/create?fromSrc=-&repo=${encodeURIComponent(BASE_IMAGE_REPO)}&tag=${BASE_IMAGE_TAG}`,
    { body: tarball, contentType: 'application/x-tar', timeoutMs: 60_000 },
  );
  // The import answers 200 with a JSON progress stream; failures arrive as {"error": …} lines.
  for (const line of reply.split('\n')) {
    if (line.trim() === '') continue;
    const message = JSON.parse(line) as { error?: string };
    if (message.error) throw new Error(`Docker image import failed: ${message.error}`);
  }
  const image = `${BASE_IMAGE_REPO}:${BASE_IMAGE_TAG}`;
  await dockerCall(socketPath, 'GET', `/images/${image}/json`);
  return image;
}
