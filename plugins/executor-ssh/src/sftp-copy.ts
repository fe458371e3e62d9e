/* Internal: copyIn / copyOut of files and directory trees over one SFTP session. */
import { lstat, mkdir, readdir, readlink, stat, symlink } from 'node:fs/promises';
import { dirname, join, posix } from 'node:path';
import type { CopyResult } from '@flowlane/core';
import type { FileEntryWithStats, SFTPWrapper, Stats } from 'ssh2';
import { SshExecutorError } from './errors.js';
import { downloadFile, sftpCall, uploadFile } from './sftp-transfer.js';

/** SFTP status codes (draft-ietf-secsh-filexfer-02). */
const NO_SUCH_FILE = 2;

const sftpCode = (e: unknown): unknown => (e as { code?: unknown }).code;

/** Wraps SFTP failures into `FL_SSH_SFTP_FAILED` (typed errors pass through). */
async function step<T>(host: string, operation: string, path: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    if (SshExecutorError.is(error)) throw error;
    throw new SshExecutorError(
      'FL_SSH_SFTP_FAILED',
      { host, operation, path, reason: (error as Error).message ?? String(error) },
      { cause: error },
    );
  }
}

async function remoteStat(sftp: SFTPWrapper, session: AbortSignal, path: string): Promise<Stats | undefined> {
  try {
    return await sftpCall<Stats>(session, (cb) => sftp.stat(path, cb));
  } catch (error) {
    if (sftpCode(error) === NO_SUCH_FILE) return undefined;
    throw error;
  }
}

/** `mkdir -p` on the remote side. */
async function remoteMkdirs(sftp: SFTPWrapper, session: AbortSignal, host: string, dir: string): Promise<void> {
  if (dir === '' || dir === '.' || dir === '/') return;
  const existing = await step(host, 'stat', dir, () => remoteStat(sftp, session, dir));
  if (existing?.isDirectory()) return;
  await remoteMkdirs(sftp, session, host, posix.dirname(dir));
  await step(host, 'mkdir', dir, async () => {
    try {
      await sftpCall<void>(session, (cb) => sftp.mkdir(dir, (e) => cb(e, undefined)));
    } catch (error) {
      // Created meanwhile by a concurrent copy: fine if it is a directory now.
      if (!(await remoteStat(sftp, session, dir))?.isDirectory()) throw error;
    }
  });
}

/** Copies a local file or directory tree to `remotePath` (which becomes that file or directory). */
export async function copyToRemote(
  sftp: SFTPWrapper,
  session: AbortSignal,
  host: string,
  localPath: string,
  remotePath: string,
): Promise<CopyResult> {
  const top = await stat(localPath).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT')
      throw new SshExecutorError('FL_SSH_PATH_NOT_FOUND', { side: 'local', path: localPath, host });
    throw error;
  });
  if (!top.isDirectory()) {
    await remoteMkdirs(sftp, session, host, posix.dirname(remotePath));
    const t = await step(host, 'upload', remotePath, () =>
      uploadFile(sftp, session, localPath, remotePath, top.mode & 0o7777),
    );
    return { bytes: t.bytes, files: 1, sha256: t.sha256 };
  }
  let bytes = 0;
  let files = 0;
  const walk = async (from: string, to: string, mode: number): Promise<void> => {
    await remoteMkdirs(sftp, session, host, to);
    await step(host, 'chmod', to, () =>
      sftpCall<void>(session, (cb) => sftp.chmod(to, mode & 0o7777, (e) => cb(e, undefined))),
    );
    for (const entry of await readdir(from, { withFileTypes: true })) {
      const src = join(from, entry.name);
      const dst = posix.join(to, entry.name);
      if (entry.isDirectory()) await walk(src, dst, (await stat(src)).mode);
      else if (entry.isSymbolicLink()) {
        const target = await readlink(src);
        await step(host, 'symlink', dst, async () => {
          await sftpCall<void>(session, (cb) => sftp.unlink(dst, (e) => cb(e, undefined))).catch(() => undefined);
          await sftpCall<void>(session, (cb) => sftp.symlink(target, dst, (e) => cb(e, undefined)));
        });
      } else if (entry.isFile()) {
        const mode = (await lstat(src)).mode & 0o7777;
        bytes += (await step(host, 'upload', dst, () => uploadFile(sftp, session, src, dst, mode))).bytes;
        files++;
      }
    }
  };
  await walk(localPath, remotePath, top.mode);
  return { bytes, files };
}

/** Copies a remote file or directory tree to `localPath` (which becomes that file or directory). */
export async function copyFromRemote(
  sftp: SFTPWrapper,
  session: AbortSignal,
  host: string,
  remotePath: string,
  localPath: string,
): Promise<CopyResult> {
  const top = await step(host, 'stat', remotePath, () => remoteStat(sftp, session, remotePath));
  if (top === undefined)
    throw new SshExecutorError('FL_SSH_PATH_NOT_FOUND', { side: 'remote', path: remotePath, host });
  if (!top.isDirectory()) {
    await mkdir(dirname(localPath), { recursive: true });
    const t = await step(host, 'download', remotePath, () =>
      downloadFile(sftp, session, remotePath, localPath, top.mode & 0o7777),
    );
    return { bytes: t.bytes, files: 1, sha256: t.sha256 };
  }
  let bytes = 0;
  let files = 0;
  const walk = async (from: string, to: string, mode: number): Promise<void> => {
    await mkdir(to, { recursive: true, mode: mode & 0o7777 });
    const entries = await step(host, 'readdir', from, () =>
      sftpCall<FileEntryWithStats[]>(session, (cb) => sftp.readdir(from, cb)),
    );
    for (const entry of entries.sort((a, b) => a.filename.localeCompare(b.filename))) {
      const src = posix.join(from, entry.filename);
      const dst = join(to, entry.filename);
      if (entry.attrs.isDirectory()) await walk(src, dst, entry.attrs.mode);
      else if (entry.attrs.isSymbolicLink()) {
        const target = await step(host, 'readlink', src, () =>
          sftpCall<string>(session, (cb) => sftp.readlink(src, cb)),
        );
        await symlink(target, dst).catch(async (error: NodeJS.ErrnoException) => {
          if (error.code !== 'EEXIST') throw error;
        });
      } else if (entry.attrs.isFile()) {
        bytes += (
          await step(host, 'download', src, () => downloadFile(sftp, session, src, dst, entry.attrs.mode & 0o7777))
        ).bytes;
        files++;
      }
    }
  };
  await walk(remotePath, localPath, top.mode);
  return { bytes, files };
}
