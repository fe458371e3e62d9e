/* Internal: copyIn/copyOut through Docker's archive API (putArchive/getArchive), files and directories. */
import { lstat } from 'node:fs/promises';
import { posix } from 'node:path';
import { extractTo, packPath } from '@flowlane/artifacts';
import type { CopyResult } from '@flowlane/core';
import type Docker from 'dockerode';
import { statusOf, toDockerError } from './docker-errors-map.js';
import { DockerExecutorError } from './errors.js';
import type { DockerConnectionOptions } from './options.js';

/** True when `path` exists in the container (works on stopped and created containers too). */
async function exists(container: Docker.Container, path: string): Promise<boolean> {
  try {
    await container.infoArchive({ path });
    return true;
  } catch (error) {
    if (statusOf(error) === 404) return false;
    throw error;
  }
}

/**
 * Copies a local file or directory to `remotePath` in the container, creating missing parent directories (the
 * archive is put at the deepest existing ancestor, so existing directories keep their modes).
 */
export async function copyIntoContainer(
  container: Docker.Container,
  localPath: string,
  remotePath: string,
  connection: DockerConnectionOptions | undefined,
): Promise<CopyResult> {
  try {
    await lstat(localPath);
  } catch (error) {
    throw new DockerExecutorError('FL_DOCKER_PATH_NOT_FOUND', { side: 'local', path: localPath }, { cause: error });
  }
  try {
    const dest = posix.resolve('/', remotePath);
    let base = posix.dirname(dest);
    while (base !== '/' && !(await exists(container, base))) base = posix.dirname(base);
    const rel = posix.relative(base, dest);
    const parts = rel.split('/');
    const parents = parts.slice(0, -1).map((_, i) => parts.slice(0, i + 1).join('/'));
    const packed = packPath(localPath, rel, parents);
    const [result] = await Promise.all([packed.done, container.putArchive(packed.stream, { path: base })]);
    return result;
  } catch (error) {
    throw toDockerError('container archive put', error, connection);
  }
}

/** Copies `remotePath` (a file or directory) out of the container to `localPath`. */
export async function copyOutOfContainer(
  container: Docker.Container,
  containerName: string,
  remotePath: string,
  localPath: string,
  connection: DockerConnectionOptions | undefined,
): Promise<CopyResult> {
  let stream: NodeJS.ReadableStream;
  try {
    stream = await container.getArchive({ path: remotePath });
  } catch (error) {
    if (statusOf(error) === 404)
      throw new DockerExecutorError(
        'FL_DOCKER_PATH_NOT_FOUND',
        { side: 'container', path: remotePath, container: containerName },
        { cause: error },
      );
    throw toDockerError('container archive get', error, connection);
  }
  return extractTo(stream, localPath);
}
