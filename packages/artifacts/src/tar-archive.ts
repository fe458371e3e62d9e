import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { lstat, mkdir, readdir, readlink, rm, symlink } from 'node:fs/promises';
import { dirname, join, posix, resolve, sep } from 'node:path';
import { finished } from 'node:stream/promises';
import type { CopyResult } from '@flowlane/core';
import { extract, pack } from 'tar-stream';

/** A tar stream being produced from a local path, and the totals once it is complete. */
export interface PackedPath {
  readonly stream: NodeJS.ReadableStream;
  readonly done: Promise<CopyResult>;
}

/**
 * Streams `localPath` (a file or a directory, recursively; symlinks kept as links) as a tar archive whose root
 * entry is named `rootName`, preceded by directory entries for `parents` (relative paths, outermost first).
 * `done` settles when the whole archive was produced, with bytes and files counted and a single file's sha256.
 * Aborting `options.signal` closes the file being read, ends the archive and rejects `done` with the reason.
 *
 * @example
 * ```ts
 * import { packPath } from '@flowlane/artifacts';
 * import type { Container } from 'dockerode';
 *
 * declare const container: Container; // a dockerode container
 * const { stream, done } = packPath('./dist', 'dist', ['app']); // entries app/, app/dist/…
 * await container.putArchive(stream, { path: '/srv' });
 * console.log(await done); // { bytes, files }
 * ```
 */
export function packPath(
  localPath: string,
  rootName: string,
  parents: readonly string[] = [],
  options: { readonly signal?: AbortSignal | undefined } = {},
): PackedPath {
  const archive = pack();
  // The failure is reported through `done`; a destroyed archive must not also throw from an unheard 'error' event
  // (consumers such as an HTTP request pipe it without listening for errors).
  archive.on('error', () => undefined);
  const { signal } = options;
  /** The file being read now, so an abort can close it. */
  let reading: ReturnType<typeof createReadStream> | undefined;
  let bytes = 0;
  let files = 0;
  let sha256: string | undefined;

  const addFile = async (path: string, name: string, mode: number, mtime: Date, size: number, hash: boolean) => {
    const h = hash ? createHash('sha256') : undefined;
    let written = 0;
    await new Promise<void>((done, fail) => {
      const entry = archive.entry({ name, type: 'file', mode, mtime, size }, (err) => (err ? fail(err) : done()));
      entry.on('error', () => undefined); // reported through `fail` (a read error destroys the entry with it)
      const source = createReadStream(path);
      reading = source;
      source.once('close', () => {
        if (reading === source) reading = undefined;
      });
      source.on('data', (chunk) => {
        const buf = chunk as Buffer;
        written += buf.length;
        h?.update(buf);
        if (!entry.write(buf)) {
          source.pause();
          entry.once('drain', () => source.resume());
        }
      });
      source.on('error', (err) => {
        entry.destroy(err);
        fail(err);
      });
      source.on('end', () => {
        if (written !== size) fail(new Error(`${path} changed size while it was archived`));
        else entry.end(undefined);
      });
    });
    bytes += size;
    files++;
    if (h !== undefined) sha256 = h.digest('hex');
  };

  const add = async (path: string, name: string, top: boolean): Promise<void> => {
    if (signal?.aborted) throw aborted();
    const s = await lstat(path);
    if (s.isDirectory()) {
      archive.entry({ name, type: 'directory', mode: s.mode & 0o7777, mtime: s.mtime });
      for (const child of (await readdir(path)).sort()) await add(join(path, child), `${name}/${child}`, false);
    } else if (s.isFile()) {
      await addFile(path, name, s.mode & 0o7777, s.mtime, s.size, top);
    } else if (s.isSymbolicLink()) {
      archive.entry({ name, type: 'symlink', linkname: await readlink(path), mode: 0o777, mtime: s.mtime });
    }
    // Sockets, fifos and devices are not artifacts: skipped.
  };

  const aborted = (): Error =>
    signal?.reason instanceof Error ? signal.reason : new Error(`packing ${localPath} was aborted`);
  // Aborting closes the file being read (its 'error' fails the entry, then `done`) and ends the archive.
  const onAbort = (): void => void reading?.destroy(aborted());
  signal?.addEventListener('abort', onAbort, { once: true });
  const done = (async () => {
    signal?.throwIfAborted();
    for (const dir of parents) archive.entry({ name: dir, type: 'directory', mode: 0o755 });
    await add(localPath, rootName, true);
    if (signal?.aborted) throw aborted();
    archive.finalize();
    return { bytes, files, ...(sha256 === undefined ? {} : { sha256 }) };
  })();
  done.then(
    () => signal?.removeEventListener('abort', onAbort),
    (err: unknown) => {
      signal?.removeEventListener('abort', onAbort);
      archive.destroy(err instanceof Error ? err : new Error(String(err)));
    },
  );
  return { stream: archive as unknown as NodeJS.ReadableStream, done };
}

/**
 * Extracts a tar archive whose first path segment is the copied item's name into `localPath`: the item itself
 * becomes `localPath` (like `cp -r src localPath`). Entries escaping `localPath` (`..`, absolute links) are
 * refused. Resolves with bytes and files written, and the sha256 when the item is a single file.
 *
 * @example
 * ```ts
 * import { extractTo } from '@flowlane/artifacts';
 * import type { Container } from 'dockerode';
 *
 * declare const container: Container; // a dockerode container
 * const copied = await extractTo(await container.getArchive({ path: '/srv/report.txt' }), './report.txt');
 * ```
 */
export async function extractTo(source: NodeJS.ReadableStream, localPath: string): Promise<CopyResult> {
  const root = resolve(localPath);
  const inside = (p: string) => p === root || p.startsWith(root + sep);
  const ex = extract();
  source.on('error', (err: Error) => ex.destroy(err));
  source.pipe(ex as unknown as NodeJS.WritableStream);
  let bytes = 0;
  let files = 0;
  let sha256: string | undefined;
  let entries = 0;
  let rootIsFile = false;
  for await (const entry of ex) {
    entries++;
    const segments = posix
      .normalize(entry.header.name.replace(/^(\.\/|\/)+/, ''))
      .split('/')
      .filter(Boolean);
    const dest = resolve(root, ...segments.slice(1));
    if (segments.includes('..') || segments.length === 0 || !inside(dest)) {
      entry.resume();
      throw new Error(`refusing archive entry "${entry.header.name}" outside the destination`);
    }
    const type = entry.header.type ?? 'file';
    if (type === 'directory') {
      await mkdir(dest, { recursive: true });
      entry.resume();
    } else if (type === 'file' || type === 'contiguous-file') {
      if (dest === root) rootIsFile = true;
      await mkdir(dirname(dest), { recursive: true });
      await rm(dest, { force: true, recursive: true });
      const h = dest === root ? createHash('sha256') : undefined;
      const out = createWriteStream(dest, { mode: (entry.header.mode ?? 0o644) & 0o7777 });
      entry.on('data', (chunk: unknown) => {
        const buf = chunk as Buffer;
        bytes += buf.length;
        h?.update(buf);
      });
      entry.pipe(out);
      await finished(out);
      files++;
      if (h !== undefined) sha256 = h.digest('hex');
    } else if (type === 'symlink' && entry.header.linkname) {
      const target = resolve(dirname(dest), entry.header.linkname);
      if (inside(target) && !posix.isAbsolute(entry.header.linkname)) {
        await mkdir(dirname(dest), { recursive: true });
        await rm(dest, { force: true, recursive: true });
        await symlink(entry.header.linkname, dest);
      }
      entry.resume();
    } else {
      entry.resume(); // hard links, devices, pax headers handled by tar-stream: nothing to write
    }
  }
  if (entries === 0) throw new Error('the archive is empty');
  return { bytes, files, ...(rootIsFile && sha256 !== undefined ? { sha256 } : {}) };
}
